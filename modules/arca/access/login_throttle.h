/* Failed logins throttled per account and client address. After `after` failures from one
 * address, that address is refused for that account (answered as a wrong password) for a
 * window that starts at 2 seconds and doubles with each further failure, up to a maximum.
 * Attempts refused meanwhile are not counted. An address that logged in to the account
 * within the last week is never refused; failures are forgotten a day after the last one.
 * The refusal is a fast answer, never a sleep holding a worker. */
#ifndef ARCA_LOGIN_THROTTLE_H
#define ARCA_LOGIN_THROTTLE_H

#include "db/db.h"

/* The address as throttling counts it: IPv4 as it is, IPv6 by its /64 (one client may
 * hold all of those). */
const char *arca_throttle_source(apr_pool_t *p, const char *remote);

/* Seconds an address is refused after its `failures`-th failure in a row: 0 below `after`
 * (and always for after 0), then 2, 4, 8 ... up to `max_seconds`. */
long arca_throttle_window(int after, long max_seconds, int failures);

/* *refused: the address is in a refusal window for the account (bigint id as text). */
arca_error_t *arca_throttle_refused(arca_db_t *db, apr_pool_t *p, const char *account_id,
                                    const char *source, int *refused);

/* Counts a failure; *window: the seconds of refusal it started (0: none). */
arca_error_t *arca_throttle_failure(arca_db_t *db, apr_pool_t *p, const char *account_id,
                                    const char *source, int after, long max_seconds,
                                    long *window);

/* A login from the address: its failures are forgotten and it is trusted for a week. */
arca_error_t *arca_throttle_success(arca_db_t *db, apr_pool_t *p, const char *account_id,
                                    const char *source);

#endif
