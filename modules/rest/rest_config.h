/* mod_arca_rest's directives (rest_config.c). */
#ifndef ARCA_REST_CONFIG_H
#define ARCA_REST_CONFIG_H

#include <httpd.h>
#include <http_config.h>

#include "access/authz.h"
#include "store/archive_stream.h"

/* Defaults: a CT or MR archive unpacks to 2-5 times its size; a bomb, to thousands. */
#define REST_DEFAULT_MAX_EXPANDED ((apr_off_t)1 << 40) /* 1 TiB */
#define REST_DEFAULT_MAX_RATIO 100
#define REST_DEFAULT_MAX_DEPTH 32

typedef struct rest_config_t {
    arca_archive_limits_t limits; /* -1: unset */
    int share_rule;               /* an arca_share_rule_t; -1: unset (owner) */
    const char *institution_login_url;   /* ArcaInstitutionLogin; NULL: none */
    const char *institution_login_label;
} rest_config_t;

void *rest_config_create(apr_pool_t *p, server_rec *s);
void *rest_config_merge(apr_pool_t *p, void *base, void *add);
extern const command_rec rest_directives[];

/* The limits on uploaded archives for this request's server. */
arca_archive_limits_t rest_import_limits(request_rec *r);

/* ArcaShareRule: who may share data into other projects (authz.h, arca_can_share). */
arca_share_rule_t rest_share_rule(request_rec *r);

/* This request's server's configuration. */
const rest_config_t *rest_config_of(request_rec *r);

#endif
