/* Project groups (Owners, Members, Collaborators) and accessibility. */
#ifndef ARCA_MEMBERSHIP_H
#define ARCA_MEMBERSHIP_H

#include "db/db.h"
#include "format/resultset.h"

/* XNAT's project user list: GROUP_ID, displayname, login, firstname, lastname, email. */
arca_error_t *arca_project_users(arca_db_t *db, apr_pool_t *p, const char *project,
                                 arca_resultset_t **out);

/* The projects `login` has a role in: project, name, group (Owners, Members,
 * Collaborators), by project ID; empty for an unknown login. */
arca_error_t *arca_account_projects(arca_db_t *db, apr_pool_t *p, const char *login,
                                    arca_resultset_t **out);

/* Puts `login` in the group `role` ("owner", "member", "collaborator"), replacing any other
 * role in the project. 404 for an unknown login. */
arca_error_t *arca_project_user_set(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char *login, const char *role);
/* Removes `login` from `role` (404 if it was not in it). A project keeps at least one
 * owner: removing the last is a 409. */
arca_error_t *arca_project_user_remove(arca_db_t *db, apr_pool_t *p, const char *project,
                                       const char *login, const char *role);

/* "private", "protected", "public". */
arca_error_t *arca_project_accessibility(arca_db_t *db, apr_pool_t *p, const char *project,
                                         const char **level);
arca_error_t *arca_project_set_accessibility(arca_db_t *db, apr_pool_t *p, const char *project,
                                             const char *level);

#endif
