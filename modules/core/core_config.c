/* mod_arca directives. Values are checked when the configuration is read, so that
 * `httpd -t` rejects a bad one with a message naming the directive and the reason. */
#include <httpd.h>
#include <http_config.h>
#include <apr_strings.h>

#include "core_config.h"
#include "directive_parse.h"
#include "base/validate.h"

#define DEFAULT_SITE_ID "XNAT" /* what XNAT clients expect in accession IDs by default */

void *arca_core_create_server_conf(apr_pool_t *p, server_rec *s)
{
    arca_core_conf *conf = apr_pcalloc(p, sizeof *conf);

    conf->pool_max = -1;
    conf->pool_idle_timeout = -1;
    conf->site.prearchive_idle = -1;
    conf->site.login.auto_enable = -1;
    conf->site.login.auto_verify = -1;
    return conf;
}

static void merge_login_policy(arca_login_policy_t *conf, const arca_login_policy_t *base,
                               const arca_login_policy_t *add, int add_sets_claim)
{
    conf->auto_enable = add->auto_enable >= 0 ? add->auto_enable : base->auto_enable;
    conf->auto_verify = add->auto_verify >= 0 ? add->auto_verify : base->auto_verify;
    /* ArcaLoginClaim's two arguments go together. */
    if (add_sets_claim) {
        conf->login_var = add->login_var;
        conf->issuer_var = add->issuer_var;
    } else {
        conf->login_var = base->login_var;
        conf->issuer_var = base->issuer_var;
    }
    conf->firstname_var = add->firstname_var ? add->firstname_var : base->firstname_var;
    conf->lastname_var = add->lastname_var ? add->lastname_var : base->lastname_var;
    conf->email_var = add->email_var ? add->email_var : base->email_var;
}

void *arca_core_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    arca_core_conf *base = basev, *add = addv, *conf = apr_pcalloc(p, sizeof *conf);

    conf->conninfo = add->conninfo ? add->conninfo : base->conninfo;
    conf->site.site_id = add->site.site_id ? add->site.site_id : base->site.site_id;
    conf->site.archive = add->site.archive ? add->site.archive : base->site.archive;
    conf->site.prearchive = add->site.prearchive ? add->site.prearchive
                                                 : base->site.prearchive;
    conf->site.prearchive_idle = add->site.prearchive_idle >= 0 ? add->site.prearchive_idle
                                                                : base->site.prearchive_idle;
    conf->pool_max = add->pool_max >= 0 ? add->pool_max : base->pool_max;
    conf->pool_idle_timeout = add->pool_idle_timeout >= 0 ? add->pool_idle_timeout
                                                          : base->pool_idle_timeout;
    merge_login_policy(&conf->site.login, &base->site.login, &add->site.login,
                       add->login_claim_set);
    conf->login_claim_set = add->login_claim_set || base->login_claim_set;
    return conf;
}

/* Fills in what no directive set; called in post_config for every server. */
void arca_core_conf_defaults(arca_core_conf *conf)
{
    if (conf->site.site_id == NULL)
        conf->site.site_id = DEFAULT_SITE_ID;
    if (conf->pool_max < 0)
        conf->pool_max = 0;
    if (conf->pool_idle_timeout < 0)
        conf->pool_idle_timeout = 60;
    if (conf->site.prearchive_idle < 0)
        conf->site.prearchive_idle = 60; /* XNAT's default session idle time */
    if (conf->site.login.auto_enable < 0)
        conf->site.login.auto_enable = 1;
    if (conf->site.login.auto_verify < 0)
        conf->site.login.auto_verify = 1;
}

static const char *set_database(cmd_parms *cmd, void *dummy, const char *arg)
{
    arca_core_conf *conf = arca_core_conf_get(cmd->server);
    const char *why;

    if (!arca_valid_conninfo(cmd->pool, arg, &why))
        return apr_psprintf(cmd->pool, "ArcaDatabase: not a valid PostgreSQL connection "
                            "string: %s", why);
    conf->conninfo = arg;
    return NULL;
}

static const char *set_site_id(cmd_parms *cmd, void *dummy, const char *arg)
{
    if (!arca_valid_site_id(arg))
        return apr_psprintf(cmd->pool, "ArcaSiteId '%s': use 1-15 letters, digits or '_', "
                            "starting with a letter", arg);
    arca_core_conf_get(cmd->server)->site.site_id = arg;
    return NULL;
}

static const char *absolute_dir(cmd_parms *cmd, const char *arg)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);

    if (path == NULL)
        return NULL;
    while (strlen(path) > 1 && path[strlen(path) - 1] == '/')
        path = apr_pstrndup(cmd->pool, path, strlen(path) - 1);
    return path;
}

/* ArcaArchive, ArcaPrearchive: cmd->info is the offset of the path in arca_site_t. */
static const char *set_site_dir(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *path = absolute_dir(cmd, arg);
    arca_site_t *site = &arca_core_conf_get(cmd->server)->site;

    if (path == NULL)
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", cmd->cmd->name, arg);
    *(const char **)((char *)site + (size_t)cmd->info) = path;
    return NULL;
}

/* One short setter per number or On/Off directive, naming its field and range: the shape
 * repeats by design. */
static const char *set_pool_max(cmd_parms *cmd, void *dummy, const char *arg)
{
    return arca_directive_int(cmd, arg, 1, 10000, NULL,
                              &arca_core_conf_get(cmd->server)->pool_max);
}

static const char *set_pool_idle(cmd_parms *cmd, void *dummy, const char *arg)
{
    return arca_directive_int(cmd, arg, 1, 86400, NULL,
                              &arca_core_conf_get(cmd->server)->pool_idle_timeout);
}

static const char *set_prearchive_idle(cmd_parms *cmd, void *dummy, const char *arg)
{
    return arca_directive_int(cmd, arg, 1, 86400, NULL,
                              &arca_core_conf_get(cmd->server)->site.prearchive_idle);
}

static const char *set_auto_enable(cmd_parms *cmd, void *dummy, int on)
{
    arca_core_conf_get(cmd->server)->site.login.auto_enable = on != 0;
    return NULL;
}

static const char *set_auto_verify(cmd_parms *cmd, void *dummy, int on)
{
    arca_core_conf_get(cmd->server)->site.login.auto_verify = on != 0;
    return NULL;
}

/* Names of request environment variables: what httpd modules set (AUTHENTICATE_MAIL,
 * OIDC_CLAIM_email): letters, digits, '_', '-' and '.'. */
static const char *env_var_name(cmd_parms *cmd, const char *arg)
{
    if (*arg == '\0' || arg[strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789_-.")] != '\0')
        return apr_psprintf(cmd->pool, "%s '%s': give the name of a request environment "
                            "variable, such as OIDC_CLAIM_email (letters, digits, '_', '-', "
                            "'.')", cmd->cmd->name, arg);
    return NULL;
}

static const char *set_login_claim(cmd_parms *cmd, void *dummy, const char *login,
                                   const char *issuer)
{
    arca_login_policy_t *policy = &arca_core_conf_get(cmd->server)->site.login;
    const char *err;

    if ((err = env_var_name(cmd, login)) || (issuer && (err = env_var_name(cmd, issuer))))
        return err;
    policy->login_var = strcmp(login, "REMOTE_USER") == 0 ? NULL : login;
    policy->issuer_var = issuer;
    arca_core_conf_get(cmd->server)->login_claim_set = 1;
    return NULL;
}

/* ArcaClaimFirstName, ArcaClaimLastName, ArcaClaimEmail: cmd->info is the field's offset. */
static const char *set_claim_var(cmd_parms *cmd, void *dummy, const char *arg)
{
    arca_login_policy_t *policy = &arca_core_conf_get(cmd->server)->site.login;
    const char *err = env_var_name(cmd, arg);

    if (err)
        return err;
    *(const char **)((char *)policy + (size_t)cmd->info) = arg;
    return NULL;
}

/* One row per directive: the shape repeats by design. */
const command_rec arca_core_directives[] = {
    AP_INIT_TAKE1("ArcaDatabase", set_database, NULL, RSRC_CONF,
                  "PostgreSQL connection string (libpq conninfo or URI)"),
    AP_INIT_TAKE1("ArcaSiteId", set_site_id, NULL, RSRC_CONF,
                  "site ID prefixing accession IDs (default XNAT)"),
    AP_INIT_TAKE1("ArcaArchive", set_site_dir,
                  (void *)APR_OFFSETOF(arca_site_t, archive), RSRC_CONF,
                  "directory of the archive's files"),
    AP_INIT_TAKE1("ArcaPrearchive", set_site_dir,
                  (void *)APR_OFFSETOF(arca_site_t, prearchive), RSRC_CONF,
                  "directory of the prearchive"),
    AP_INIT_TAKE1("ArcaPrearchiveIdle", set_prearchive_idle, NULL, RSRC_CONF,
                  "seconds without a new object after which a session received object by "
                  "object is complete (default 60)"),
    AP_INIT_TAKE1("ArcaDatabasePoolMax", set_pool_max, NULL, RSRC_CONF,
                  "most database connections per child process (default: ThreadsPerChild)"),
    AP_INIT_TAKE1("ArcaDatabasePoolIdleTimeout", set_pool_idle, NULL, RSRC_CONF,
                  "seconds an unused pooled connection is kept (default 60)"),
    AP_INIT_FLAG("ArcaAutoEnable", set_auto_enable, NULL, RSRC_CONF,
                 "On: an account created by a login made elsewhere (LDAP, OpenID Connect) "
                 "starts enabled; Off: an administrator enables it (default On)"),
    AP_INIT_FLAG("ArcaAutoVerify", set_auto_verify, NULL, RSRC_CONF,
                 "On: an account created by a login made elsewhere starts verified "
                 "(default On)"),
    AP_INIT_TAKE12("ArcaLoginClaim", set_login_claim, NULL, RSRC_CONF,
                   "environment variable holding the Arca login (default REMOTE_USER), and "
                   "optionally one holding the issuer, giving login@issuer-host"),
    AP_INIT_TAKE1("ArcaClaimFirstName", set_claim_var,
                  (void *)APR_OFFSETOF(arca_login_policy_t, firstname_var), RSRC_CONF,
                  "environment variable holding a new account's first name"),
    AP_INIT_TAKE1("ArcaClaimLastName", set_claim_var,
                  (void *)APR_OFFSETOF(arca_login_policy_t, lastname_var), RSRC_CONF,
                  "environment variable holding a new account's last name"),
    AP_INIT_TAKE1("ArcaClaimEmail", set_claim_var,
                  (void *)APR_OFFSETOF(arca_login_policy_t, email_var), RSRC_CONF,
                  "environment variable holding a new account's email address"),
    {NULL}
};
