/* mod_arca's public interface: what the other Arca modules, and third-party modules,
 * get from the core. Everything here is an APR optional function, retrieved in the
 * optional_fn_retrieve hook, so a module built against this header loads whether or not
 * mod_arca is there and can say clearly when it is not. */
#ifndef MOD_ARCA_H
#define MOD_ARCA_H

#include <httpd.h>
#include <apr_optional.h>

#include "base/arca.h"
#include "db/db.h"
#include "access/account.h"

/* Every Arca log line starts with its own number, like httpd's APLOGNO ("AH00001: "),
 * so admins can grep for it and docs can name it. Ranges: 100xx mod_arca, 101xx
 * mod_arca_rest, 102xx mod_arca_authz, 103xx mod_arca_dicom. */
#define ARCA_LOGNO(n) "ARCA" #n ": "

/* How logins made elsewhere (LDAP, OpenID Connect, other httpd authn modules) become Arca
 * accounts: ArcaAutoEnable, ArcaAutoVerify, ArcaLoginClaim and ArcaClaim*. The names are
 * of request environment variables (r->subprocess_env); NULL means the default. */
typedef struct arca_login_policy_t {
    int auto_enable;           /* a new account starts enabled (default 1) */
    int auto_verify;           /* a new account starts verified (default 1) */
    const char *login_var;     /* the login; NULL: REMOTE_USER */
    const char *issuer_var;    /* with login_var: login is "<login>@<issuer host>" */
    const char *firstname_var; /* NULL: the login source's usual attribute or claim */
    const char *lastname_var;
    const char *email_var;
} arca_login_policy_t;

/* What the core knows about the site, from ArcaSiteId, ArcaArchive, ArcaPrearchive,
 * ArcaPrearchiveIdle and the login policy directives. */
typedef struct arca_site_t {
    const char *site_id;
    const char *archive;
    const char *prearchive;
    int prearchive_idle;       /* seconds without a new object before a session is complete */
    arca_login_policy_t login;
} arca_site_t;

/* The request's site configuration. Never NULL. */
APR_DECLARE_OPTIONAL_FN(const arca_site_t *, arca_site_get, (request_rec *r));

/* The site configuration of a server (for modules that work outside requests, like the
 * DICOM listener), and in *conninfo its ArcaDatabase. Filled in by mod_arca's post_config:
 * call it from a post_config hook ordered after mod_arca's. */
APR_DECLARE_OPTIONAL_FN(const arca_site_t *, arca_server_site,
                        (server_rec *s, const char **conninfo));

/* The request's database connection, taken from the process's pool on first use and
 * given back when the request ends (a broken one is dropped, not given back). 503 when
 * the database is unavailable. */
APR_DECLARE_OPTIONAL_FN(arca_error_t *, arca_request_db, (request_rec *r, arca_db_t **db));

/* The Arca account of the authenticated user (r->user, set by whichever httpd authn
 * module authenticated the request). *account is NULL for an anonymous request or a user
 * with no Arca account. Looked up once per request. */
APR_DECLARE_OPTIONAL_FN(arca_error_t *, arca_request_account,
                        (request_rec *r, const arca_account_t **account));

/* Tells the core which account the request's user is, once a module has mapped it (the
 * account gate of mod_arca_authz, for logins made elsewhere): arca_request_account() then
 * answers it without a query. */
APR_DECLARE_OPTIONAL_FN(void, arca_request_set_account,
                        (request_rec *r, const arca_account_t *account));

/* The local-password policy in force for the request (ArcaLoginThrottleAfter,
 * ArcaLoginThrottleMax, ArcaPasswordMaxAge), from mod_arca_authz, for modules that check a
 * password themselves (the form login). */
APR_DECLARE_OPTIONAL_FN(void, arca_password_policy,
                        (request_rec *r, arca_password_policy_t *policy));

/* Seconds a session lives unused (ArcaSessionIdleTimeout), from mod_arca_authz, for the
 * web pages' auto-logout countdown. */
APR_DECLARE_OPTIONAL_FN(long, arca_session_idle_seconds, (request_rec *r));

/* A module that fails a request because the database is unavailable, but cannot choose
 * the status itself (an authn provider can only return AUTH_GENERAL_ERROR, which httpd
 * answers with 500), sets this note; mod_arca then answers 503 with a clear body. */
#define ARCA_NOTE_DB_UNAVAILABLE "arca-db-unavailable"

#endif
