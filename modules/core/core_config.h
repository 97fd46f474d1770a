/* mod_arca's per-server configuration and its directives. */
#ifndef ARCA_CORE_CONFIG_H
#define ARCA_CORE_CONFIG_H

#include <httpd.h>
#include <http_config.h>
#include <apr_reslist.h>

#include "mod_arca.h"

typedef struct arca_core_conf {
    const char *conninfo;     /* ArcaDatabase */
    arca_site_t site;         /* ArcaSiteId, ArcaArchive, ArcaPrearchive, login policy */
    int login_claim_set;      /* ArcaLoginClaim was given (it may name REMOTE_USER) */
    int pool_max;             /* ArcaDatabasePoolMax; 0: one per worker thread */
    int pool_idle_timeout;    /* ArcaDatabasePoolIdleTimeout, seconds */
    apr_reslist_t *pool;      /* this child's connections (set in child_init) */
} arca_core_conf;

extern module AP_MODULE_DECLARE_DATA arca_module;
extern const command_rec arca_core_directives[];

void *arca_core_create_server_conf(apr_pool_t *p, server_rec *s);
void *arca_core_merge_server_conf(apr_pool_t *p, void *base, void *add);
/* Fills in what no directive set; called in post_config for every server. */
void arca_core_conf_defaults(arca_core_conf *conf);

static inline arca_core_conf *arca_core_conf_get(server_rec *s)
{
    return ap_get_module_config(s->module_config, &arca_module);
}

#endif
