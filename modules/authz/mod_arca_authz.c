/* mod_arca_authz: Arca's own logins for httpd. For now the authn provider `arca`
 * (AuthBasicProvider arca) checking local accounts' passwords; an account without a local
 * password answers "not found" so that httpd goes on to the next provider (ldap). */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_request.h>
#include <mod_auth.h>
#include <http_core.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "credential_cache.h"
#include "account_gate.h"

extern module AP_MODULE_DECLARE_DATA arca_authz_module;
APLOG_USE_MODULE(arca_authz);

#define DEFAULT_CACHE_SECONDS 300

typedef struct {
    int cache_seconds; /* ArcaAuthCacheTimeout; -1 unset */
    credential_cache *cache;
} authz_conf;

static authz_conf *conf_of(server_rec *s)
{
    return ap_get_module_config(s->module_config, &arca_authz_module);
}

static authn_status check_password(request_rec *r, const char *login, const char *password)
{
    authz_conf *conf = conf_of(r->server);
    arca_db_t *db;
    arca_error_t *err;
    int found, ok;

    if (credential_cache_check(conf->cache, login, password))
        return AUTH_GRANTED;
    err = arca_core.request_db(r, &db);
    if (!err)
        err = arca_account_check_password(db, r->pool, login, password, &found, &ok);
    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARCA_LOGNO(10201)
                      "cannot check the password of '%s': %s", login, err->message);
        if (err->status == HTTP_SERVICE_UNAVAILABLE) {
            apr_table_setn(r->notes, ARCA_NOTE_DB_UNAVAILABLE, "1");
            ap_custom_response(r, HTTP_INTERNAL_SERVER_ERROR,
                               "the database is unavailable; try again shortly\n");
        }
        return AUTH_GENERAL_ERROR;
    }
    if (!found)
        return AUTH_USER_NOT_FOUND;
    if (!ok)
        return AUTH_DENIED;
    credential_cache_put(conf->cache, login, password);
    return AUTH_GRANTED;
}

static const authn_provider arca_authn_provider = {check_password, NULL};

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    authz_conf *conf = apr_pcalloc(p, sizeof *conf);

    conf->cache_seconds = -1;
    return conf;
}

static void *merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    authz_conf *base = basev, *add = addv, *conf = apr_pcalloc(p, sizeof *conf);

    conf->cache_seconds = add->cache_seconds >= 0 ? add->cache_seconds : base->cache_seconds;
    return conf;
}

static const char *set_cache_timeout(cmd_parms *cmd, void *dummy, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);

    if (*arg == '\0' || *end != '\0' || v < 0 || v > 86400)
        return apr_psprintf(cmd->pool, "ArcaAuthCacheTimeout '%s': use seconds from 0 "
                            "(no cache) to 86400", arg);
    conf_of(cmd->server)->cache_seconds = (int)v;
    return NULL;
}

static const command_rec authz_directives[] = {
    AP_INIT_TAKE1("ArcaAuthCacheTimeout", set_cache_timeout, NULL, RSRC_CONF,
                  "seconds a verified password is remembered by a process (default 300)"),
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
    /* Optional functions are all registered by now, whatever the LoadModule order. */
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
