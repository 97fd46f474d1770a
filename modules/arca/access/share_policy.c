/* A project's share policy, a column of arca_project (sql/0018). */
#include <string.h>

#include <apr_strings.h>

#include "access/share_policy.h"

arca_error_t *arca_share_policy_get(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char **policy)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT share_policy FROM arca_project "
                                      "WHERE id = $1", 1, &project);

    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "no project '%s'", project);
    *policy = apr_pstrdup(p, PQgetvalue(res, 0, 0));
    return ARCA_OK;
}

arca_error_t *arca_share_policy_set(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char *policy)
{
    PGresult *res;
    arca_error_t *err;

    if (strcmp(policy, "owners") != 0 && strcmp(policy, "members") != 0)
        return arca_error_create(p, 400, "share policy '%s': use owners or members", policy);
    err = arca_db_query(db, p, &res, "UPDATE arca_project SET share_policy = $2 WHERE id = $1 "
                        "RETURNING 1", 2, (const char *const[]){project, policy});
    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "no project '%s'", project);
    return ARCA_OK;
}
