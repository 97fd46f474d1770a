/* How an account is shown, and XNAT's names for its roles. With the decisions of authz.h,
 * the only code that reads an account's flags (site admin, all-data access, enabled,
 * verified): modules and tools show an account and change its roles through here. */
#ifndef ARCA_ACCOUNT_VIEW_H
#define ARCA_ACCOUNT_VIEW_H

#include <jansson.h>

#include "access/account.h"

/* XNAT's user object: username, firstName, lastName, email, enabled, verified, id, admin,
 * dataAccess ("none", "read" or "edit"), authSource, nonExpiring. */
json_t *arca_account_json(const arca_account_t *a);

/* The account's roles as XNAT names them ("Administrator", "Non_Expiring"), or with
 * `groups` its groups ("ALL_DATA_ACCESS" or "ALL_DATA_ADMIN"): a JSON array. */
json_t *arca_account_roles_json(const arca_account_t *a, int groups);

/* A yes/no flag of the account by its XNAT name, "enabled" or "verified": 1 with *value
 * set, or 0 for another name. */
int arca_account_flag(const arca_account_t *a, const char *name, int *value);

/* What setting (`on`) or removing an XNAT role or group (Administrator, Non_Expiring,
 * ALL_DATA_ACCESS, ALL_DATA_ADMIN) means: the field and value to give arca_account_set().
 * 1, or 0 for a name that is none of these. */
int arca_account_role_setting(const char *name, int on, const char **field,
                              const char **value);

/* The account as text, one "name: value" line each (arcactl's `user show`). */
const char *arca_account_text(apr_pool_t *p, const arca_account_t *a);

#endif
