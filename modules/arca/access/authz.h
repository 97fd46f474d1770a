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

/* Sharing a subject or experiment into another project, or removing a share.
 *   ARCA_SHARE_OWNER (the default): sharing out needs the Owner role in the object's own
 *     (primary) project, or the Member role when that project's share policy is "members"
 *     (share_policy.h); never the Collaborator role, which only reads. Sharing in needs the
 *     right to add data to the destination (Member or Owner there).
 *   ARCA_SHARE_XNAT (a site's choice, ArcaShareRule xnat): XNAT's rule, whoever may read
 *     the object and add data to the destination.
 * Under both, making the destination the object's own project (primary=true) needs the
 * Owner role of the project it leaves, and a share is removed by the Owners of the
 * object's own project or by whoever may add data to the project it is shared into (who
 * put it there). The site admin, and whoever edits all data (arca_edits_all), may do
 * all of it. */
typedef enum {
    ARCA_SHARE_OWNER,
    ARCA_SHARE_XNAT
} arca_share_rule_t;

typedef struct {
    arca_kind_t kind;     /* ARCA_KIND_SUBJECT or ARCA_KIND_EXPERIMENT */
    const char *id;       /* its accession ID */
    const char *source;   /* its own (primary) project */
    const char *dest;     /* the project it is shared into, or out of */
    int remove;           /* removing the share */
    int make_primary;     /* primary=true: dest becomes its own project */
} arca_share_t;

/* May `who` make (or remove) this share under `rule`? ARCA_OK when so; else the refusal:
 * 404 "no project" for a destination `who` may not know of, 403 saying why otherwise (or
 * a database error). Whether the object itself may be known is the caller's question
 * (arca_can_read_object), asked first. */
arca_error_t *arca_can_share(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                             const arca_share_t *share, arca_share_rule_t rule);

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

/* Why `who` may not be used at all (disabled or unverified), as the message for a 403 that
 * says what to do; NULL when it may. The account gate and the form login answer with it. */
const char *arca_unusable_reason(apr_pool_t *p, const arca_account_t *who);

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
