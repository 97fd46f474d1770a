/* The audit trail admins read: logins and failures, role and access changes, deletions.
 * Never a password; objects are URIs or logins. */
#ifndef ARCA_AUDIT_H
#define ARCA_AUDIT_H

#include "db/db.h"
#include "format/resultset.h"

/* Records an event; a failure to record is returned (the caller's transaction then fails,
 * so nothing happens unaudited). */
arca_error_t *arca_audit(arca_db_t *db, apr_pool_t *p, const char *actor, const char *action,
                         const char *object, const char *detail, const char *remote);

/* The newest events first, at most `limit`, optionally only those of one action. */
arca_error_t *arca_audit_list(arca_db_t *db, apr_pool_t *p, const char *action, long limit,
                              arca_resultset_t **out);

#endif
