/* The site's user list, XNAT's columns: only what any logged-in user may see of others
 * (never roles, flags or how the account logs in). */
#include "access/user_list.h"

arca_error_t *arca_user_list(arca_db_t *db, apr_pool_t *p, const char *login,
                             arca_resultset_t **out)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "SELECT id::text AS xdat_user_id, login, firstname, lastname, email "
        "FROM arca_account WHERE enabled AND ($1::text IS NULL OR login = $1) "
        "ORDER BY lower(lastname), login", 1, &login);

    if (!err)
        *out = arca_resultset_from_pg(p, "Users", res);
    return err;
}
