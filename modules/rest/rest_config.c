/* mod_arca_rest's own directives: the limits on uploaded archives (against decompression
 * bombs), per server. */
#include <stdlib.h>

#include <httpd.h>
#include <http_config.h>
#include <apr_strings.h>

#include "rest_config.h"

extern module AP_MODULE_DECLARE_DATA arca_rest_module;

#define UNSET -1

void *rest_config_create(apr_pool_t *p, server_rec *s)
{
    rest_config_t *c = apr_pcalloc(p, sizeof *c);

    c->limits.max_expanded = UNSET;
    c->limits.max_ratio = UNSET;
    c->limits.max_depth = UNSET;
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
    return c;
}

arca_import_limits_t rest_import_limits(request_rec *r)
{
    const rest_config_t *c = ap_get_module_config(r->server->module_config,
                                                  &arca_rest_module);
    arca_import_limits_t l = c->limits;

    if (l.max_expanded == UNSET)
        l.max_expanded = REST_DEFAULT_MAX_EXPANDED;
    if (l.max_ratio == UNSET)
        l.max_ratio = REST_DEFAULT_MAX_RATIO;
    if (l.max_depth == UNSET)
        l.max_depth = REST_DEFAULT_MAX_DEPTH;
    return l;
}

static rest_config_t *conf_of(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &arca_rest_module);
}

/* bytes, with an optional K, M, G or T (powers of 1024); 0 = no limit */
static const char *set_max_expanded(cmd_parms *cmd, void *dummy, const char *arg)
{
    char *end;
    apr_int64_t n = apr_strtoi64(arg, &end, 10);
    int shift = 0;

    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    }
    if (end == arg || *end || n < 0 || n > (APR_INT64_MAX >> shift))
        return apr_psprintf(cmd->pool, "ArcaImportMaxExpanded: '%s' is not a size "
                            "(bytes, or a number with K, M, G or T)", arg);
    conf_of(cmd)->limits.max_expanded = (apr_off_t)(n << shift);
    return NULL;
}

static const char *set_count(cmd_parms *cmd, const char *arg, int max, int *out)
{
    char *end;
    long n = strtol(arg, &end, 10);

    if (end == arg || *end || n < 0 || n > max)
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number from 0 (no limit) to %d",
                            cmd->cmd->name, arg, max);
    *out = (int)n;
    return NULL;
}

static const char *set_max_ratio(cmd_parms *cmd, void *dummy, const char *arg)
{
    return set_count(cmd, arg, 1000000, &conf_of(cmd)->limits.max_ratio);
}

static const char *set_max_depth(cmd_parms *cmd, void *dummy, const char *arg)
{
    return set_count(cmd, arg, 1000, &conf_of(cmd)->limits.max_depth);
}

const command_rec rest_directives[] = {
    AP_INIT_TAKE1("ArcaImportMaxExpanded", set_max_expanded, NULL, RSRC_CONF,
                  "the most an uploaded archive may unpack to (0: no limit)"),
    AP_INIT_TAKE1("ArcaImportMaxRatio", set_max_ratio, NULL, RSRC_CONF,
                  "the most an uploaded archive may expand per byte received (0: no limit)"),
    AP_INIT_TAKE1("ArcaImportMaxDepth", set_max_depth, NULL, RSRC_CONF,
                  "the most folder levels in a member's name of an uploaded archive"),
    {NULL}
};
