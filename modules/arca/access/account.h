/* Arca accounts: what an authenticated login (local, LDAP, OpenID Connect) maps to. */
#ifndef ARCA_ACCOUNT_H
#define ARCA_ACCOUNT_H

#include <apr_tables.h>

#include "db/db.h"

typedef struct arca_account_t {
    const char *id; /* bigint as text */
    const char *login;
    const char *firstname;
    const char *lastname;
    const char *email;
    int enabled;
    int verified;
    int site_admin;
    int has_password; /* a local password is set (else it logs in through LDAP/OIDC) */
    int data_access;  /* all-data access: 0 none, 1 read, 2 read, edit and delete */
    int non_expiring; /* exempt from password expiry */
    const char *auth_source; /* local, ldap, oidc, external */
} arca_account_t;

/* Finds an account by login. *out is NULL (and no error) when there is none. */
arca_error_t *arca_account_find(arca_db_t *db, apr_pool_t *p, const char *login,
                                arca_account_t **out);

/* Creates an account; `password` may be NULL (no local password). 409 if the login
 * exists, 400 if it is not a valid login. */
arca_error_t *arca_account_create(arca_db_t *db, apr_pool_t *p, const arca_account_t *a,
                                  const char *password);

/* Creates an enabled, verified account, as an administrator adds one (the users API,
 * arcactl): a site admin when `site_admin`; `password` may be NULL. 409 and 400 as
 * arca_account_create(). */
arca_error_t *arca_account_add(arca_db_t *db, apr_pool_t *p, const char *login,
                               const char *password, int site_admin);

/* Sets (or with NULL, removes) the local password, and in the same statement ends what
 * the old one opened: the account's alias tokens and its sessions, except `keep_session`
 * (the id of the session making the change, or NULL), and its failed logins (throttling).
 * 404 if there is no such account. */
arca_error_t *arca_account_set_password(arca_db_t *db, apr_pool_t *p, const char *login,
                                        const char *password, const char *keep_session);

/* The account's credentials generation (sql/0016), which every change of its password,
 * enabled flag or login moves on; -1 when the login has no local password. For a cache of
 * verified passwords to check on each use. */
arca_error_t *arca_account_generation(arca_db_t *db, apr_pool_t *p, const char *login,
                                      apr_int64_t *generation);

/* What a login attempt with a local password came to. */
typedef enum {
    ARCA_LOGIN_OK,
    ARCA_LOGIN_NO_LOCAL_PASSWORD, /* unknown, or logs in elsewhere (LDAP, OIDC) */
    ARCA_LOGIN_WRONG_PASSWORD,
    ARCA_LOGIN_THROTTLED,         /* too many failures from this address: refused for now */
    ARCA_LOGIN_EXPIRED            /* the password is older than the policy allows */
} arca_login_result_t;

typedef struct arca_password_policy_t {
    int throttle_after;      /* failures from one address before it is refused; 0: never */
    long throttle_max;       /* the longest refusal window, seconds */
    long password_max_age;   /* seconds a password is valid; 0: forever */
} arca_password_policy_t;

/* Checks a local password under the site's policy, throttling failures per account and
 * client address (`remote`; access/login_throttle.h); failures, refusals and logins are
 * audited. A throttled address is refused even with the right password, and is to be
 * answered exactly as a wrong password. An unknown login costs the same bcrypt time as a
 * known one (an account without a local password answers at once: it is another
 * provider's to check). `generation` (may be NULL) gets the credentials generation the password was
 * checked under (-1 for none). Runs several statements: call it in a transaction. */
arca_error_t *arca_account_authenticate(arca_db_t *db, apr_pool_t *p, const char *login,
                                        const char *password,
                                        const arca_password_policy_t *policy, const char *remote,
                                        arca_login_result_t *result, apr_int64_t *generation);

/* Checks a login's local password. *ok is 1 only for an enabled account with a local
 * password that matches; *found says whether the login has a local password at all. */
arca_error_t *arca_account_check_password(arca_db_t *db, apr_pool_t *p, const char *login,
                                          const char *password, int *found, int *ok);

/* All logins, sorted. */
arca_error_t *arca_account_logins(arca_db_t *db, apr_pool_t *p, apr_array_header_t **out);

/* Sets one of the account's flags or fields by name: "enabled", "verified", "site_admin",
 * "non_expiring" (value "t"/"f"), "data_access" ("none"/"read"/"edit"), "firstname",
 * "lastname", "email". 404 for an unknown login, 400 for a bad value. */
arca_error_t *arca_account_set(arca_db_t *db, apr_pool_t *p, const char *login,
                               const char *field, const char *value);

/* Counts accounts, for `arcactl status`. */
arca_error_t *arca_account_count(arca_db_t *db, apr_pool_t *p, long *count);

#endif
