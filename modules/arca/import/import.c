/* The import path (see import.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "access/authz.h"
#include "dicom/dicom.h"
#include "dicom/dicom_values.h"
#include "dicom/instance_index.h"
#include "store/file_rows.h"
#include "store/filestore.h"
#include "import/import.h"
#include "import/import_deid.h"
#include "model/model_write.h"
#include "store/placements.h"
#include "import/routing_rules.h"

/* What a mode (import.h) means for the steps of an import. */
typedef struct {
    /* one object at a time: prearchive sessions stay RECEIVING, each file is fsynced as it
     * is placed (when `sync`), and arca_import_finish has no sync of the store to make */
    int gradual;
    int own_transactions;  /* each object its own transaction, not a savepoint */
    int digest;            /* archived files' MD5 taken as they are written */
    int sync;              /* files, directories and the store flushed to the disk */
    int check_access;      /* the account's right to edit each project routed to */
    int ask_login;         /* over HTTP: anonymous, refused a project it can see: 401 */
} mode_rules_t;

static const mode_rules_t mode_rules[] = {
    /*                                 gradual  own_trans.  digest  sync  access  ask_login */
    [ARCA_IMPORT_UPLOAD] =            {0,       0,          1,      1,    1,      1},
    [ARCA_IMPORT_GRADUAL] =           {1,       0,          1,      1,    1,      1},
    [ARCA_IMPORT_RECEIVER] =          {1,       1,          0,      1,    1,      0},
    [ARCA_IMPORT_RECEIVER_UNSYNCED] = {1,       1,          0,      0,    1,      0},
    [ARCA_IMPORT_FROM_PREARCHIVE] =   {0,       0,          1,      1,    0,      0},
};

typedef struct {
    const char *experiment_id;   /* in the archive; NULL in the prearchive */
    const char *label, *subject_label;
    const char *project;
    const char *timestamp;       /* in the prearchive: its upload folder */
} session_t;

typedef struct {
    const char *name;
    int routable;
    arca_import_project_t cfg;
} project_t;

struct arca_import_t {
    arca_db_t *db;
    apr_pool_t *pool;
    arca_import_options_t o;
    mode_rules_t mode;           /* o.mode's rules */
    const char *archive_tmp, *prearchive_tmp; /* temp files, beside where they go */
    int used_archive, used_prearchive;
    apr_hash_t *projects;        /* project ID -> project_t */
    apr_hash_t *sessions;        /* "A|P|study UID" (archive), "P|P|study UID" -> session_t */
    apr_hash_t *labels;          /* "P|label" -> studies given that label so far (int *) */
    apr_hash_t *resources;       /* experiment ID + series number -> resource_t */
    apr_array_header_t *uris;    /* const char * */
    arca_placements_t *placed;   /* files put in place, undone by an abort */
    apr_array_header_t *stale;   /* files of sessions replaced (overwrite=delete) */
    apr_array_header_t *rejected;
    const char *new_key;         /* the study this object opened, if any (for rollback) */
    const char *new_resource_key;/* likewise the series */
    int *new_label;              /* and the count of studies under its label */
    int savepoint;               /* the current object has a savepoint */
    int count;
    arca_import_stored_t last;   /* the last object, as stored */
};

typedef struct {
    const char *pk, *dir;
} resource_t;

typedef struct {
    arca_upload_t *up;
    arca_error_t *err;   /* the store's own error (a full disk: 507), kept for the answer */
} writer_t;

#define CHUNK (64 * 1024)

typedef struct {
    arca_import_t *imp;
    char *buf;
    arca_archive_entry_t *e;
} archive_state;

typedef struct {
    apr_pool_t *pool;
    apr_file_t *f;
    char buf[65536];
} file_reader;

/* The steps the entry points take, defined below them in this order (a step's own small
 * helpers just before it). */
static arca_error_t *import_one(arca_import_t *imp, arca_read_fn read, void *baton,
                                int *bad_object);
static arca_error_t *project_of(arca_import_t *imp, apr_pool_t *p, arca_dicom_t *d,
                                const arca_dicom_info_t *in, project_t **out);
static const char *routing_name(const arca_import_t *imp, apr_pool_t *p, arca_dicom_t *d,
                                const char *given, arca_route_kind_t kind,
                                const arca_dicom_info_t *in, const char *key);
static arca_error_t *run_script(const arca_deid_program *prog, const char *uid_salt,
                                arca_dicom_t *d, apr_hash_t *vars, apr_pool_t *p);
static arca_error_t *prearchive_session(arca_import_t *imp, apr_pool_t *p,
                                        const arca_dicom_info_t *in, const char *project,
                                        const char *subject, const char *label,
                                        const char **dir);
static arca_error_t *place(arca_import_t *imp, apr_pool_t *p, arca_dicom_t *d,
                           const char *tmpdir, const char *final, int digest,
                           arca_upload_t **out, int *bad_object);
static arca_error_t *session_of(arca_import_t *imp, apr_pool_t *p, const arca_dicom_info_t *in,
                                const char *project, const char *subject, const char *label,
                                session_t **out);
static arca_error_t *resource_of(arca_import_t *imp, apr_pool_t *p, const session_t *s,
                                 const arca_dicom_info_t *in, const char **pk, const char **dir);
static arca_error_t *each_member(void *baton, const char *name, apr_off_t size,
                                 arca_archive_entry_t *e);
static arca_error_t *list_files(apr_pool_t *p, const char *dir, apr_array_header_t *out);
static int by_name(const void *a, const void *b);
static arca_error_t *read_file(void *baton, const void **data, apr_size_t *len);

int arca_overwrite_parse(const char *s, arca_overwrite_t *out)
{
    static const char *const names[] = {"none", "append", "delete"};

    for (int i = 0; s && i < 3; i++)
        if (strcasecmp(s, names[i]) == 0) {
            *out = (arca_overwrite_t)i;
            return i + 1;
        }
    return 0;
}

arca_error_t *arca_import_begin(arca_db_t *db, apr_pool_t *p, const arca_import_options_t *o,
                                arca_import_t **out)
{
    arca_import_t *imp = apr_pcalloc(p, sizeof *imp);
    arca_error_t *err;

    if ((unsigned)o->mode >= sizeof mode_rules / sizeof mode_rules[0])
        return arca_error_create(p, 500, "an unknown way of importing (%d)", (int)o->mode);
    imp->db = db;
    imp->pool = p;
    imp->o = *o;
    imp->mode = mode_rules[o->mode];
    imp->archive_tmp = apr_pstrcat(p, o->archive, "/.tmp", NULL);
    imp->prearchive_tmp = o->prearchive ? apr_pstrcat(p, o->prearchive, "/.tmp", NULL) : NULL;
    imp->projects = apr_hash_make(p);
    imp->sessions = apr_hash_make(p);
    imp->labels = apr_hash_make(p);
    imp->resources = apr_hash_make(p);
    imp->uris = apr_array_make(p, 2, sizeof(const char *));
    imp->placed = arca_placements_make(p);
    imp->stale = apr_array_make(p, 4, sizeof(const char *));
    imp->rejected = apr_array_make(p, 4, sizeof(const char *));
    if ((!o->to_prearchive && (err = arca_mkdirs(p, imp->archive_tmp)))
        || (o->prearchive && (err = arca_mkdirs(p, imp->prearchive_tmp))))
        return err;
    *out = imp;
    return ARCA_OK;
}

arca_error_t *arca_import_object(arca_import_t *imp, const char *name, arca_read_fn read,
                                 void *baton)
{
    int bad_object = 0;
    arca_error_t *err;

    imp->new_key = imp->new_resource_key = NULL;
    imp->new_label = NULL;
    imp->savepoint = 0;
    err = import_one(imp, read, baton, &bad_object);
    if (err && bad_object) {
        /* this object alone: undo its rows (and forget a session or series it opened) */
        if (imp->new_key) {
            apr_hash_set(imp->sessions, imp->new_key, APR_HASH_KEY_STRING, NULL);
            apr_array_pop(imp->uris);
        }
        if (imp->new_label)
            --*imp->new_label;
        if (imp->new_resource_key)
            apr_hash_set(imp->resources, imp->new_resource_key, APR_HASH_KEY_STRING, NULL);
        APR_ARRAY_PUSH(imp->rejected, const char *) =
            apr_psprintf(imp->pool, "%s: %s", name ? name : "(body)", err->message);
        return imp->savepoint ? arca_db_query(imp->db, imp->pool, NULL,
                                              imp->mode.own_transactions ? "ROLLBACK"
                                              : "ROLLBACK TO SAVEPOINT arca_object", 0, NULL)
                              : ARCA_OK;
    }
    if (err && imp->mode.own_transactions && imp->savepoint)
        arca_db_rollback(imp->db, imp->pool);
    if (err || !imp->savepoint)
        return err;
    /* own transactions: the object's file was fsynced as it was placed */
    return arca_db_query(imp->db, imp->pool, NULL, imp->mode.own_transactions
                         ? "COMMIT" : "RELEASE SAVEPOINT arca_object", 0, NULL);
}

const arca_import_stored_t *arca_import_last(const arca_import_t *imp)
{
    return &imp->last;
}

const apr_array_header_t *arca_import_rejected(const arca_import_t *imp)
{
    return imp->rejected;
}

arca_error_t *arca_import_archive(arca_import_t *imp, arca_read_fn read, void *baton)
{
    archive_state st = {imp, apr_palloc(imp->pool, CHUNK), NULL};

    return arca_archive_extract(imp->pool, &imp->o.limits, read, baton, each_member, &st,
                                NULL);
}

arca_error_t *arca_import_finish(arca_import_t *imp)
{
    /* the files were placed without an fsync each: one sync of the filesystem makes them
     * all durable before the rows naming them are committed (objects stored one at a time
     * were fsynced as they were placed) */
    arca_error_t *err = ARCA_OK;

    if (imp->used_archive && imp->mode.sync)
        err = arca_sync_store(imp->pool, imp->o.archive);
    if (!err && imp->used_prearchive && imp->mode.sync)
        err = arca_sync_store(imp->pool, imp->o.prearchive);
    imp->used_archive = imp->used_prearchive = 0;
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
    apr_array_header_t *dirs = arca_placements_dirs(imp->placed, imp->pool);

    arca_placements_rollback(imp->placed);
    /* the session folders the import made for those files, now empty: a project's own
     * <project>/arc001 (archive) or <project> (prearchive) stays */
    for (int i = 0; i < dirs->nelts; i++) {
        const char *dir = APR_ARRAY_IDX(dirs, i, const char *);
        if (imp->o.archive)
            arca_prune_empty_dirs(imp->pool, imp->o.archive, dir, 2);
        if (imp->o.prearchive)
            arca_prune_empty_dirs(imp->pool, imp->o.prearchive, dir, 1);
    }
}

void arca_import_committed(arca_import_t *imp)
{
    for (int i = 0; i < imp->stale->nelts; i++) {
        const char *f = APR_ARRAY_IDX(imp->stale, i, const char *);
        if (!arca_placements_has(imp->placed, f))
            apr_file_remove(f, imp->pool);
    }
    apr_array_clear(imp->stale);
    arca_placements_done(imp->placed);
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
    project_t *pr;
    const char *subject, *label, *pk, *dir, *name, *final;
    session_t *s;
    arca_upload_t *up;
    arca_error_t *err;

    apr_pool_create(&p, imp->pool); /* per object: memory stays flat over a large import */
    memset(&imp->last, 0, sizeof imp->last);
    if ((err = arca_dicom_read(p, read, baton, &d)) || (err = arca_dicom_info(d, p, &in))) {
        *bad_object = err->status == 400 || err->status == 413;
        goto done;
    }
    /* routing, from the headers as received */
    if ((err = project_of(imp, p, d, &in, &pr)))
        goto done;
    subject = routing_name(imp, p, d, imp->o.subject, ARCA_ROUTE_SUBJECT, &in, "Subject:");
    label = routing_name(imp, p, d, imp->o.session, ARCA_ROUTE_SESSION, &in, "Session:");
    vars = apr_hash_make(p);
    apr_hash_set(vars, "project", APR_HASH_KEY_STRING, pr ? pr->name : "Unassigned");
    apr_hash_set(vars, "modalityLabel", APR_HASH_KEY_STRING, in.modality ? in.modality : "");
    if (subject)
        apr_hash_set(vars, "subject", APR_HASH_KEY_STRING, subject);
    if (label)
        apr_hash_set(vars, "session", APR_HASH_KEY_STRING, label);
    /* de-identification, before anything is written anywhere; the scripts may rename */
    if ((err = run_script(imp->o.site_script, NULL, d, vars, p))
        || (pr && (err = run_script(pr->cfg.basic_profile, pr->cfg.uid_salt, d, vars, p)))
        || (pr && (err = run_script(pr->cfg.script, pr->cfg.uid_salt, d, vars, p)))
        || (err = arca_dicom_info(d, p, &in)))
        goto done;
    subject = arca_label_from(p, apr_hash_get(vars, "subject", APR_HASH_KEY_STRING));
    label = arca_label_from(p, apr_hash_get(vars, "session", APR_HASH_KEY_STRING));
    if (in.sop_instance_uid == NULL || !*in.sop_instance_uid) {
        err = arca_error_create(imp->pool, 400, "a DICOM object without SOP Instance UID");
        *bad_object = 1;
        goto done;
    }
    name = apr_pstrcat(p, arca_label_from(p, in.sop_instance_uid), ".dcm", NULL);
    if (imp->o.to_prearchive || pr == NULL || subject == NULL || label == NULL) {
        /* unnamed data is welcome in the prearchive: it waits for names there */
        if (imp->o.prearchive == NULL) {
            err = arca_error_create(imp->pool, 400, "say where the data goes: PROJECT_ID, "
                                    "SUBJECT_ID and EXPT_LABEL (or 'Project: .. Subject: .. "
                                    "Session: ..' in Patient Comments)");
            goto done;
        }
        if ((err = prearchive_session(imp, p, &in, pr ? pr->name : NULL, subject, label, &dir))
            || (err = place(imp, p, d, imp->prearchive_tmp,
                            apr_pstrcat(p, imp->o.prearchive, "/", dir, "/", name, NULL),
                            0 /* no row: its digest is taken when it is archived */, &up,
                            bad_object)))
            goto done;
        imp->used_prearchive = !imp->mode.gradual;
        imp->count++;
        goto done;
    }
    if ((err = session_of(imp, p, &in, pr->name, subject, label, &s))
        || (err = resource_of(imp, p, s, &in, &pk, &dir)))
        goto done;
    final = apr_pstrcat(p, imp->o.archive, "/", dir, "/", name, NULL);
    if ((err = place(imp, p, d, imp->archive_tmp, final, imp->mode.digest, &up,
                     bad_object)))
        goto done;
    imp->used_archive = !imp->mode.gradual;
    /* the file's row, and the scan's frame count up by one when the instance is new (not
     * a replacement): one round trip */
    err = arca_file_row_put(imp->db, p, &(arca_file_row_t){pk, name, arca_upload_size(up),
                                                           arca_upload_md5(up), "DICOM", "RAW",
                                                           ""}, ARCA_FILE_ROW_INSTANCE);
    /* its DICOMweb index: the header as DICOM JSON, where the pixel data lies */
    if (!err)
        err = arca_instance_index_put(imp->db, p, pk, name, d);
    if (!err) {
        imp->count++;
        imp->last.archived = 1;
        apr_cpystrn(imp->last.study_uid, in.study_uid ? in.study_uid : "",
                    sizeof imp->last.study_uid);
        apr_cpystrn(imp->last.series_uid, in.series_uid ? in.series_uid : "",
                    sizeof imp->last.series_uid);
        apr_cpystrn(imp->last.sop_uid, in.sop_instance_uid, sizeof imp->last.sop_uid);
    }
done:
    if (err)
        err = arca_error_create(imp->pool, err->status, "%s", err->message);
    apr_pool_destroy(p);
    return err;
}

/* A project objects are routed to: the account must be allowed to edit it (import.h: who),
 * then its de-identification applies, unless the objects had it already. */
static arca_error_t *project_setup(arca_import_t *imp, const char *project,
                                   arca_import_project_t *out)
{
    int allowed = 1, visible = 1;
    arca_error_t *err = imp->mode.check_access
                        ? arca_can_project(imp->db, imp->pool, imp->o.who, project, ARCA_EDIT,
                                           &allowed, &visible)
                        : ARCA_OK;

    if (err)
        return err;
    if (!allowed && visible && imp->o.who == NULL && imp->mode.ask_login)
        return arca_error_create(imp->pool, 401, "%s", ARCA_LOGIN_REQUIRED);
    if (!allowed)
        return arca_error_create(imp->pool, visible ? 403 : 404, "no project to write to");
    if (imp->o.deidentified_for && strcmp(imp->o.deidentified_for, project) == 0)
        return ARCA_OK; /* taken as it is */
    return arca_import_project_deid(imp->db, imp->pool, project, out);
}

/* The project an object goes to: PROJECT_ID, else XNAT's conventions ("Project: P" in
 * Patient or Study Comments, or a project's ID as the Study Description). NULL when none
 * names a project the uploader may write to: the object waits in the prearchive. Read
 * from the headers as received, since de-identification may remove the comments. */
static arca_error_t *project_of(arca_import_t *imp, apr_pool_t *p, arca_dicom_t *d,
                                const arca_dicom_info_t *in, project_t **out)
{
    const char *name = imp->o.project;
    project_t *pr;
    arca_error_t *err;

    if (name == NULL)
        name = arca_routing_apply(imp->o.routing_rules, ARCA_ROUTE_PROJECT, d, p);
    if (name == NULL)
        name = arca_dicom_comment_field(p, in->patient_comments, "Project:");
    if (name == NULL)
        name = arca_dicom_comment_field(p, in->study_comments, "Project:");
    if (name == NULL && in->study_description) {
        char *sd = apr_palloc(p, strlen(in->study_description) + 1);
        apr_collapse_spaces(sd, in->study_description); /* (returns the end) */
        name = sd;
    }
    *out = NULL;
    if (name == NULL || !arca_valid_label(name))
        return ARCA_OK;
    pr = apr_hash_get(imp->projects, name, APR_HASH_KEY_STRING);
    if (pr == NULL) {
        pr = apr_pcalloc(imp->pool, sizeof *pr);
        pr->name = apr_pstrdup(imp->pool, name);
        pr->routable = 1;
        err = project_setup(imp, name, &pr->cfg);
        if (err && (err->status == 403 || err->status == 404) && imp->o.project == NULL)
            pr->routable = 0;
        else if (err)
            return err;
        apr_hash_set(imp->projects, pr->name, APR_HASH_KEY_STRING, pr);
    }
    *out = pr->routable ? pr : NULL;
    return ARCA_OK;
}

/* subject or session from the request, else from the custom rules, else from "Subject: .."
 * / "Session: .." comments */
static const char *routing_name(const arca_import_t *imp, apr_pool_t *p, arca_dicom_t *d,
                                const char *given, arca_route_kind_t kind,
                                const arca_dicom_info_t *in, const char *key)
{
    const char *v = given ? given : arca_routing_apply(imp->o.routing_rules, kind, d, p);

    if (v == NULL)
        v = arca_dicom_comment_field(p, in->patient_comments, key);
    return v ? v : arca_dicom_comment_field(p, in->study_comments, key);
}

/* A UID's replacement: hashUID of the UID salted with the project's secret. */
static arca_error_t *salted_uid(void *salt, apr_pool_t *p, const char *uid, const char **out)
{
    *out = arca_deid_hash_uid(p, apr_pstrcat(p, (const char *)salt, ":", uid, NULL));
    return ARCA_OK;
}

static arca_error_t *run_script(const arca_deid_program *prog, const char *uid_salt,
                                arca_dicom_t *d, apr_hash_t *vars, apr_pool_t *p)
{
    arca_deid_env env = {vars, uid_salt ? salted_uid : NULL, (void *)uid_salt};

    return prog ? arca_deid_run(prog, arca_dicom_deid_ops(), d, &env, p) : ARCA_OK;
}

/* Before an object's first row: a savepoint, so that its own failure undoes only its rows.
 * Objects of a study and series already seen write no row before their file is safely in
 * place, so most objects of an upload need none (two round trips saved each). */
static arca_error_t *savepoint(arca_import_t *imp)
{
    if (imp->savepoint)
        return ARCA_OK;
    imp->savepoint = 1;
    /* objects in transactions of their own: the object's transaction starts here */
    return arca_db_query(imp->db, imp->pool, NULL, imp->mode.own_transactions
                         ? "BEGIN" : "SAVEPOINT arca_object", 0, NULL);
}

/* The first study under a label keeps it; the next ones in one upload get label_2, _3.. */
static const char *study_label(arca_import_t *imp, const char *project, const char *label)
{
    const char *key = apr_pstrcat(imp->pool, project, "|", label, NULL);
    int *n = apr_hash_get(imp->labels, key, APR_HASH_KEY_STRING);

    if (n == NULL) {
        n = apr_pcalloc(imp->pool, sizeof *n);
        apr_hash_set(imp->labels, key, APR_HASH_KEY_STRING, n);
    }
    imp->new_label = n;
    return ++*n == 1 ? apr_pstrdup(imp->pool, label)
                     : apr_psprintf(imp->pool, "%s_%d", label, *n);
}

/* A value made a label (dicom_values.h), or `dflt` when it makes none. */
static const char *label_or(apr_pool_t *p, const char *value, const char *dflt)
{
    const char *label = arca_label_from(p, value);

    return label ? label : dflt;
}

/* A study received into the prearchive: its folder and row. Gradual uploads (one object per
 * request) gather in the project's RECEIVING session of the same study, which becomes READY
 * once idle; the advisory lock keeps two requests of a study from opening two. */
static arca_error_t *prearchive_session(arca_import_t *imp, apr_pool_t *p,
                                        const arca_dicom_info_t *in, const char *project,
                                        const char *subject, const char *label,
                                        const char **dir)
{
    const char *study = in->study_uid ? in->study_uid : "";
    const char *key;
    session_t *s;
    PGresult *res;
    arca_error_t *err;

    /* the project whose de-identification ran (NULL: only the site's) */
    const char *deidentified_for = project;

    project = project ? project : "Unassigned";
    key = apr_pstrcat(p, "P|", project, "|", study, NULL);
    s = apr_hash_get(imp->sessions, key, APR_HASH_KEY_STRING);
    if (s == NULL) {
        if ((err = savepoint(imp)))
            return err;
        s = apr_pcalloc(imp->pool, sizeof *s);
        s->project = apr_pstrdup(imp->pool, project);
        s->timestamp = imp->o.timestamp;
        /* a study without names waits under its UID's digits */
        s->label = study_label(imp, project, label ? label : label_or(p, study, "Unknown"));
        s->subject_label = apr_pstrdup(imp->pool, subject ? subject : "");
        if (imp->mode.gradual
            && ((err = arca_db_query_prepared(imp->db, p, NULL, "arca_import_pre_lock",
                                              "SELECT pg_advisory_xact_lock(hashtext($1 || "
                                              "'|' || $2))", 2,
                                              (const char *const[]){project, study}))
                /* Found, and the object in a transaction of its own (a C-STORE): that
                 * transaction only moves the session's idle clock, so its commit need not
                 * wait for the database's log (set_config, local to the transaction, runs
                 * for the row returned). The file is fsynced, the session's row was
                 * committed durably when it was made; a crash can only set lastmod back,
                 * and the session may then complete that much sooner. */
                || (err = arca_db_query_prepared(imp->db, p, &res, "arca_import_pre_touch",
                                                 "UPDATE arca_prearchive SET lastmod = now() "
                                                 "WHERE id = (SELECT id FROM arca_prearchive "
                                                 "WHERE project = $1 AND study_uid = $2 AND "
                                                 "status = 'RECEIVING' ORDER BY uploaded DESC "
                                                 "LIMIT 1) AND status = 'RECEIVING' "
                                                 "RETURNING timestamp, folder, set_config("
                                                 "'synchronous_commit', CASE WHEN $3::boolean "
                                                 "THEN 'off' ELSE current_setting("
                                                 "'synchronous_commit') END, true)", 3,
                                                 (const char *const[]){project, study,
                                                     imp->mode.own_transactions ? "true"
                                                                                : "false"}))))
            return err;
        if (imp->mode.gradual && PQntuples(res) == 1) {
            s->timestamp = apr_pstrdup(imp->pool, PQgetvalue(res, 0, 0));
            s->label = apr_pstrdup(imp->pool, PQgetvalue(res, 0, 1));
        } else if ((err = arca_db_query(imp->db, p, NULL,
            "INSERT INTO arca_prearchive (project, timestamp, folder, subject, study_uid, "
            "modality, scan_date, status, deidentified_for) VALUES ($1, $2, $3, $4, $5, $6, "
            "$7::date, $8, $9) ON CONFLICT (project, timestamp, folder) DO UPDATE SET "
            "lastmod = now()", 9,
            (const char *const[]){project, s->timestamp, s->label, s->subject_label, study,
                                  in->modality ? in->modality : "",
                                  arca_dicom_sql_date(p, in->study_date),
                                  imp->mode.gradual ? "RECEIVING" : "READY", deidentified_for})))
            return err;
        imp->new_key = apr_pstrdup(imp->pool, key);
        apr_hash_set(imp->sessions, imp->new_key, APR_HASH_KEY_STRING, s);
        APR_ARRAY_PUSH(imp->uris, const char *) = apr_psprintf(imp->pool,
            "/data/prearchive/projects/%s/%s/%s", project, s->timestamp, s->label);
    }
    *dir = apr_psprintf(p, "%s/%s/%s/SCANS/%s/DICOM", project, s->timestamp, s->label,
                        label_or(p, in->series_number, "1"));
    return ARCA_OK;
}

static int upload_write(void *baton, const char *data, size_t len)
{
    writer_t *w = baton;

    return (w->err = arca_upload_write(w->up, data, len)) ? -1 : 0;
}

/* Writes the object to a temp file beside `final` and puts it there (undoably: see
 * placements.h), with its MD5 when `digest`. */
static arca_error_t *place(arca_import_t *imp, apr_pool_t *p, arca_dicom_t *d,
                           const char *tmpdir, const char *final, int digest,
                           arca_upload_t **out, int *bad_object)
{
    arca_upload_t *up;
    writer_t w;
    arca_error_t *err;

    if ((err = arca_upload_begin(p, tmpdir, &up)))
        return err;
    if (!digest)
        arca_upload_no_digest(up);
    w.up = up;
    w.err = NULL;
    if ((err = arca_dicom_write(d, upload_write, &w))) {
        err = w.err ? w.err : err;
        *bad_object = err->status == 400;
        arca_upload_abort(up);
        return err;
    }
    /* one object at a time (a gradual upload, a C-STORE): its own fsyncs cost less than a
     * sync of the whole filesystem, which also flushes everyone else's writes */
    if ((err = arca_placements_put(imp->placed, up, tmpdir, final,
                                   imp->mode.gradual && imp->mode.sync)))
        return err;
    *out = up;
    return ARCA_OK;
}

/* overwrite=delete: the session's scans go (their rows now, their files after the commit,
 * unless the upload brings them again). */
static arca_error_t *clear_session(arca_import_t *imp, apr_pool_t *p, const char *experiment_id)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(imp->db, p, &res,
        "SELECT r.dir || '/' || f.path FROM arca_file f JOIN arca_resource r ON r.pk = "
        "f.resource_pk JOIN arca_scan s ON s.pk = r.scan_pk WHERE s.experiment_id = $1", 1,
        &experiment_id);

    if (err)
        return err;
    for (int i = 0; i < PQntuples(res); i++)
        APR_ARRAY_PUSH(imp->stale, const char *) =
            apr_pstrcat(imp->pool, imp->o.archive, "/", PQgetvalue(res, i, 0), NULL);
    return arca_db_query(imp->db, p, NULL, "DELETE FROM arca_scan WHERE experiment_id = $1", 1,
                         &experiment_id);
}

/* The experiment of a study (and its subject), found or created in this import's
 * transaction; an experiment that was there before meets the overwrite policy. */
static arca_error_t *existing_session(arca_import_t *imp, apr_pool_t *p, session_t *s,
                                      const char *subject_id, const char *experiment_id,
                                      const char *experiment_subject)
{
    if (strcmp(subject_id, experiment_subject) != 0)
        return arca_error_create(imp->pool, 409, "session %s of project %s belongs to another "
                                 "subject", s->label, s->project);
    if (imp->o.overwrite == ARCA_OVERWRITE_NONE)
        return arca_error_create(imp->pool, 409, "session %s already exists in project %s: "
                                 "use overwrite=append to add to it or overwrite=delete to "
                                 "replace it", s->label, s->project);
    s->experiment_id = apr_pstrdup(imp->pool, experiment_id);
    return imp->o.overwrite == ARCA_OVERWRITE_DELETE ? clear_session(imp, p, experiment_id)
                                                     : ARCA_OK;
}

static arca_error_t *session_of(arca_import_t *imp, apr_pool_t *p, const arca_dicom_info_t *in,
                                const char *project, const char *subject, const char *label,
                                session_t **out)
{
    const char *key = apr_pstrcat(p, "A|", project, "|", in->study_uid ? in->study_uid : "",
                                  NULL);
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
    s->project = apr_pstrdup(ip, project);
    s->subject_label = apr_pstrdup(ip, subject);
    s->label = study_label(imp, project, label);
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
    err = arca_db_query(imp->db, p, &res, "SELECT l.experiment_id, e.subject_id FROM "
                        "arca_experiment_label l JOIN arca_experiment e ON e.id = "
                        "l.experiment_id WHERE l.project = $1 AND l.label = $2 FOR UPDATE OF e",
                        2, (const char *const[]){s->project, s->label});
    if (err)
        return err;
    if (PQntuples(res) == 1)
        err = existing_session(imp, p, s, subject_id, PQgetvalue(res, 0, 0),
                               PQgetvalue(res, 0, 1));
    else
        err = arca_experiment_create(imp->db, ip, imp->o.site_id, s->project, subject_id,
                                     s->label, arca_session_xsi(in->modality), NULL, imp->o.user,
                                     &s->experiment_id);
    if (err)
        return err;
    /* what the headers say about the session (after de-identification) */
    err = arca_db_query(imp->db, p, NULL,
        "UPDATE arca_experiment SET date = coalesce($2::date, date), modality = "
        "coalesce(nullif($3, ''), modality), scanner = coalesce(nullif($4, ''), scanner), "
        "uid = coalesce(nullif($5, ''), uid) WHERE id = $1", 5,
        (const char *const[]){s->experiment_id, arca_dicom_sql_date(p, in->study_date), in->modality,
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

static arca_error_t *find_resource(arca_import_t *imp, apr_pool_t *p, const session_t *s,
                                   const arca_dicom_info_t *in, const char **pk,
                                   const char **dir)
{
    const char *scan = label_or(p, in->series_number, "1");
    const char *xsi = arca_scan_xsi(p, arca_session_xsi(in->modality)), *scan_pk;
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

/* ---- archives, within the limits ------------------------------------------------------ */

/* The limits are arca_archive_extract's: its reads count every byte, and a limit crossed
 * fails the extraction whatever a member's import made of the read error. */
static arca_error_t *read_member(void *baton, const void **data, apr_size_t *len)
{
    archive_state *st = baton;

    *data = st->buf;
    return arca_archive_entry_read(st->e, st->buf, CHUNK, len);
}

static arca_error_t *each_member(void *baton, const char *name, apr_off_t size,
                                 arca_archive_entry_t *e)
{
    archive_state *st = baton;

    st->e = e;
    return arca_import_object(st->imp, name, read_member, st);
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

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

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
