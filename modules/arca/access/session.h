/* Server-side sessions (XNAT's JSESSIONID): a random id in a cookie, its SHA-256 in
 * PostgreSQL, so every httpd node over the database knows every session. A session ends
 * when closed or after its idle time. */
#ifndef ARCA_SESSION_H
#define ARCA_SESSION_H

#include "db/db.h"

arca_error_t *arca_session_open(arca_db_t *db, apr_pool_t *p, const char *login,
                                const char **id, const char **csrf);

/* The session's user and CSRF token, if the session exists and was used within
 * `idle_seconds`; its last use is moved on (at most once a minute, to spare writes).
 * *login is NULL for no such session. */
arca_error_t *arca_session_check(arca_db_t *db, apr_pool_t *p, const char *id,
                                 long idle_seconds, const char **login, const char **csrf);

arca_error_t *arca_session_close(arca_db_t *db, apr_pool_t *p, const char *id);

#endif
