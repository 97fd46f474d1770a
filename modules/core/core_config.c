/* mod_arca directives. Values are checked when the configuration is read, so that
 * `httpd -t` rejects a bad one with a message naming the directive and the reason. */
#include <httpd.h>
#include <http_config.h>
#include <apr_strings.h>

#include "core_config.h"
#include "validate.h"

#define DEFAULT_SITE_ID "XNAT" /* what XNAT clients expect in accession IDs by default */

void *arca_core_create_server_conf(apr_pool_t *p, server_rec *s)
{
    arca_core_conf *conf = apr_pcalloc(p, sizeof *conf);

    conf->pool_max = -1;
    conf->pool_idle_timeout = -1;
    return conf;
}

void *arca_core_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    arca_core_conf *base = basev, *add = addv, *conf = apr_pcalloc(p, sizeof *conf);

    conf->conninfo = add->conninfo ? add->conninfo : base->conninfo;
    conf->site.site_id = add->site.site_id ? add->site.site_id : base->site.site_id;
    conf->site.archive = add->site.archive ? add->site.archive : base->site.archive;
    conf->site.prearchive = add->site.prearchive ? add->site.prearchive
                                                 : base->site.prearchive;
    conf->pool_max = add->pool_max >= 0 ? add->pool_max : base->pool_max;
    conf->pool_idle_timeout = add->pool_idle_timeout >= 0 ? add->pool_idle_timeout
                                                          : base->pool_idle_timeout;
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

static const char *set_archive(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *path = absolute_dir(cmd, arg);

    if (path == NULL)
        return apr_psprintf(cmd->pool, "ArcaArchive: invalid path '%s'", arg);
    arca_core_conf_get(cmd->server)->site.archive = path;
    return NULL;
}

static const char *set_prearchive(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *path = absolute_dir(cmd, arg);

    if (path == NULL)
        return apr_psprintf(cmd->pool, "ArcaPrearchive: invalid path '%s'", arg);
    arca_core_conf_get(cmd->server)->site.prearchive = path;
    return NULL;
}

static const char *parse_count(cmd_parms *cmd, const char *arg, int min, int max, int *out)
{
    char *end;
    long v = strtol(arg, &end, 10);

    if (*arg == '\0' || *end != '\0' || v < min || v > max)
        return apr_psprintf(cmd->pool, "%s '%s': use a whole number from %d to %d",
                            cmd->cmd->name, arg, min, max);
    *out = (int)v;
    return NULL;
}

static const char *set_pool_max(cmd_parms *cmd, void *dummy, const char *arg)
{
    return parse_count(cmd, arg, 1, 10000, &arca_core_conf_get(cmd->server)->pool_max);
}

static const char *set_pool_idle(cmd_parms *cmd, void *dummy, const char *arg)
{
    return parse_count(cmd, arg, 1, 86400,
                       &arca_core_conf_get(cmd->server)->pool_idle_timeout);
}

const command_rec arca_core_directives[] = {
    AP_INIT_TAKE1("ArcaDatabase", set_database, NULL, RSRC_CONF,
                  "PostgreSQL connection string (libpq conninfo or URI)"),
    AP_INIT_TAKE1("ArcaSiteId", set_site_id, NULL, RSRC_CONF,
                  "site ID prefixing accession IDs (default XNAT)"),
    AP_INIT_TAKE1("ArcaArchive", set_archive, NULL, RSRC_CONF,
                  "directory of the archive's files"),
    AP_INIT_TAKE1("ArcaPrearchive", set_prearchive, NULL, RSRC_CONF,
                  "directory of the prearchive"),
    AP_INIT_TAKE1("ArcaDatabasePoolMax", set_pool_max, NULL, RSRC_CONF,
                  "most database connections per child process (default: ThreadsPerChild)"),
    AP_INIT_TAKE1("ArcaDatabasePoolIdleTimeout", set_pool_idle, NULL, RSRC_CONF,
                  "seconds an unused pooled connection is kept (default 60)"),
    {NULL}
};
