/* Login throttling in PostgreSQL (see login_throttle.h for the rules). */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <apr_strings.h>

#include "access/login_throttle.h"

#define FIRST_WINDOW 2 /* seconds */

/* How long an address stays trusted after a login, and failures remembered after the
 * last one: SQL intervals. */
#define TRUSTED_FOR "interval '7 days'"
#define FAILURES_FORGOTTEN_AFTER "interval '1 day'"

const char *arca_throttle_source(apr_pool_t *p, const char *remote)
{
    unsigned char a[16];
    char text[INET6_ADDRSTRLEN];

    if (remote == NULL)
        return "";
    if (strchr(remote, ':') == NULL || inet_pton(AF_INET6, remote, a) != 1)
        return remote;
    /* an IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) stays one address */
    if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
        return remote;
    memset(a + 8, 0, 8);
    if (inet_ntop(AF_INET6, a, text, sizeof text) == NULL)
        return remote;
    return apr_pstrcat(p, text, "/64", NULL);
}

long arca_throttle_window(int after, long max_seconds, int failures)
{
    long window = FIRST_WINDOW;

    if (after <= 0 || failures < after || max_seconds <= 0)
        return 0;
    for (int i = after; i < failures && window < max_seconds; i++)
        window *= 2;
    return window < max_seconds ? window : max_seconds;
}

arca_error_t *arca_throttle_refused(arca_db_t *db, apr_pool_t *p, const char *account_id,
                                    const char *source, int *refused)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "SELECT 1 FROM arca_login_throttle WHERE account_id = $1::bigint AND source = $2 "
        "AND blocked_until > now() AND coalesce(last_success_at < now() - " TRUSTED_FOR
        ", true)", 2, (const char *const[]){account_id, source});

    *refused = !err && PQntuples(res) > 0;
    return err;
}

arca_error_t *arca_throttle_failure(arca_db_t *db, apr_pool_t *p, const char *account_id,
                                    const char *source, int after, long max_seconds,
                                    long *window)
{
    PGresult *res;
    arca_error_t *err;
    const char *params[3] = {account_id, source, NULL};

    *window = 0;
    /* rows of addresses silent for a week go, so the table stays the size of what is
     * going on */
    if ((err = arca_db_query(db, p, NULL, "DELETE FROM arca_login_throttle WHERE account_id "
                             "= $1::bigint AND source <> $2 AND greatest(last_failure_at, "
                             "last_success_at) < now() - " TRUSTED_FOR, 2, params)))
        return err;
    err = arca_db_query(db, p, &res,
        "INSERT INTO arca_login_throttle AS t (account_id, source, failures, last_failure_at) "
        "VALUES ($1::bigint, $2, 1, now()) ON CONFLICT (account_id, source) DO UPDATE SET "
        "failures = CASE WHEN t.last_failure_at < now() - " FAILURES_FORGOTTEN_AFTER
        " THEN 1 ELSE t.failures + 1 END, last_failure_at = now() RETURNING failures", 2,
        params);
    if (err)
        return err;
    *window = arca_throttle_window(after, max_seconds, atoi(PQgetvalue(res, 0, 0)));
    if (*window == 0)
        return ARCA_OK;
    params[2] = apr_ltoa(p, *window);
    return arca_db_query(db, p, NULL, "UPDATE arca_login_throttle SET blocked_until = "
                         "last_failure_at + make_interval(secs => $3::bigint) "
                         "WHERE account_id = $1::bigint AND source = $2", 3, params);
}

arca_error_t *arca_throttle_success(arca_db_t *db, apr_pool_t *p, const char *account_id,
                                    const char *source)
{
    return arca_db_query(db, p, NULL,
        "INSERT INTO arca_login_throttle (account_id, source, last_success_at) "
        "VALUES ($1::bigint, $2, now()) ON CONFLICT (account_id, source) DO UPDATE SET "
        "failures = 0, blocked_until = NULL, last_success_at = now()", 2,
        (const char *const[]){account_id, source});
}
