/* The account gate: maps the authenticated user of every request that an Arca handler
 * serves to an Arca account, and stops the request when that account may not be used.
 *
 * It runs in fixups, after every authn and authz module, so it sees what LDAP
 * (AUTHENTICATE_* variables) and OpenID Connect (OIDC_CLAIM_* variables) left in the
 * request's environment, and which handler will serve. Where the login and the new
 * account's names come from is the core's login policy (ArcaLoginClaim, ArcaClaim*);
 * whether a new account is enabled and verified is ArcaAutoEnable/ArcaAutoVerify. The
 * account found is handed to the core (arca_request_set_account), so handlers get it
 * without a second query. When ArcaLoginClaim makes the login from claims, r->user is
 * rewritten to it earlier, at the start of authorization (map_login_early), so that
 * Require arca-* judges the identity the handlers will serve.
 *
 * A refusal cannot be answered from fixups with Arca's own body (httpd would send its HTML
 * error page), so the gate leaves it in request notes and a handler that runs before all
 * others answers it, as text or JSON like every Arca error. */
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_request.h>
#include <mod_auth.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "access/account_external.h"
#include "access/authz.h"
#include "account_gate.h"

APLOG_USE_MODULE(arca_authz);

#define NOTE_REFUSED "arca-account-refused"               /* the message */
#define NOTE_REFUSED_STATUS "arca-account-refused-status" /* its HTTP status */

static APR_OPTIONAL_FN_TYPE(arca_request_set_account) *set_account;

/* The environment variables a login source usually fills, when no ArcaClaim* names one. */
typedef struct {
    const char *source;
    const char *firstname, *lastname, *email;
    const char *fullname; /* split into first and last when both of those are missing */
} source_vars;

static const source_vars LDAP_VARS = {
    "ldap", AUTHN_PREFIX "GIVENNAME", AUTHN_PREFIX "SN", AUTHN_PREFIX "MAIL",
    AUTHN_PREFIX "CN"
};
static const source_vars OIDC_VARS = {
    "oidc", "OIDC_CLAIM_given_name", "OIDC_CLAIM_family_name", "OIDC_CLAIM_email",
    "OIDC_CLAIM_name"
};
static const source_vars EXTERNAL_VARS = {"external", NULL, NULL, NULL, NULL};

static int is_arca_handler(const char *handler)
{
    return handler && strncmp(handler, "arca-", 5) == 0;
}

static int has_ldap_vars(request_rec *r)
{
    const apr_array_header_t *env = apr_table_elts(r->subprocess_env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)env->elts;

    for (int i = 0; i < env->nelts; i++)
        if (e[i].key && strncmp(e[i].key, AUTHN_PREFIX, sizeof AUTHN_PREFIX - 1) == 0)
            return 1;
    return 0;
}

/* Who authenticated the request: mod_auth_openidc (AuthType openid-connect or its alias
 * auth-openidc), mod_authnz_ldap (it leaves AUTHENTICATE_* variables), or anything else.
 * Arca's own provider also counts as "external" here: its logins always have an account,
 * so nothing is ever created for them. */
static const source_vars *login_source(request_rec *r)
{
    const char *type = r->ap_auth_type ? r->ap_auth_type : ap_auth_type(r);

    if (type && (strcasecmp(type, "openid-connect") == 0
                 || strcasecmp(type, "auth-openidc") == 0))
        return &OIDC_VARS;
    if (has_ldap_vars(r))
        return &LDAP_VARS;
    return &EXTERNAL_VARS;
}

static const char *env_value(request_rec *r, const char *name)
{
    const char *v;

    if (name == NULL)
        return NULL;
    v = apr_table_get(r->subprocess_env, name);
    /* An internal redirect renames the variables it carries over REDIRECT_<name>. */
    if ((v == NULL || *v == '\0') && r->prev)
        v = apr_table_get(r->subprocess_env, apr_pstrcat(r->pool, "REDIRECT_", name, NULL));
    return v && *v ? v : NULL;
}

/* The variable the site named, if this request has it, else the source's usual one. */
static const char *claim(request_rec *r, const char *configured, const char *usual)
{
    const char *v = env_value(r, configured);

    return v ? v : env_value(r, usual);
}

/* The Arca login: ArcaLoginClaim's variable when the request has it, with "@<issuer host>"
 * when an issuer variable is named (unless it ends so already, which makes this safe to
 * apply twice); REMOTE_USER otherwise, except for an OpenID Connect
 * login, where a missing claim is an error (falling back would file the same person under
 * two logins). NULL with *why set when no login can be made. */
static const char *mapped_login(request_rec *r, const arca_login_policy_t *policy,
                                const source_vars *src, const char **why)
{
    const char *login = env_value(r, policy->login_var), *issuer, *host, *suffix;

    if (policy->login_var && login == NULL) {
        if (src != &OIDC_VARS)
            return r->user;
        *why = apr_psprintf(r->pool, "your identity provider did not send %s, which this "
                            "site uses as the Arca login", policy->login_var);
        return NULL;
    }
    if (login == NULL)
        login = r->user;
    if (policy->issuer_var == NULL)
        return login;
    issuer = env_value(r, policy->issuer_var);
    if (issuer == NULL && src != &OIDC_VARS)
        return r->user; /* a local or LDAP login on a site that also has OpenID Connect */
    host = arca_issuer_host(r->pool, issuer);
    if (host == NULL) {
        *why = apr_psprintf(r->pool, "your identity provider did not send a usable %s, "
                            "which this site needs to make your Arca login",
                            policy->issuer_var);
        return NULL;
    }
    suffix = apr_pstrcat(r->pool, "@", host, NULL);
    /* Already qualified (REMOTE_USER mapped earlier in this request, or carried over). */
    if (strlen(login) > strlen(suffix)
        && strcmp(login + strlen(login) - strlen(suffix), suffix) == 0)
        return login;
    return apr_pstrcat(r->pool, login, suffix, NULL);
}

/* First thing in the authorization phase: when ArcaLoginClaim makes the Arca login from
 * claims, the request's user becomes that login now, so that authorization (Require
 * arca-site-admin, arca-project-role) judges the same identity the handlers will serve.
 * No database here: the account is found or created in fixups, for Arca's handlers only
 * (which handler serves the request is not known yet). */
static int map_login_early(request_rec *r)
{
    const arca_login_policy_t *policy;
    const char *login, *why = NULL;

    if (r->user == NULL)
        return DECLINED;
    policy = &arca_core.site_get(r)->login;
    if (policy->login_var == NULL && policy->issuer_var == NULL)
        return DECLINED;
    login = mapped_login(r, policy, login_source(r), &why);
    if (login && strcmp(login, r->user) != 0)
        r->user = apr_pstrdup(r->pool, login);
    return DECLINED;
}

static int refuse(request_rec *r, int status, const char *message)
{
    apr_table_setn(r->notes, NOTE_REFUSED, message);
    apr_table_setn(r->notes, NOTE_REFUSED_STATUS, apr_itoa(r->pool, status));
    return OK;
}

static int gate_fixups(request_rec *r)
{
    const arca_login_policy_t *policy;
    const source_vars *src;
    arca_external_login_t in = {0};
    arca_account_t *account;
    arca_db_t *db;
    arca_error_t *err;
    const char *why = NULL;
    int created;

    if (r->user == NULL || !is_arca_handler(r->handler))
        return DECLINED;
    policy = &arca_core.site_get(r)->login;
    src = login_source(r);
    in.login = mapped_login(r, policy, src, &why);
    if (in.login == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, ARCA_LOGNO(10213)
                      "'%s' has no Arca login: %s", r->user, why);
        return refuse(r, HTTP_FORBIDDEN, why);
    }
    in.auth_source = src->source;
    in.firstname = claim(r, policy->firstname_var, src->firstname);
    in.lastname = claim(r, policy->lastname_var, src->lastname);
    in.email = claim(r, policy->email_var, src->email);
    if (in.firstname == NULL && in.lastname == NULL && src->fullname)
        arca_split_name(r->pool, env_value(r, src->fullname), &in.firstname, &in.lastname);
    in.enable_new = policy->auto_enable;
    in.verify_new = policy->auto_verify;
    in.remote = r->useragent_ip;

    err = arca_core.request_db(r, &db);
    if (!err)
        err = arca_account_external(db, r->pool, &in, &account, &created);
    if (err && err->status >= 500) /* logged once, when the refusal is answered */
        return refuse(r, err->status, err->message);
    if (err) { /* a login Arca cannot take, such as mod_auth_openidc's "sub@https://..." */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, ARCA_LOGNO(10214)
                      "'%s' cannot be mapped to an Arca account: %s", r->user, err->message);
        return refuse(r, HTTP_FORBIDDEN, apr_pstrcat(r->pool, err->message, " (the site's "
                      "administrator can choose another login with ArcaLoginClaim)", NULL));
    }
    set_account(r, account);
    /* From here on the user is the Arca login, for handlers, the audit and the access log
     * (%u), also when ArcaLoginClaim made it from claims rather than REMOTE_USER. */
    if (strcmp(r->user, account->login) != 0)
        r->user = apr_pstrdup(r->pool, account->login);
    if (created)
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, ARCA_LOGNO(10210)
                      "created the Arca account '%s' at its first %s login (enabled: %s, "
                      "verified: %s)", account->login, src->source,
                      in.enable_new ? "yes" : "no", in.verify_new ? "yes" : "no");
    /* The two states an account waits in before it may be used, each refused under its own
     * log number and with its own advice: the shape repeats by design. */
    if (arca_is_disabled(account)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ARCA_LOGNO(10211)
                      "refused '%s': the account is not enabled", account->login);
        return refuse(r, HTTP_FORBIDDEN, arca_unusable_reason(r->pool, account));
    }
    if (arca_is_unverified(account)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ARCA_LOGNO(10212)
                      "refused '%s': the account is not verified", account->login);
        return refuse(r, HTTP_FORBIDDEN, arca_unusable_reason(r->pool, account));
    }
    return OK;
}

/* Answers a request the gate refused, before any handler serves it. */
static int refusal_handler(request_rec *r)
{
    const char *message = apr_table_get(r->notes, NOTE_REFUSED);
    const char *status = apr_table_get(r->notes, NOTE_REFUSED_STATUS);
    arca_error_t err;

    if (message == NULL || !is_arca_handler(r->handler))
        return DECLINED;
    err.status = status ? atoi(status) : HTTP_FORBIDDEN;
    err.message = message;
    return arca_http_error(r, &err);
}

static int gate_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *s)
{
    set_account = APR_RETRIEVE_OPTIONAL_FN(arca_request_set_account);
    if (!arca_core_api_retrieve() || set_account == NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, ARCA_LOGNO(10215)
                     "mod_arca_authz needs mod_arca of the same version: load it first "
                     "(LoadModule arca_module)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void account_gate_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(gate_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authz(map_login_early, NULL, NULL, APR_HOOK_REALLY_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_fixups(gate_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(refusal_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
}
