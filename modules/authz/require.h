/* Require providers for admins who protect other locations with Arca's roles:
 *   Require arca-site-admin
 *   Require arca-project-role owner|member|collaborator [project]
 * The project defaults to the request's ARCA_PROJECT environment variable (set it with
 * SetEnvIf or a RewriteRule from the URL). A role stands for what it lets one do there, as
 * the REST API decides it: collaborator = read the project's data, member = edit it,
 * owner = manage the project; so a higher role, all-data access or (for collaborator) a
 * public project satisfies it too, and a site admin everything. */
#ifndef ARCA_REQUIRE_H
#define ARCA_REQUIRE_H

#include <apr_pools.h>

void require_register_providers(apr_pool_t *p);

#endif
