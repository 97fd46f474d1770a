/* Project aliases (project_alias.h). */
#include <apr_strings.h>

#include "model/project_alias.h"

arca_error_t *arca_project_resolve(arca_db_t *db, apr_pool_t *p, const char *name,
                                   const char **id)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "SELECT id FROM arca_project WHERE id = $1 "
        "UNION ALL SELECT project FROM arca_project_alias WHERE alias = $1 LIMIT 1", 1, &name);

    *id = !err && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : NULL;
    return err;
}

arca_error_t *arca_project_aliases(arca_db_t *db, apr_pool_t *p, const char *project,
                                   const PGresult **rows)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT alias, source FROM "
                                      "arca_project_alias WHERE project = $1 ORDER BY alias",
                                      1, &project);

    *rows = err ? NULL : res;
    return err;
}

arca_error_t *arca_project_alias_add(arca_db_t *db, apr_pool_t *p, const char *project,
                                     const char *alias, const char *source)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "INSERT INTO arca_project_alias (alias, project, source) "
        "SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM arca_project WHERE id = $1) "
        "ON CONFLICT (alias) DO UPDATE SET source = EXCLUDED.source "
        "WHERE arca_project_alias.project = EXCLUDED.project RETURNING 1", 3,
        (const char *const[]){alias, project, source ? source : ""});

    if (err && err->status == 400)
        return arca_error_create(p, 400, "'%s' is not a valid project alias: use up to 64 "
                                 "letters, digits, '_' or '-', starting with a letter or "
                                 "digit", alias);
    if (!err && PQntuples(res) == 0)
        return arca_error_create(p, 409, "'%s' is already a project's ID or another "
                                 "project's alias", alias);
    return err;
}
