/* The site's user list as XNAT's /data/users serves it. */
#ifndef ARCA_USER_LIST_H
#define ARCA_USER_LIST_H

#include "db/db.h"
#include "format/resultset.h"

/* The enabled accounts (or, with `login`, that one only) as XNAT's table: xdat_user_id,
 * login, firstname, lastname, email, sorted by last name. Asking who may see it is the
 * caller's part (arca_may_list_users). */
arca_error_t *arca_user_list(arca_db_t *db, apr_pool_t *p, const char *login,
                             arca_resultset_t **out);

#endif
