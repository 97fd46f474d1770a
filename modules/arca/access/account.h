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

/* Sets (or with NULL, removes) the local password. 404 if there is no such account. */
arca_error_t *arca_account_set_password(arca_db_t *db, apr_pool_t *p, const char *login,
                                        const char *password);

/* What a login attempt with a local password came to. */
typedef enum {
    ARCA_LOGIN_OK,
    ARCA_LOGIN_NO_LOCAL_PASSWORD, /* unknown, or logs in elsewhere (LDAP, OIDC) */
    ARCA_LOGIN_WRONG_PASSWORD,
    ARCA_LOGIN_LOCKED,            /* too many failures: locked until a time */
    ARCA_LOGIN_EXPIRED            /* the password is older than the policy allows */
} arca_login_result_t;

typedef struct arca_password_policy_t {
    int lockout_threshold;   /* failures in a row that lock the account; 0: never */
    long lockout_seconds;    /* how long a lock lasts */
    long password_max_age;   /* seconds a password is valid; 0: forever */
} arca_password_policy_t;

/* Checks a local password under the site's policy, counting failures and locking the
 * account when they reach the threshold; every failure and lock is audited (`remote`: the
 * client's address). A locked account is refused even with the right password. */
arca_error_t *arca_account_authenticate(arca_db_t *db, apr_pool_t *p, const char *login,
                                        const char *password,
                                        const arca_password_policy_t *policy, const char *remote,
                                        arca_login_result_t *result);

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
