/* The import path (see import.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "dicom.h"
#include "filestore.h"
#include "import.h"
#include "model_write.h"

typedef struct {
    const char *experiment_id;
    const char *label, *subject_label;
    const char *project;
} session_t;

struct arca_import_t {
    arca_db_t *db;
    apr_pool_t *pool;
    arca_import_options_t o;
    const char *tmpdir;
    apr_hash_t *sessions;        /* study UID -> session_t */
    apr_hash_t *resources;       /* experiment ID + series number -> resource_t */
    apr_array_header_t *uris;    /* const char * */
    apr_array_header_t *placed;  /* files put in place, for abort */
    apr_array_header_t *rejected;
    const char *new_key;         /* the study this object opened, if any (for rollback) */
    const char *new_resource_key;/* likewise the series */
    int savepoint;               /* the current object has a savepoint */
    int count;
};

/* Before an object's first row: a savepoint, so that its own failure undoes only its rows.
 * Objects of a study and series already seen write no row before their file is safely in
 * place, so most objects of an upload need none (two round trips saved each). */
static arca_error_t *savepoint(arca_import_t *imp)
{
    if (imp->savepoint)
        return ARCA_OK;
    imp->savepoint = 1;
    return arca_db_query(imp->db, imp->pool, NULL, "SAVEPOINT arca_object", 0, NULL);
}

arca_error_t *arca_import_begin(arca_db_t *db, apr_pool_t *p, const arca_import_options_t *o,
                                arca_import_t **out)
{
    arca_import_t *imp = apr_pcalloc(p, sizeof *imp);
    arca_error_t *err;

    imp->db = db;
    imp->pool = p;
    imp->o = *o;
    imp->tmpdir = apr_pstrcat(p, o->prearchive ? o->prearchive : o->archive, "/.tmp", NULL);
    imp->sessions = apr_hash_make(p);
    imp->resources = apr_hash_make(p);
    imp->uris = apr_array_make(p, 2, sizeof(const char *));
    imp->placed = apr_array_make(p, 16, sizeof(const char *));
    imp->rejected = apr_array_make(p, 4, sizeof(const char *));
    if ((err = arca_mkdirs(p, imp->tmpdir)))
        return err;
    *out = imp;
    return ARCA_OK;
}

/* XNAT's routing convention in Patient or Study Comments: "Project: P Subject: S Session: E". */
static const char *comment_field(apr_pool_t *p, const char *comments, const char *key)
{
    const char *at = comments ? strstr(comments, key) : NULL;
    size_t n;

    if (at == NULL)
        return NULL;
    at += strlen(key);
    while (*at == ' ' || *at == ':')
        at++;
    n = strcspn(at, " ;\\\r\n\t");
    return n ? apr_pstrmemdup(p, at, n) : NULL;
}

/* A label from a value: characters a label may not hold become '_' (labels are also
 * directory names). */
static const char *as_label(apr_pool_t *p, const char *v)
{
    char *l;

    if (v == NULL || *v == '\0')
        return NULL;
    l = apr_pstrndup(p, v, 64);
    for (char *c = l; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
            *c = '_';
    if (l[0] == '.')
        l[0] = '_';
    return l;
}

static const char *session_type(const char *modality)
{
    static const struct { const char *m, *session, *scan; } types[] = {
        {"CT", "xnat:ctSessionData", "xnat:ctScanData"},
        {"MR", "xnat:mrSessionData", "xnat:mrScanData"},
        {"PT", "xnat:petSessionData", "xnat:petScanData"},
        {"CR", "xnat:crSessionData", "xnat:crScanData"},
        {"DX", "xnat:dxSessionData", "xnat:dxScanData"},
        {"US", "xnat:usSessionData", "xnat:usScanData"},
    };
    for (size_t i = 0; modality && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].m, modality) == 0)
            return types[i].session;
    return "xnat:otherDicomSessionData";
}

static const char *scan_type(apr_pool_t *p, const char *session_xsi)
{
    const char *s = strstr(session_xsi, "SessionData");

    return apr_pstrcat(p, apr_pstrmemdup(p, session_xsi, (apr_size_t)(s - session_xsi)),
                       "ScanData", NULL);
}

static const char *dicom_date(apr_pool_t *p, const char *da)
{
    if (da == NULL || strlen(da) < 8)
        return NULL;
    return apr_psprintf(p, "%.4s-%.2s-%.2s", da, da + 4, da + 6);
}

/* The subject and experiment of a study, found or created (in this import's transaction). */
static arca_error_t *session_of(arca_import_t *imp, apr_pool_t *p, const arca_dicom_info_t *in,
                                const char *subject, const char *label, session_t **out)
{
    const char *key = in->study_uid ? in->study_uid : "";
    session_t *s = apr_hash_get(imp->sessions, key, APR_HASH_KEY_STRING);
    apr_pool_t *ip = imp->pool;
    const char *subject_id;
    PGresult *res;
    arca_error_t *err;

    if (s) {
        *out = s;
        return ARCA_OK;
    }
    if ((err = savepoint(imp)))
        return err;
    s = apr_pcalloc(ip, sizeof *s);
    s->project = imp->o.project;
    s->subject_label = apr_pstrdup(ip, subject);
    /* a second study under one given label gets the label with a number */
    s->label = apr_hash_count(imp->sessions) == 0 ? apr_pstrdup(ip, label)
               : apr_psprintf(ip, "%s_%u", label, apr_hash_count(imp->sessions) + 1);
    err = arca_db_query(imp->db, p, &res, "SELECT subject_id FROM arca_subject_label "
                        "WHERE project = $1 AND label = $2", 2,
                        (const char *const[]){s->project, subject});
    if (err)
        return err;
    if (PQntuples(res) == 1)
        subject_id = apr_pstrdup(ip, PQgetvalue(res, 0, 0));
    else if ((err = arca_subject_create(imp->db, ip, imp->o.site_id, s->project, subject,
                                        imp->o.user, &subject_id)))
        return err;
    err = arca_db_query(imp->db, p, &res, "SELECT l.experiment_id FROM arca_experiment_label l "
                        "JOIN arca_experiment e ON e.id = l.experiment_id "
                        "WHERE l.project = $1 AND l.label = $2", 2,
                        (const char *const[]){s->project, s->label});
    if (err)
        return err;
    if (PQntuples(res) == 1) {
        s->experiment_id = apr_pstrdup(ip, PQgetvalue(res, 0, 0));
    } else if ((err = arca_experiment_create(imp->db, ip, imp->o.site_id, s->project,
                                             subject_id, s->label, session_type(in->modality),
                                             NULL, imp->o.user, &s->experiment_id))) {
        return err;
    }
    /* what the headers say about the session (after de-identification) */
    err = arca_db_query(imp->db, p, NULL,
        "UPDATE arca_experiment SET date = coalesce($2::date, date), modality = "
        "coalesce(nullif($3, ''), modality), scanner = coalesce(nullif($4, ''), scanner), "
        "uid = coalesce(nullif($5, ''), uid) WHERE id = $1", 5,
        (const char *const[]){s->experiment_id, dicom_date(p, in->study_date), in->modality,
                              apr_pstrcat(p, in->manufacturer ? in->manufacturer : "",
                                          in->manufacturer && in->model ? " " : "",
                                          in->model ? in->model : "", NULL),
                              in->study_uid});
    if (err)
        return err;
    imp->new_key = apr_pstrdup(ip, key);
    apr_hash_set(imp->sessions, imp->new_key, APR_HASH_KEY_STRING, s);
    APR_ARRAY_PUSH(imp->uris, const char *) = apr_psprintf(ip,
        "/data/archive/projects/%s/subjects/%s/experiments/%s", s->project, s->subject_label,
        s->label);
    *out = s;
    return ARCA_OK;
}

typedef struct {
    const char *pk, *dir;
} resource_t;

static arca_error_t *find_resource(arca_import_t *imp, apr_pool_t *p, const session_t *s,
                                   const arca_dicom_info_t *in, const char **pk,
                                   const char **dir);

/* The scan's DICOM resource (scan and resource found or created); its pk and directory.
 * Looked up once per series and import: the rest of a series costs no query. */
static arca_error_t *resource_of(arca_import_t *imp, apr_pool_t *p, const session_t *s,
                                 const arca_dicom_info_t *in, const char **pk, const char **dir)
{
    const char *key = apr_pstrcat(p, s->experiment_id, "/",
                                  in->series_number ? in->series_number : "", NULL);
    resource_t *res = apr_hash_get(imp->resources, key, APR_HASH_KEY_STRING);
    arca_error_t *err;

    if (res == NULL) {
        if ((err = savepoint(imp)) || (err = find_resource(imp, p, s, in, pk, dir)))
            return err;
        res = apr_palloc(imp->pool, sizeof *res);
        res->pk = apr_pstrdup(imp->pool, *pk);
        res->dir = apr_pstrdup(imp->pool, *dir);
        imp->new_resource_key = apr_pstrdup(imp->pool, key);
        apr_hash_set(imp->resources, imp->new_resource_key, APR_HASH_KEY_STRING, res);
    }
    *pk = res->pk;
    *dir = res->dir;
    return ARCA_OK;
}

static arca_error_t *find_resource(arca_import_t *imp, apr_pool_t *p, const session_t *s,
                                   const arca_dicom_info_t *in, const char **pk,
                                   const char **dir)
{
    const char *scan = as_label(p, in->series_number) ? as_label(p, in->series_number) : "1";
    const char *xsi = scan_type(p, session_type(in->modality)), *scan_pk;
    arca_location_t loc;
    PGresult *res;
    arca_error_t *err;

    err = arca_db_query(imp->db, p, &res, "SELECT pk FROM arca_scan WHERE experiment_id = $1 "
                        "AND id = $2", 2, (const char *const[]){s->experiment_id, scan});
    if (err)
        return err;
    if (PQntuples(res) == 1)
        scan_pk = PQgetvalue(res, 0, 0);
    else if ((err = arca_scan_create(imp->db, p, s->experiment_id, scan, xsi, &scan_pk)))
        return err;
    err = arca_db_query(imp->db, p, NULL,
        "UPDATE arca_scan SET type = coalesce(nullif($2, ''), type), series_description = "
        "coalesce(nullif($2, ''), series_description), modality = coalesce(nullif($3, ''), "
        "modality), uid = coalesce(nullif($4, ''), uid) WHERE pk = $1::bigint", 4,
        (const char *const[]){scan_pk, in->series_description, in->modality, in->series_uid});
    if (err)
        return err;
    err = arca_db_query(imp->db, p, &res, "SELECT pk, dir FROM arca_resource WHERE scan_pk = "
                        "$1::bigint AND label = 'DICOM'", 1, &scan_pk);
    if (err)
        return err;
    if (PQntuples(res) == 1) {
        *pk = apr_pstrdup(imp->pool, PQgetvalue(res, 0, 0));
        *dir = apr_pstrdup(imp->pool, PQgetvalue(res, 0, 1));
        return ARCA_OK;
    }
    memset(&loc, 0, sizeof loc);
    loc.owner = ARCA_KIND_SCAN;
    loc.scan_pk = scan_pk;
    loc.scan_id = scan;
    loc.experiment_id = s->experiment_id;
    loc.experiment_project = s->project;
    loc.experiment_label = s->label;
    if ((err = arca_resource_create(imp->db, p, &loc, "DICOM", pk, dir)))
        return err;
    return arca_db_query(imp->db, p, NULL, "UPDATE arca_resource SET format = 'DICOM', "
                         "content = 'RAW' WHERE pk = $1::bigint", 1, pk);
}

static int upload_write(void *baton, const char *data, size_t len)
{
    return arca_upload_write(baton, data, len) ? -1 : 0;
}

/* A UID's replacement: hashUID of the UID salted with the project's secret. */
static arca_error_t *salted_uid(void *salt, apr_pool_t *p, const char *uid, const char **out)
{
    *out = arca_deid_hash_uid(p, apr_pstrcat(p, (const char *)salt, ":", uid, NULL));
    return ARCA_OK;
}

static arca_error_t *run_script(const arca_import_t *imp, const arca_deid_program *prog,
                                arca_dicom_t *d, apr_hash_t *vars, apr_pool_t *p)
{
    arca_deid_env env = {vars, imp->o.uid_salt ? salted_uid : NULL, (void *)imp->o.uid_salt};

    return prog ? arca_deid_run(prog, arca_dicom_deid_ops(), d, &env, p) : ARCA_OK;
}

/* A study received into the prearchive: its folder and row. */
static arca_error_t *prearchive_session(arca_import_t *imp, apr_pool_t *p,
                                        const arca_dicom_info_t *in, const char *subject,
                                        const char *label, const char **dir)
{
    const char *key = in->study_uid ? in->study_uid : "";
    const char *project = imp->o.project ? imp->o.project : "Unassigned";
    session_t *s = apr_hash_get(imp->sessions, key, APR_HASH_KEY_STRING);
    arca_error_t *err;

    if (s == NULL) {
        if ((err = savepoint(imp)))
            return err;
        s = apr_pcalloc(imp->pool, sizeof *s);
        s->project = project;
        /* a study without names waits under its UID's digits */
        s->label = apr_pstrdup(imp->pool, label ? label : as_label(p, key) ? as_label(p, key)
                                                                           : "Unknown");
        s->subject_label = apr_pstrdup(imp->pool, subject ? subject : "");
        err = arca_db_query(imp->db, p, NULL,
            "INSERT INTO arca_prearchive (project, timestamp, folder, subject, study_uid, "
            "modality, scan_date) VALUES ($1, $2, $3, $4, $5, $6, $7::date) "
            "ON CONFLICT (project, timestamp, folder) DO UPDATE SET lastmod = now()", 7,
            (const char *const[]){project, imp->o.timestamp, s->label, s->subject_label, key,
                                  in->modality ? in->modality : "",
                                  dicom_date(p, in->study_date)});
        if (err)
            return err;
        imp->new_key = apr_pstrdup(imp->pool, key);
        apr_hash_set(imp->sessions, imp->new_key, APR_HASH_KEY_STRING, s);
        APR_ARRAY_PUSH(imp->uris, const char *) = apr_psprintf(imp->pool,
            "/data/prearchive/projects/%s/%s/%s", project, imp->o.timestamp, s->label);
    }
    *dir = apr_psprintf(p, "%s/%s/%s/SCANS/%s/DICOM", project, imp->o.timestamp, s->label,
                        as_label(p, in->series_number) ? as_label(p, in->series_number) : "1");
    return ARCA_OK;
}

static arca_error_t *import_one(arca_import_t *imp, arca_read_fn read, void *baton,
                               int *bad_object);

arca_error_t *arca_import_object(arca_import_t *imp, const char *name, arca_read_fn read,
                                 void *baton)
{
    int bad_object = 0;
    arca_error_t *err;

    imp->new_key = imp->new_resource_key = NULL;
    imp->savepoint = 0;
    err = import_one(imp, read, baton, &bad_object);
    if (err && bad_object) {
        /* this object alone: undo its rows (and forget a session or series it opened) */
        if (imp->new_key) {
            apr_hash_set(imp->sessions, imp->new_key, APR_HASH_KEY_STRING, NULL);
            apr_array_pop(imp->uris);
        }
        if (imp->new_resource_key)
            apr_hash_set(imp->resources, imp->new_resource_key, APR_HASH_KEY_STRING, NULL);
        APR_ARRAY_PUSH(imp->rejected, const char *) =
            apr_psprintf(imp->pool, "%s: %s", name ? name : "(body)", err->message);
        return imp->savepoint ? arca_db_query(imp->db, imp->pool, NULL,
                                              "ROLLBACK TO SAVEPOINT arca_object", 0, NULL)
                              : ARCA_OK;
    }
    if (err || !imp->savepoint)
        return err;
    return arca_db_query(imp->db, imp->pool, NULL, "RELEASE SAVEPOINT arca_object", 0, NULL);
}


const apr_array_header_t *arca_import_rejected(const arca_import_t *imp)
{
    return imp->rejected;
}

/* Reads, de-identifies, routes, stores one object. *bad_object says a failure is the
 * object's own (not DICOM, truncated, malformed), not the upload's. */
static arca_error_t *import_one(arca_import_t *imp, arca_read_fn read, void *baton,
                                int *bad_object)
{
    apr_pool_t *p;
    arca_dicom_t *d;
    arca_dicom_info_t in;
    apr_hash_t *vars;
    const char *subject, *label, *pk, *dir, *name, *final;
    session_t *s;
    arca_upload_t *up;
    arca_error_t *err;

    apr_pool_create(&p, imp->pool); /* per object: memory stays flat over a large import */
    if ((err = arca_dicom_read(p, read, baton, &d)) || (err = arca_dicom_info(d, p, &in))) {
        *bad_object = err->status == 400 || err->status == 413;
        goto done;
    }
    /* routing: the request's names, else XNAT's comment convention */
    subject = imp->o.subject ? imp->o.subject
              : comment_field(p, in.patient_comments, "Subject")
                  ? comment_field(p, in.patient_comments, "Subject")
                  : comment_field(p, in.study_comments, "Subject");
    label = imp->o.session ? imp->o.session
            : comment_field(p, in.patient_comments, "Session")
                ? comment_field(p, in.patient_comments, "Session")
                : comment_field(p, in.study_comments, "Session");
    vars = apr_hash_make(p);
    apr_hash_set(vars, "project", APR_HASH_KEY_STRING, imp->o.project);
    apr_hash_set(vars, "modalityLabel", APR_HASH_KEY_STRING, in.modality ? in.modality : "");
    if (subject)
        apr_hash_set(vars, "subject", APR_HASH_KEY_STRING, subject);
    if (label)
        apr_hash_set(vars, "session", APR_HASH_KEY_STRING, label);
    /* de-identification, before anything is written anywhere; the scripts may rename */
    if ((err = run_script(imp, imp->o.site_script, d, vars, p))
        || (err = run_script(imp, imp->o.basic_profile, d, vars, p))
        || (err = run_script(imp, imp->o.project_script, d, vars, p))
        || (err = arca_dicom_info(d, p, &in)))
        goto done;
    subject = as_label(p, apr_hash_get(vars, "subject", APR_HASH_KEY_STRING));
    label = as_label(p, apr_hash_get(vars, "session", APR_HASH_KEY_STRING));
    if (in.sop_instance_uid == NULL || !*in.sop_instance_uid) {
        err = arca_error_create(imp->pool, 400, "a DICOM object without SOP Instance UID");
        *bad_object = 1;
        goto done;
    }
    if (imp->o.prearchive) { /* unnamed data is welcome there: it waits for names */
        if ((err = prearchive_session(imp, p, &in, subject, label, &dir)))
            goto done;
        name = apr_pstrcat(p, as_label(p, in.sop_instance_uid), ".dcm", NULL);
        final = apr_pstrcat(imp->pool, imp->o.prearchive, "/", dir, "/", name, NULL);
        if ((err = arca_upload_begin(p, imp->tmpdir, &up)))
            goto done;
        if ((err = arca_dicom_write(d, upload_write, up))
            || (err = arca_upload_commit(up, final, 1))) {
            *bad_object = err->status == 400;
            arca_upload_abort(up);
            goto done;
        }
        APR_ARRAY_PUSH(imp->placed, const char *) = final;
        imp->count++;
        goto done;
    }
    if (subject == NULL || label == NULL) {
        err = arca_error_create(imp->pool, 400, "say where the data goes: SUBJECT_ID and "
                                "EXPT_LABEL (or 'Subject: .. Session: ..' in Patient Comments)");
        goto done;
    }
    if ((err = session_of(imp, p, &in, subject, label, &s))
        || (err = resource_of(imp, p, s, &in, &pk, &dir)))
        goto done;
    name = apr_pstrcat(p, as_label(p, in.sop_instance_uid), ".dcm", NULL);
    final = apr_pstrcat(imp->pool, imp->o.archive, "/", dir, "/", name, NULL);
    if ((err = arca_upload_begin(p, imp->tmpdir, &up)))
        goto done;
    if ((err = arca_dicom_write(d, upload_write, up)) || (err = arca_upload_commit(up, final, 1))) {
        *bad_object = err->status == 400;
        arca_upload_abort(up);
        goto done;
    }
    APR_ARRAY_PUSH(imp->placed, const char *) = final;
    err = arca_db_query(imp->db, p, NULL,
        "INSERT INTO arca_file (resource_pk, path, size, digest, format, content) "
        "VALUES ($1::bigint, $2, $3::bigint, $4, 'DICOM', 'RAW') ON CONFLICT (resource_pk, "
        "path) DO UPDATE SET size = EXCLUDED.size, digest = EXCLUDED.digest, "
        "insert_date = now()", 4,
        (const char *const[]){pk, name, apr_off_t_toa(p, arca_upload_size(up)),
                              arca_upload_md5(up)});
    if (!err)
        imp->count++;
done:
    if (err)
        err = arca_error_create(imp->pool, err->status, "%s", err->message);
    apr_pool_destroy(p);
    return err;
}

typedef struct {
    apr_pool_t *pool;
    apr_file_t *f;
    char buf[65536];
} file_reader;

static arca_error_t *read_file(void *baton, const void **data, apr_size_t *len)
{
    file_reader *fr = baton;
    apr_status_t rv;

    *len = sizeof fr->buf;
    rv = apr_file_read(fr->f, fr->buf, len);
    *data = fr->buf;
    if (APR_STATUS_IS_EOF(rv)) {
        *len = 0;
        return ARCA_OK;
    }
    return rv == APR_SUCCESS ? ARCA_OK
                             : arca_error_create(fr->pool, 500, "cannot read a prearchived file");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file below `dir`, sorted. */
static arca_error_t *list_files(apr_pool_t *p, const char *dir, apr_array_header_t *out)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    arca_error_t *err = ARCA_OK;

    if (apr_dir_open(&d, dir, p) != APR_SUCCESS)
        return arca_error_create(p, 404, "Not Found: no such prearchived session");
    while (!err && apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        const char *path;
        if (fi.name[0] == '.')
            continue;
        path = apr_pstrcat(p, dir, "/", fi.name, NULL);
        if (fi.filetype == APR_DIR)
            err = list_files(p, path, out);
        else if (fi.filetype == APR_REG)
            APR_ARRAY_PUSH(out, const char *) = path;
    }
    apr_dir_close(d);
    return err;
}

arca_error_t *arca_import_tree(arca_import_t *imp, const char *dir)
{
    apr_array_header_t *files = apr_array_make(imp->pool, 64, sizeof(const char *));
    arca_error_t *err = list_files(imp->pool, dir, files);

    qsort(files->elts, (size_t)files->nelts, sizeof(const char *), by_name);
    for (int i = 0; !err && i < files->nelts; i++) {
        apr_pool_t *fp;
        file_reader *fr;
        apr_pool_create(&fp, imp->pool);
        fr = apr_palloc(fp, sizeof *fr);
        fr->pool = imp->pool;
        if (apr_file_open(&fr->f, APR_ARRAY_IDX(files, i, const char *), APR_FOPEN_READ
                          | APR_FOPEN_BINARY, 0, fp) != APR_SUCCESS)
            err = arca_error_create(imp->pool, 500, "cannot open a prearchived file");
        else
            err = arca_import_object(imp, APR_ARRAY_IDX(files, i, const char *), read_file,
                                     fr);
        apr_pool_destroy(fp);
    }
    return err;
}

arca_error_t *arca_import_finish(arca_import_t *imp)
{
    /* each scan's frame count, once, from its files */
    apr_hash_index_t *hi;
    arca_error_t *err = ARCA_OK;

    for (hi = apr_hash_first(imp->pool, imp->resources); hi && !err; hi = apr_hash_next(hi)) {
        const resource_t *res = apr_hash_this_val(hi);
        err = arca_db_query(imp->db, imp->pool, NULL,
            "UPDATE arca_scan SET frames = (SELECT count(*) FROM arca_file WHERE resource_pk = "
            "$1::bigint) WHERE pk = (SELECT scan_pk FROM arca_resource WHERE pk = $1::bigint)",
            1, &res->pk);
    }
    return err;
}

const apr_array_header_t *arca_import_sessions(const arca_import_t *imp)
{
    return imp->uris;
}

int arca_import_count(const arca_import_t *imp)
{
    return imp->count;
}

void arca_import_abort(arca_import_t *imp)
{
    for (int i = 0; i < imp->placed->nelts; i++)
        apr_file_remove(APR_ARRAY_IDX(imp->placed, i, const char *), imp->pool);
}
