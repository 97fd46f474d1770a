/* Require providers for admins who protect other locations with Arca's roles:
 *   Require arca-site-admin
 *   Require arca-project-role owner|member|collaborator [project]
 * The project defaults to the request's ARCA_PROJECT environment variable (set it with
 * SetEnvIf or a RewriteRule from the URL). A higher role satisfies a lower one. */
#ifndef ARCA_REQUIRE_H
#define ARCA_REQUIRE_H

#include <apr_pools.h>

void require_register_providers(apr_pool_t *p);

#endif
