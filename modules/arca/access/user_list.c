/* The site's user list, XNAT's columns: only what any logged-in user may see of others
 * (never roles, flags or how the account logs in). */
#include "access/user_list.h"
#include "format/row_stream.h"

arca_error_t *arca_user_list(arca_db_t *db, apr_pool_t *p, const char *login,
                             arca_resultset_t **out)
{
    return arca_query_resultset(db, p, "Users",
        "SELECT id::text AS xdat_user_id, login, firstname, lastname, email "
        "FROM arca_account WHERE enabled AND ($1::text IS NULL OR login = $1) "
        "ORDER BY lower(lastname), login", 1, &login, out);
}
