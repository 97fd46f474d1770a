/* The account gate of mod_arca_authz: before an Arca handler runs for an authenticated
 * user, map that user to an Arca account, creating it on the first login made elsewhere
 * (LDAP, OpenID Connect, any other httpd authn module) as ArcaAutoEnable/ArcaAutoVerify
 * say, and refuse a disabled or unverified account with a 403 that says so.
 *
 * A module that authenticates a request by something other than the login itself (an
 * alias token, a session) must leave the account's login in r->user, or the gate would
 * take the alias for a new login. */
#ifndef ARCA_ACCOUNT_GATE_H
#define ARCA_ACCOUNT_GATE_H

#include <apr_pools.h>

/* Call from mod_arca_authz's register_hooks. */
void account_gate_register_hooks(apr_pool_t *p);

#endif
