/* The configuration service in PostgreSQL. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "model/config_store.h"
#include "format/row_stream.h"

#define CURRENT "tool = $1 AND path = $2 AND project IS NOT DISTINCT FROM $3"

arca_error_t *arca_config_get(arca_db_t *db, apr_pool_t *p, const char *tool,
                              const char *path, const char *project, arca_config_t **out)
{
    PGresult *res;
    arca_config_t *c;
    arca_error_t *err = arca_db_query(db, p, &res,
        "SELECT contents, status, reason, author, to_char(created_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD HH24:MI:SS'), version FROM arca_config WHERE " CURRENT
        " ORDER BY version DESC LIMIT 1", 3, (const char *const[]){tool, path, project});

    *out = NULL;
    if (err || PQntuples(res) == 0)
        return err;
    c = apr_pcalloc(p, sizeof *c);
    c->tool = tool;
    c->path = path;
    c->project = project;
    c->contents = PQgetvalue(res, 0, 0);
    c->status = PQgetvalue(res, 0, 1);
    c->reason = PQgetvalue(res, 0, 2);
    c->author = PQgetvalue(res, 0, 3);
    c->created = PQgetvalue(res, 0, 4);
    c->version = atoi(PQgetvalue(res, 0, 5));
    *out = c;
    return ARCA_OK;
}

static arca_error_t *check_status(apr_pool_t *p, const char *status)
{
    if (status && strcmp(status, "enabled") && strcmp(status, "disabled"))
        return arca_error_create(p, 400, "status '%s': use enabled or disabled", status);
    return ARCA_OK;
}

arca_error_t *arca_config_put(arca_db_t *db, apr_pool_t *p, const char *tool,
                              const char *path, const char *project, const char *contents,
                              const char *status, const char *reason, const char *author,
                              int *version)
{
    PGresult *res;
    arca_error_t *err = check_status(p, status);

    if (err)
        return err;
    /* the next version; concurrent writers of one document meet at the unique key (409) */
    err = arca_db_query(db, p, &res,
        "INSERT INTO arca_config (tool, path, project, version, contents, status, reason, "
        "author) SELECT $1, $2, $3, coalesce(max(version), 0) + 1, $4, coalesce($5, "
        "(SELECT status FROM arca_config WHERE " CURRENT " ORDER BY version DESC LIMIT 1), "
        "'enabled'), $6, $7 FROM arca_config WHERE " CURRENT " RETURNING version", 7,
        (const char *const[]){tool, path, project, contents, status, reason ? reason : "",
                              author ? author : ""});
    if (err && err->status == 400)
        return arca_error_create(p, 400, "a configuration tool or path may hold only letters, "
                                 "digits and _ . / -");
    if (!err)
        *version = atoi(PQgetvalue(res, 0, 0));
    return err;
}

arca_error_t *arca_config_set_status(arca_db_t *db, apr_pool_t *p, const char *tool,
                                     const char *path, const char *project,
                                     const char *status)
{
    PGresult *res;
    arca_error_t *err = check_status(p, status);

    if (err)
        return err;
    err = arca_db_query(db, p, &res,
        "UPDATE arca_config SET status = $4 WHERE id = (SELECT id FROM arca_config WHERE "
        CURRENT " ORDER BY version DESC LIMIT 1) RETURNING 1", 4,
        (const char *const[]){tool, path, project, status});
    if (!err && PQntuples(res) == 0)
        return arca_error_create(p, 404, "Not Found: no configuration %s/%s", tool, path);
    return err;
}

arca_error_t *arca_config_history(arca_db_t *db, apr_pool_t *p, const char *tool,
                                  const char *path, const char *project, int all,
                                  arca_resultset_t **out)
{
    /* the table's version, a number: a bare "version" is the text output column */
    return arca_query_resultset(db, p, "Configuration",
        "SELECT tool, path, coalesce(project, '') AS project, author AS \"user\", "
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS create_date, "
        "reason, contents, 'false' AS unversioned, version::text AS version, status "
        "FROM arca_config WHERE " CURRENT " ORDER BY arca_config.version DESC LIMIT $4::int",
        4,
        (const char *const[]){tool, path, project, all ? "1000000" : "1"}, out);
}
