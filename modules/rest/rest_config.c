/* mod_arca_rest's own directives, per server: the limits on uploaded archives (against
 * decompression bombs), the rule for sharing data into other projects, and the login
 * page's institution login. */
#include <strings.h>

#include <httpd.h>
#include <http_config.h>
#include <apr_strings.h>

#include "rest_config.h"
#include "directive_parse.h"

extern module AP_MODULE_DECLARE_DATA arca_rest_module;

#define UNSET -1

void *rest_config_create(apr_pool_t *p, server_rec *s)
{
    rest_config_t *c = apr_pcalloc(p, sizeof *c);

    c->limits.max_expanded = UNSET;
    c->limits.max_ratio = UNSET;
    c->limits.max_depth = UNSET;
    c->share_rule = UNSET;
    return c;
}

void *rest_config_merge(apr_pool_t *p, void *basev, void *addv)
{
    rest_config_t *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof *c);

    c->limits.max_expanded = add->limits.max_expanded != UNSET ? add->limits.max_expanded
                                                               : base->limits.max_expanded;
    c->limits.max_ratio = add->limits.max_ratio != UNSET ? add->limits.max_ratio
                                                         : base->limits.max_ratio;
    c->limits.max_depth = add->limits.max_depth != UNSET ? add->limits.max_depth
                                                         : base->limits.max_depth;
    c->share_rule = add->share_rule != UNSET ? add->share_rule : base->share_rule;
    c->institution_login_url = add->institution_login_url ? add->institution_login_url
                                                          : base->institution_login_url;
    c->institution_login_label = add->institution_login_url ? add->institution_login_label
                                                            : base->institution_login_label;
    return c;
}

const rest_config_t *rest_config_of(request_rec *r)
{
    return ap_get_module_config(r->server->module_config, &arca_rest_module);
}

arca_archive_limits_t rest_import_limits(request_rec *r)
{
    const rest_config_t *c = ap_get_module_config(r->server->module_config,
                                                  &arca_rest_module);
    arca_archive_limits_t l = c->limits;

    if (l.max_expanded == UNSET)
        l.max_expanded = REST_DEFAULT_MAX_EXPANDED;
    if (l.max_ratio == UNSET)
        l.max_ratio = REST_DEFAULT_MAX_RATIO;
    if (l.max_depth == UNSET)
        l.max_depth = REST_DEFAULT_MAX_DEPTH;
    return l;
}

arca_share_rule_t rest_share_rule(request_rec *r)
{
    const rest_config_t *c = ap_get_module_config(r->server->module_config,
                                                  &arca_rest_module);

    return c->share_rule == ARCA_SHARE_XNAT ? ARCA_SHARE_XNAT : ARCA_SHARE_OWNER;
}

static rest_config_t *conf_of(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &arca_rest_module);
}

/* bytes, with an optional K, M, G or T (powers of 1024); 0 = no limit */
static const char *set_max_expanded(cmd_parms *cmd, void *dummy, const char *arg)
{
    return arca_directive_size(cmd, arg, &conf_of(cmd)->limits.max_expanded);
}

static const char *set_max_ratio(cmd_parms *cmd, void *dummy, const char *arg)
{
    return arca_directive_int(cmd, arg, 0, 1000000, "no limit",
                              &conf_of(cmd)->limits.max_ratio);
}

static const char *set_max_depth(cmd_parms *cmd, void *dummy, const char *arg)
{
    return arca_directive_int(cmd, arg, 0, 1000, "no limit",
                              &conf_of(cmd)->limits.max_depth);
}

/* owner (the default): sharing out needs the source project's Owner role; xnat: XNAT's
 * laxer rule, whoever may read the object */
static const char *set_share_rule(cmd_parms *cmd, void *dummy, const char *arg)
{
    if (strcasecmp(arg, "owner") == 0)
        conf_of(cmd)->share_rule = ARCA_SHARE_OWNER;
    else if (strcasecmp(arg, "xnat") == 0)
        conf_of(cmd)->share_rule = ARCA_SHARE_XNAT;
    else
        return apr_psprintf(cmd->pool, "%s: '%s' is not a share rule: use owner or xnat",
                            cmd->directive->directive, arg);
    return NULL;
}

/* The address of a login made elsewhere (a location under AuthType openid-connect that
 * comes back to the pages), offered on the login page; a path of this site only, so the
 * page never sends anyone to a site the configuration did not name on purpose. */
static const char *set_institution_login(cmd_parms *cmd, void *dummy, const char *url,
                                         const char *label)
{
    rest_config_t *c = conf_of(cmd);

    if (url[0] != '/' || url[1] == '/')
        return "ArcaInstitutionLogin: give a path of this site, such as /login/institution";
    c->institution_login_url = url;
    c->institution_login_label = label ? label : "Log in with your institution";
    return NULL;
}

/* One row per directive: the shape repeats by design. */
const command_rec rest_directives[] = {
    AP_INIT_TAKE1("ArcaImportMaxExpanded", set_max_expanded, NULL, RSRC_CONF,
                  "the most an uploaded archive may unpack to (0: no limit)"),
    AP_INIT_TAKE1("ArcaImportMaxRatio", set_max_ratio, NULL, RSRC_CONF,
                  "the most an uploaded archive may expand per byte received (0: no limit)"),
    AP_INIT_TAKE1("ArcaImportMaxDepth", set_max_depth, NULL, RSRC_CONF,
                  "the most folder levels in a member's name of an uploaded archive"),
    AP_INIT_TAKE1("ArcaShareRule", set_share_rule, NULL, RSRC_CONF,
                  "who may share data into other projects: owner (default) or xnat"),
    AP_INIT_TAKE12("ArcaInstitutionLogin", set_institution_login, NULL, RSRC_CONF,
                   "the path of the login made elsewhere (OpenID Connect) the login page "
                   "offers, and its button's label"),
    {NULL}
};
