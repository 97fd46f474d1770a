/* The rows of arca_file (see file_rows.h). */
#include <stdlib.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "model/file_set.h"
#include "store/file_rows.h"

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

arca_error_t *arca_file_row_put(arca_db_t *db, apr_pool_t *p, const arca_file_row_t *row,
                                arca_file_row_mode_t mode)
{
    const char *params[7] = {row->resource_pk, row->path, apr_off_t_toa(p, row->size),
                             or_empty(row->digest), or_empty(row->format),
                             or_empty(row->content), or_empty(row->tags)};

    if (mode == ARCA_FILE_ROW_INSTANCE)
        /* xmax = 0: the row was inserted, not updated (a new instance, not one sent again) */
        return arca_db_query_prepared(db, p, NULL, "arca_file_row_instance",
            "WITH f AS (INSERT INTO arca_file (resource_pk, path, size, digest, format, "
            "content, tags) VALUES ($1::bigint, $2, $3::bigint, $4, $5, $6, $7) "
            "ON CONFLICT (resource_pk, path) DO UPDATE SET size = EXCLUDED.size, "
            "digest = EXCLUDED.digest, insert_date = now() RETURNING xmax = 0 AS new) "
            "UPDATE arca_scan SET frames = coalesce(frames, 0) + 1 WHERE pk = (SELECT scan_pk "
            "FROM arca_resource WHERE pk = $1::bigint) AND (SELECT new FROM f)", 7, params);
    return arca_db_query(db, p, NULL,
        "INSERT INTO arca_file (resource_pk, path, size, digest, format, content, tags) "
        "VALUES ($1::bigint, $2, $3::bigint, $4, $5, $6, $7) ON CONFLICT (resource_pk, path) "
        "DO UPDATE SET size = EXCLUDED.size, digest = EXCLUDED.digest, format = "
        "EXCLUDED.format, content = EXCLUDED.content, tags = EXCLUDED.tags, insert_date = now()",
        7, params);
}

arca_error_t *arca_file_exists(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                               const char *path, int *exists)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT 1 FROM arca_file WHERE "
                                      "resource_pk = $1::bigint AND path = $2", 2,
                                      (const char *const[]){resource_pk, path});

    *exists = !err && PQntuples(res) > 0;
    return err;
}

arca_error_t *arca_file_delete(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                               const char *path)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "DELETE FROM arca_file WHERE resource_pk = "
                                      "$1::bigint AND path = $2 RETURNING 1", 2,
                                      (const char *const[]){resource_pk, path});

    if (!err && PQntuples(res) == 0)
        return arca_error_create(p, 404, "Not Found: no file '%s'", path);
    return err;
}

arca_error_t *arca_resource_files(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                                  apr_array_header_t **rows)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "SELECT path, size, digest, format, content, tags FROM arca_file "
        "WHERE resource_pk = $1::bigint ORDER BY path", 1, &resource_pk);

    if (err)
        return err;
    *rows = apr_array_make(p, PQntuples(res), sizeof(arca_file_row_t));
    for (int i = 0; i < PQntuples(res); i++) {
        arca_file_row_t *f = apr_array_push(*rows);
        f->resource_pk = resource_pk;
        f->path = PQgetvalue(res, i, 0);
        f->size = (apr_off_t)strtoll(PQgetvalue(res, i, 1), NULL, 10);
        f->digest = PQgetvalue(res, i, 2);
        f->format = PQgetvalue(res, i, 3);
        f->content = PQgetvalue(res, i, 4);
        f->tags = PQgetvalue(res, i, 5);
    }
    return ARCA_OK;
}

/* Every file below the zipped object, with the labels its member name is made of. */
static const char files_below_sql[] =
    "SELECT CASE WHEN r.project IS NOT NULL THEN 'p' WHEN r.subject_id IS NOT NULL THEN 's' "
    "  ELSE 'e' END, coalesce(r.project, sj.project), sjl.label, el.label, sesl.label, rs.id, "
    "  r.label, o.path, r.dir || '/' || o.path, rs.type, rx.id "
    "FROM arca_file o JOIN arca_resource r ON r.pk = o.resource_pk "
    "LEFT JOIN arca_scan rs ON rs.pk = r.scan_pk "
    "LEFT JOIN arca_reconstruction rx ON rx.pk = r.recon_pk "
    "LEFT JOIN arca_experiment e ON e.id = coalesce(r.experiment_id, rs.experiment_id, "
    "  rx.experiment_id) "
    "LEFT JOIN arca_experiment_label el ON el.experiment_id = e.id AND el.is_primary "
    "LEFT JOIN arca_experiment_label sesl ON sesl.experiment_id = e.session_id "
    "  AND sesl.is_primary "
    "LEFT JOIN arca_subject sj ON sj.id = coalesce(r.subject_id, e.subject_id) "
    "LEFT JOIN arca_subject_label sjl ON sjl.subject_id = sj.id AND sjl.is_primary "
    "WHERE r.pk IN (";

/* A scan's folder: its ID, or in a scan set's zip XNAT's "{ID}-{type}", the type's
 * characters other than letters, digits, '-', '_' and '.' made '_'. */
static const char *scan_dir(apr_pool_t *p, const PGresult *res, int i, int typed)
{
    const char *id = PQgetvalue(res, i, 5);
    char *type;

    if (!typed || PQgetisnull(res, i, 9) || !*PQgetvalue(res, i, 9))
        return id;
    type = apr_pstrdup(p, PQgetvalue(res, i, 9));
    for (char *c = type; *c; c++)
        if (!apr_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
            *c = '_';
    return apr_pstrcat(p, id, "-", type, NULL);
}

/* A member's name, relative to the zipped level, always ending in
 * resources/{R}/files/{path} (what pyxnat's Resource.get looks for), laid out like the
 * archive so that no two files of one zip can share a name:
 *   session level:  {session}[/assessors/{A}][/scans/{N}|/reconstructions/{X}/out]
 *                   /resources/{R}/files/{path}
 *                   (a scan set's: {session}/scans/{N}-{type}/resources/...)
 *   subject level:  {subject}/resources/... or {subject}/experiments/{session...}
 *   project level:  {project}/resources/..., {project}/subjects/{subject...} */
static const char *member_name(apr_pool_t *p, const PGresult *res, int i, arca_kind_t level,
                               int typed)
{
    const char *owner = PQgetvalue(res, i, 0), *project = PQgetvalue(res, i, 1);
    const char *subject = PQgetvalue(res, i, 2), *tail;
    const char *files = apr_pstrcat(p, "resources/", PQgetvalue(res, i, 6), "/files/",
                                    PQgetvalue(res, i, 7), NULL);

    if (*owner == 'p')
        return apr_pstrcat(p, project, "/", files, NULL);
    if (*owner == 's')
        tail = apr_pstrcat(p, subject, "/", files, NULL);
    else {
        const char *session = PQgetisnull(res, i, 4) ? PQgetvalue(res, i, 3)
            : apr_pstrcat(p, PQgetvalue(res, i, 4), "/assessors/", PQgetvalue(res, i, 3),
                          NULL);
        if (!PQgetisnull(res, i, 10))
            session = apr_pstrcat(p, session, "/reconstructions/", PQgetvalue(res, i, 10),
                                  "/out", NULL);
        tail = apr_pstrcat(p, session, PQgetisnull(res, i, 5) ? "" : "/scans/",
                           PQgetisnull(res, i, 5) ? "" : scan_dir(p, res, i, typed), "/",
                           files, NULL);
        if (level == ARCA_KIND_SUBJECT || level == ARCA_KIND_PROJECT)
            tail = apr_pstrcat(p, subject, "/experiments/", tail, NULL);
    }
    return level == ARCA_KIND_PROJECT ? apr_pstrcat(p, project, "/subjects/", tail, NULL)
                                      : tail;
}

typedef struct {
    const char *values[4];
    int n;
    apr_pool_t *p;
} set_params_t;

static const char *set_param(void *baton, const char *value)
{
    set_params_t *sp = baton;

    if (sp->n == 4)
        return "NULL::text"; /* four is more than any location takes */
    sp->values[sp->n++] = value;
    return apr_psprintf(sp->p, "$%d", sp->n);
}

arca_error_t *arca_files_below(arca_db_t *db, apr_pool_t *p, const arca_location_t *loc,
                               apr_array_header_t **files)
{
    set_params_t sp = {{NULL}, 0, p};
    const char *sql;
    arca_kind_t level;
    PGresult *res;
    arca_error_t *err;

    /* the level the member names start from: a scan set's is its session */
    level = loc->resource_pk ? ARCA_KIND_RESOURCE
            : loc->scan_set ? ARCA_KIND_EXPERIMENT : loc->owner;
    sql = apr_pstrcat(p, files_below_sql, arca_file_set_sql(p, loc, set_param, &sp),
                      ") ORDER BY 9", NULL);
    if ((err = arca_db_query(db, p, &res, sql, sp.n, sp.values)))
        return err;
    *files = apr_array_make(p, PQntuples(res), sizeof(arca_file_below_t));
    for (int i = 0; i < PQntuples(res); i++) {
        arca_file_below_t *f = apr_array_push(*files);
        f->member = member_name(p, res, i, level, loc->scan_set != NULL);
        f->disk_path = PQgetvalue(res, i, 8);
    }
    return ARCA_OK;
}

arca_error_t *arca_first_dicom_file(arca_db_t *db, apr_pool_t *p, const char *experiment_id,
                                    const char *scan_pk, const char **disk_path)
{
    const char *params[2] = {experiment_id, scan_pk};
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "SELECT r.dir || '/' || f.path FROM arca_scan s JOIN arca_resource r ON r.scan_pk = "
        "s.pk JOIN arca_file f ON f.resource_pk = r.pk WHERE s.experiment_id = $1 AND "
        "($2::bigint IS NULL OR s.pk = $2::bigint) AND (r.label = 'DICOM' OR r.format = "
        "'DICOM' OR f.format = 'DICOM') ORDER BY CASE WHEN s.id ~ '^[0-9]{1,9}$' THEN "
        "s.id::integer END NULLS LAST, s.id, r.label, f.path LIMIT 1", 2, params);

    if (err)
        return err;
    *disk_path = PQntuples(res) ? PQgetvalue(res, 0, 0) : NULL;
    return ARCA_OK;
}
