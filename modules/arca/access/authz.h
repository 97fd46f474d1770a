/* Who may do what: the one place Arca decides. REST handlers ask arca_can_*() before they
 * act; listings and searches filter with arca_readable_projects_sql(), written from the
 * same rules, so a list never shows what a GET would refuse.
 *
 *   site admin                      everything
 *   all-data access "edit"/"read"   edit and delete / read, in every project
 *   project Owners                  everything in the project, its users and settings
 *   project Members                 read, create and edit data (not delete)
 *   project Collaborators           read
 *   any logged-in user              read data of public projects; see protected projects
 *                                   listed (their data stays hidden); create projects
 *   an account not enabled          nothing, not even what anonymous may
 *
 * A subject or experiment shared into other projects is readable through any of them, and
 * changed only through its primary project. */
#ifndef ARCA_AUTHZ_H
#define ARCA_AUTHZ_H

#include "access/account.h"
#include "db/db.h"
#include "model/model.h"

typedef enum {
    ARCA_READ,    /* see data */
    ARCA_EDIT,    /* create and change data */
    ARCA_DELETE,  /* delete data */
    ARCA_MANAGE   /* the project itself: users, accessibility, settings, deleting it */
} arca_action_t;

/* May `who` (NULL: anonymous) do `action` in `project`? *visible says whether the project
 * may be known to exist to this user (listed), so that a refusal can be a 404 rather than
 * a 403 for private projects. */
arca_error_t *arca_can_project(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                               const char *project, arca_action_t action, int *allowed,
                               int *visible);

/* May `who` read a subject or experiment through any of the projects it is in? */
arca_error_t *arca_can_read_object(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                                   arca_kind_t kind, const char *id, int *allowed);

/* The questions about a person alone. Each takes NULL (anonymous) and answers no for it;
 * an account that is not enabled is never an admin and never sees or edits all. */

/* An enabled site administrator. */
int arca_is_site_admin(const arca_account_t *who);

/* True when `who` sees everything (site admin, all-data access), so no filter is needed. */
int arca_sees_all(const arca_account_t *who);

/* True when `who` may edit data in every project (site admin, all-data "edit"); owning
 * projects, their users and settings is not included. */
int arca_edits_all(const arca_account_t *who);

/* An account an administrator has not enabled (or has disabled): it may do nothing at all,
 * not even what anonymous may. */
int arca_is_disabled(const arca_account_t *who);

/* An account not verified yet: the account gate refuses it, as a disabled one. */
int arca_is_unverified(const arca_account_t *who);

/* May `who` read the site's user list (/data/users: login, names, email of the enabled
 * accounts)? Any enabled account, as XNAT lets every logged-in user while its
 * restrictUserListAccessToAdmins setting is off (its default); anonymous may not. */
int arca_may_list_users(const arca_account_t *who);

/* SQL (a sub-select of project IDs) of the projects whose data `who` may read; `ph` is
 * the placeholder ("$3") bound to who->id. For a principal that sees all, "SELECT id FROM
 * arca_project"; for anonymous, the public projects (bind ph to NULL). The SQL cannot tell
 * an account that is not enabled: refuse it first (arca_is_disabled; the account gate does
 * for every request an Arca handler serves). */
const char *arca_readable_projects_sql(apr_pool_t *p, const char *ph);

/* Likewise, the projects `who` may see listed: readable, or protected. */
const char *arca_listed_projects_sql(apr_pool_t *p, const char *ph);
/* SQL selecting the projects where account `ph` has one of `roles`, a comma-separated
 * list of fixed role names (owner, member, collaborator): XNAT's "my projects". */
const char *arca_role_projects_sql(apr_pool_t *p, const char *ph, const char *roles);

/* Likewise, the projects whose data `who` may edit through a role in them (owner,
 * member). Those who edit all (arca_edits_all) are to be let through by the caller. */
const char *arca_editable_projects_sql(apr_pool_t *p, const char *ph);

/* Parses "owner"/"Owners"/"{project}_owner" and the like: 1 and the role name
 * ("owner", "member", "collaborator"), or 0. */
int arca_role_parse(const char *project, const char *group, const char **role);
/* "Owners", "Members", "Collaborators" */
const char *arca_role_display(const char *role);

#endif
