/* A project's share policy: who may share its subjects and experiments into other
 * projects. "owners" (the default) or "members"; collaborators never may, as they only
 * read. authz.c's arca_can_share applies it. */
#ifndef ARCA_SHARE_POLICY_H
#define ARCA_SHARE_POLICY_H

#include "db/db.h"

/* *policy is "owners" or "members"; 404 for no such project. */
arca_error_t *arca_share_policy_get(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char **policy);

/* 400 for a policy other than "owners" or "members", 404 for no such project. */
arca_error_t *arca_share_policy_set(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char *policy);

#endif
