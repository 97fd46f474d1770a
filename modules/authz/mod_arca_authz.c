/* mod_arca_authz: Arca's own logins for httpd.
 * - The authn provider `arca` (AuthBasicProvider arca): local passwords, under the
 *   throttling and expiry policy, and alias tokens (alias:secret). An account without a
 *   local password answers "not found", so httpd goes on to the next provider (ldap).
 * - Server-side sessions: a JSESSIONID cookie authenticates a request before Basic auth
 *   is looked at. Changes must not come from another site (csrf_rule.c).
 * - The account gate (account_gate.c) and the Require providers (require.c). */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_request.h>
#include <mod_auth.h>
#include <http_core.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "credential_cache.h"
#include "csrf_rule.h"
#include "directive_parse.h"
#include "access/account.h"
#include "access/secret.h"
#include "access/session.h"
#include "access/token.h"
#include "account_gate.h"
#include "require.h"

extern module AP_MODULE_DECLARE_DATA arca_authz_module;
APLOG_USE_MODULE(arca_authz);

#define DEFAULT_CACHE_SECONDS 300

typedef struct {
    int cache_seconds;           /* ArcaAuthCacheTimeout; -1 unset */
    int throttle_after;          /* ArcaLoginThrottleAfter (ArcaLockoutThreshold); -1 unset */
    int throttle_max;            /* ArcaLoginThrottleMax (ArcaLockoutDuration) */
    int password_max_age_days;   /* ArcaPasswordMaxAge */
    int session_idle_seconds;    /* ArcaSessionIdleTimeout */
    credential_cache *cache;
} authz_conf;

#define DEFAULT_THROTTLE_AFTER 5
#define DEFAULT_THROTTLE_MAX 300
#define DEFAULT_SESSION_IDLE 900 /* XNAT's default: 15 minutes */

#define SET_OR(v, dflt) ((v) >= 0 ? (v) : (dflt))

static authz_conf *conf_of(server_rec *s)
{
    return ap_get_module_config(s->module_config, &arca_authz_module);
}

static authn_status db_unavailable(request_rec *r, const arca_error_t *err, const char *login)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARCA_LOGNO(10201)
                  "cannot check the credentials of '%s': %s", login, err->message);
    if (err->status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->notes, ARCA_NOTE_DB_UNAVAILABLE, "1");
        ap_custom_response(r, HTTP_INTERNAL_SERVER_ERROR,
                           "the database is unavailable; try again shortly\n");
    }
    return AUTH_GENERAL_ERROR;
}

/* alias:secret of an alias token. The user is then the token's owner: r->user is set to
 * that login, so that everything after (the account gate, REMOTE_USER) sees the person. */
static authn_status check_token(request_rec *r, arca_db_t *db, const char *alias,
                                const char *secret)
{
    arca_token_t *t;
    arca_error_t *err = arca_token_check(db, r->pool, alias, secret, &t);

    if (err)
        return db_unavailable(r, err, alias);
    if (t == NULL)
        return AUTH_DENIED;
    r->user = apr_pstrdup(r->pool, t->login);
    apr_table_setn(r->notes, "arca-token", t->alias);
    return AUTH_GRANTED;
}

static void arca_password_policy(request_rec *r, arca_password_policy_t *policy)
{
    authz_conf *conf = conf_of(r->server);

    policy->throttle_after = SET_OR(conf->throttle_after, DEFAULT_THROTTLE_AFTER);
    policy->throttle_max = SET_OR(conf->throttle_max, DEFAULT_THROTTLE_MAX);
    policy->password_max_age = (long)SET_OR(conf->password_max_age_days, 0) * 86400;
}

static long arca_session_idle_seconds(request_rec *r)
{
    return SET_OR(conf_of(r->server)->session_idle_seconds, DEFAULT_SESSION_IDLE);
}

static authn_status check_password(request_rec *r, const char *login, const char *password)
{
    authz_conf *conf = conf_of(r->server);
    arca_password_policy_t policy;
    arca_login_result_t result;
    apr_int64_t cached, current;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db)))
        return db_unavailable(r, err, login);
    if (arca_token_is_alias(login))
        return check_token(r, db, login, password);
    /* a remembered password counts while the account's credentials are unchanged */
    if (credential_cache_check(conf->cache, login, password, &cached)) {
        if ((err = arca_account_generation(db, r->pool, login, &current)))
            return db_unavailable(r, err, login);
        if (current == cached)
            return AUTH_GRANTED;
    }
    arca_password_policy(r, &policy);
    /* the attempt's bookkeeping (throttling, audit) is one transaction */
    err = arca_db_begin(db, r->pool);
    if (!err)
        err = arca_account_authenticate(db, r->pool, login, password, &policy,
                                         r->useragent_ip, &result, &current);
    if (!err)
        err = arca_db_commit(db, r->pool);
    if (err) {
        arca_db_rollback(db, r->pool);
        return db_unavailable(r, err, login);
    }
    switch (result) {
    case ARCA_LOGIN_OK:
        credential_cache_put(conf->cache, login, password, current);
        return AUTH_GRANTED;
    case ARCA_LOGIN_NO_LOCAL_PASSWORD:
        return AUTH_USER_NOT_FOUND;
    case ARCA_LOGIN_EXPIRED:
        ap_custom_response(r, HTTP_UNAUTHORIZED, "the password of this account has expired; "
                           "ask an administrator to set a new one");
        return AUTH_DENIED;
    default: /* a wrong password, or throttled: the same answer, so neither tells */
        return AUTH_DENIED;
    }
}

/* ---- sessions ---------------------------------------------------------------------------- */

/* The JSESSIONID cookie's value, if the request has one. */
static const char *session_cookie(request_rec *r)
{
    const char *cookies = apr_table_get(r->headers_in, "Cookie"), *p;

    for (p = cookies; p && (p = strstr(p, "JSESSIONID=")) != NULL; p += 11) {
        if (p == cookies || p[-1] == ' ' || p[-1] == ';') {
            const char *v = p + 11;
            return apr_pstrndup(r->pool, v, strcspn(v, "; "));
        }
    }
    return NULL;
}

/* A request with a live session cookie and no Authorization header is that session's
 * user; this runs before mod_auth_basic, which would otherwise ask for credentials. */
static int session_authn(request_rec *r)
{
    authz_conf *conf = conf_of(r->server);
    const char *id, *login, *csrf;
    arca_db_t *db;
    arca_error_t *err;

    if (apr_table_get(r->headers_in, "Authorization") || (id = session_cookie(r)) == NULL)
        return DECLINED;
    if ((err = arca_core.request_db(r, &db))
        || (err = arca_session_check(db, r->pool, id,
                                     SET_OR(conf->session_idle_seconds, DEFAULT_SESSION_IDLE),
                                     &login, &csrf))) {
        db_unavailable(r, err, "(session)");
        return err->status == HTTP_SERVICE_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                                       : HTTP_INTERNAL_SERVER_ERROR;
    }
    if (login == NULL)
        return DECLINED; /* ended or unknown: credentials are asked for as usual */
    r->user = apr_pstrdup(r->pool, login);
    r->ap_auth_type = "Arca-Session";
    apr_table_setn(r->notes, "arca-session", id);
    apr_table_setn(r->notes, "arca-session-csrf", csrf);
    return OK;
}

/* Changes made by a logged-in user must not come from another site: csrf_rule.c decides
 * from the fetch metadata, the Origin and, for a session cookie (what a browser sends by
 * itself), the session's CSRF token (XNAT_CSRF parameter or X-XNAT-CSRF header). */
static int check_csrf(request_rec *r)
{
    const char *expected = apr_table_get(r->notes, "arca-session-csrf"), *given, *why;
    apr_table_t *h = r->headers_in;
    csrf_request req;

    if (r->user == NULL || csrf_exempt(r->method, r->uri))
        return DECLINED;
    given = apr_table_get(h, "X-XNAT-CSRF");
    if (given == NULL)
        given = arca_http_arg(r, "XNAT_CSRF");
    req.origin = apr_table_get(h, "Origin");
    req.sec_fetch_site = apr_table_get(h, "Sec-Fetch-Site");
    req.other_fetch_metadata = apr_table_get(h, "Sec-Fetch-Mode") != NULL
                               || apr_table_get(h, "Sec-Fetch-Dest") != NULL
                               || apr_table_get(h, "Sec-Fetch-User") != NULL;
    req.session = expected != NULL;
    req.token_ok = expected != NULL && given != NULL && arca_secret_equal(given, expected);
    req.scheme = ap_http_scheme(r);
    req.host = apr_table_get(h, "Host");
    if ((why = csrf_refusal(r->pool, &req)) == NULL)
        return DECLINED;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ARCA_LOGNO(10203)
                  "refused a change by %s: %s", r->user, why);
    ap_custom_response(r, HTTP_FORBIDDEN, why);
    return HTTP_FORBIDDEN;
}

static const authn_provider arca_authn_provider = {check_password, NULL};

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    authz_conf *conf = apr_pcalloc(p, sizeof *conf);

    conf->cache_seconds = conf->throttle_after = conf->throttle_max = -1;
    conf->password_max_age_days = conf->session_idle_seconds = -1;
    return conf;
}

#define MERGE(f) conf->f = add->f >= 0 ? add->f : base->f

static void *merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    authz_conf *base = basev, *add = addv, *conf = apr_pcalloc(p, sizeof *conf);

    MERGE(cache_seconds);
    MERGE(throttle_after);
    MERGE(throttle_max);
    MERGE(password_max_age_days);
    MERGE(session_idle_seconds);
    return conf;
}

/* A whole number, 0 or more, for the int field of the server config at cmd->info. */
static const char *set_count(cmd_parms *cmd, void *dummy, const char *arg)
{
    int *field = (int *)((char *)conf_of(cmd->server) + (apr_size_t)cmd->info);

    return arca_directive_int(cmd, arg, 0, 100000000, NULL, field);
}

static const char *set_cache_timeout(cmd_parms *cmd, void *dummy, const char *arg)
{
    return arca_directive_int(cmd, arg, 0, 86400, "no cache",
                              &conf_of(cmd->server)->cache_seconds);
}

/* One row per directive: the shape repeats by design. */
static const command_rec authz_directives[] = {
    AP_INIT_TAKE1("ArcaAuthCacheTimeout", set_cache_timeout, NULL, RSRC_CONF,
                  "seconds a verified password is remembered by a process (default 300)"),
    AP_INIT_TAKE1("ArcaLoginThrottleAfter", set_count,
                  (void *)APR_OFFSETOF(authz_conf, throttle_after), RSRC_CONF,
                  "failed logins from one address before it is refused for the account "
                  "a while (default 5; 0: never)"),
    AP_INIT_TAKE1("ArcaLoginThrottleMax", set_count,
                  (void *)APR_OFFSETOF(authz_conf, throttle_max), RSRC_CONF,
                  "longest refusal, in seconds, of an address after failed logins "
                  "(default 300)"),
    /* the names of the lock-out this throttling replaced, still read */
    AP_INIT_TAKE1("ArcaLockoutThreshold", set_count,
                  (void *)APR_OFFSETOF(authz_conf, throttle_after), RSRC_CONF,
                  "the former name of ArcaLoginThrottleAfter"),
    AP_INIT_TAKE1("ArcaLockoutDuration", set_count,
                  (void *)APR_OFFSETOF(authz_conf, throttle_max), RSRC_CONF,
                  "the former name of ArcaLoginThrottleMax"),
    AP_INIT_TAKE1("ArcaPasswordMaxAge", set_count,
                  (void *)APR_OFFSETOF(authz_conf, password_max_age_days), RSRC_CONF,
                  "days a local password is valid (default 0: forever)"),
    AP_INIT_TAKE1("ArcaSessionIdleTimeout", set_count,
                  (void *)APR_OFFSETOF(authz_conf, session_idle_seconds), RSRC_CONF,
                  "seconds a session lives unused (default 900)"),
    {NULL}
};

static void authz_child_init(apr_pool_t *pchild, server_rec *s)
{
    for (server_rec *vs = s; vs; vs = vs->next) {
        authz_conf *conf = conf_of(vs);
        int seconds = conf->cache_seconds >= 0 ? conf->cache_seconds : DEFAULT_CACHE_SECONDS;

        if (vs != s && conf->cache_seconds == conf_of(s)->cache_seconds) {
            conf->cache = conf_of(s)->cache;
            continue;
        }
        conf->cache = credential_cache_create(pchild, apr_time_from_sec(seconds));
    }
}

static int authz_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                             server_rec *s)
{
    /* Optional functions are all registered by now, whatever the LoadModule order. Each
     * module checks for mod_arca itself, under a log number of its own range: the shape
     * repeats by design. */
    if (!arca_core_api_retrieve()) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, ARCA_LOGNO(10202)
                     "mod_arca_authz needs mod_arca: load it first (LoadModule arca_module)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void authz_register_hooks(apr_pool_t *p)
{
    arca_http_init(&arca_authz_module);
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "arca", AUTHN_PROVIDER_VERSION,
                              &arca_authn_provider, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_post_config(authz_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(authz_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    account_gate_register_hooks(p);
    APR_REGISTER_OPTIONAL_FN(arca_password_policy);
    APR_REGISTER_OPTIONAL_FN(arca_session_idle_seconds);
    require_register_providers(p);
    ap_hook_check_authn(session_authn, NULL, NULL, APR_HOOK_FIRST, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_fixups(check_csrf, NULL, NULL, APR_HOOK_FIRST);
}

module AP_MODULE_DECLARE_DATA arca_authz_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL,
    create_server_conf,
    merge_server_conf,
    authz_directives,
    authz_register_hooks,
    AP_MODULE_FLAG_NONE
};
