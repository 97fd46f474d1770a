/* Access decisions (see authz.h for the rules). */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "access/authz.h"
#include "access/share_policy.h"

int arca_is_site_admin(const arca_account_t *who)
{
    return who && who->enabled && who->site_admin;
}

int arca_sees_all(const arca_account_t *who)
{
    return who && who->enabled && (who->site_admin || who->data_access > 0);
}

int arca_edits_all(const arca_account_t *who)
{
    return who && who->enabled && (who->site_admin || who->data_access == 2);
}

int arca_is_disabled(const arca_account_t *who)
{
    return who && !who->enabled;
}

int arca_is_unverified(const arca_account_t *who)
{
    return who && !who->verified;
}

const char *arca_unusable_reason(apr_pool_t *p, const arca_account_t *who)
{
    if (arca_is_disabled(who))
        return apr_psprintf(p, "your account '%s' exists but an administrator has not "
                            "enabled it yet; ask your site administrator to enable it",
                            who->login);
    if (arca_is_unverified(who))
        return apr_psprintf(p, "your account '%s' exists but has not been verified yet; ask "
                            "your site administrator to verify it", who->login);
    return NULL;
}

int arca_may_list_users(const arca_account_t *who)
{
    return who && who->enabled;
}

const char *arca_readable_projects_sql(apr_pool_t *p, const char *ph)
{
    return apr_pstrcat(p, "SELECT id FROM arca_project WHERE accessibility = 'public' "
                       "UNION SELECT project FROM arca_project_member WHERE account_id = ",
                       ph, "::bigint", NULL);
}

const char *arca_listed_projects_sql(apr_pool_t *p, const char *ph)
{
    return apr_pstrcat(p, "SELECT id FROM arca_project WHERE accessibility <> 'private' "
                       "UNION SELECT project FROM arca_project_member WHERE account_id = ",
                       ph, "::bigint", NULL);
}

const char *arca_role_projects_sql(apr_pool_t *p, const char *ph, const char *roles)
{
    return apr_pstrcat(p, "SELECT project FROM arca_project_member WHERE account_id = ", ph,
                       "::bigint AND role IN (", roles, ")", NULL);
}

const char *arca_editable_projects_sql(apr_pool_t *p, const char *ph)
{
    return apr_pstrcat(p, "SELECT project FROM arca_project_member WHERE account_id = ", ph,
                       "::bigint AND role IN ('owner', 'member')", NULL);
}

static int role_allows(const char *role, arca_action_t action)
{
    if (role == NULL)
        return 0;
    if (strcmp(role, "owner") == 0)
        return 1;
    if (strcmp(role, "member") == 0)
        return action == ARCA_READ || action == ARCA_EDIT;
    return action == ARCA_READ; /* collaborator */
}

arca_error_t *arca_can_project(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                               const char *project, arca_action_t action, int *allowed,
                               int *visible)
{
    PGresult *res;
    const char *access, *role;
    arca_error_t *err;

    *allowed = *visible = 0;
    err = arca_db_query(db, p, &res,
                        "SELECT o.accessibility, m.role FROM arca_project o "
                        "LEFT JOIN arca_project_member m ON m.project = o.id "
                        "AND m.account_id = $2::bigint WHERE o.id = $1", 2,
                        (const char *const[]){project, who ? who->id : NULL});
    if (err || PQntuples(res) == 0)
        return err; /* no such project: neither allowed nor visible */
    access = PQgetvalue(res, 0, 0);
    role = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
    if (arca_is_disabled(who))
        return ARCA_OK;
    if (arca_is_site_admin(who)) {
        *allowed = *visible = 1;
        return ARCA_OK;
    }
    *visible = role != NULL || strcmp(access, "private") != 0 || arca_sees_all(who);
    if (role_allows(role, action))
        *allowed = 1;
    else if (arca_edits_all(who) && action != ARCA_MANAGE)
        *allowed = 1;
    else if (arca_sees_all(who) && action == ARCA_READ)
        *allowed = 1;
    else if (action == ARCA_READ && strcmp(access, "public") == 0)
        *allowed = 1;
    return ARCA_OK;
}

arca_error_t *arca_can_read_object(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                                   arca_kind_t kind, const char *id, int *allowed)
{
    PGresult *res;
    arca_error_t *err;

    *allowed = 0;
    if (arca_is_disabled(who))
        return ARCA_OK;
    if (arca_sees_all(who)) {
        *allowed = 1;
        return ARCA_OK;
    }
    err = arca_db_query(db, p, &res, apr_pstrcat(p,
        "SELECT 1 FROM ", kind == ARCA_KIND_SUBJECT ? "arca_subject_label WHERE subject_id"
                                                    : "arca_experiment_label WHERE experiment_id",
        " = $1 AND project IN (", arca_readable_projects_sql(p, "$2"), ") LIMIT 1", NULL), 2,
        (const char *const[]){id, who ? who->id : NULL});
    *allowed = !err && PQntuples(res) > 0;
    return err;
}

/* May `who` share out of `project`: its owners, or its members when its policy says so.
 * Who edits all data may too: reading everything and writing everywhere, a share gives
 * them nothing they could not copy. */
static arca_error_t *may_share_out(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                                   const char *project, int owners_only, int *allowed)
{
    const char *policy;
    int visible;
    arca_error_t *err = arca_can_project(db, p, who, project, ARCA_MANAGE, allowed, &visible);

    if (!err && arca_edits_all(who))
        *allowed = 1;
    if (err || *allowed || owners_only)
        return err;
    if ((err = arca_share_policy_get(db, p, project, &policy)))
        return err;
    if (strcmp(policy, "members") != 0)
        return ARCA_OK;
    return arca_can_project(db, p, who, project, ARCA_EDIT, allowed, &visible);
}

arca_error_t *arca_can_share(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                             const arca_share_t *share, arca_share_rule_t rule)
{
    const char *kind = arca_kind_name(share->kind);
    int out = 0, in, dest_visible;
    arca_error_t *err;

    if ((err = arca_can_project(db, p, who, share->dest, ARCA_EDIT, &in, &dest_visible)))
        return err;
    if (share->remove) {
        if (!in && (err = may_share_out(db, p, who, share->source, 1, &out)))
            return err;
        if (in || out)
            return ARCA_OK;
        return arca_error_create(p, 403, "a share of this %s is removed by the owners of "
                                 "project '%s' or by those who may add data to project "
                                 "'%s'", kind, share->source, share->dest);
    }
    if (!dest_visible)
        return arca_error_create(p, 404, "no project '%s'", share->dest);
    if (!in)
        return arca_error_create(p, 403, "you may not add data to project '%s'", share->dest);
    if (share->make_primary || rule == ARCA_SHARE_OWNER) {
        if ((err = may_share_out(db, p, who, share->source, share->make_primary, &out)))
            return err;
        if (out)
            return ARCA_OK;
        return arca_error_create(p, 403, share->make_primary
                                 ? "moving this %s out of project '%s' is for its owners"
                                 : "sharing this %s out of project '%s' is for its owners"
                                   " (or its members, when its share policy says so)",
                                 kind, share->source);
    }
    /* XNAT's rule: reading the object is enough */
    if ((err = arca_can_read_object(db, p, who, share->kind, share->id, &out)))
        return err;
    return out ? ARCA_OK : arca_error_create(p, 404, "no %s '%s'", kind, share->id);
}

int arca_role_parse(const char *project, const char *group, const char **role)
{
    static const struct { const char *role, *display, *suffix; } roles[] = {
        {"owner", "Owners", "_owner"}, {"member", "Members", "_member"},
        {"collaborator", "Collaborators", "_collaborator"},
    };
    size_t np = project ? strlen(project) : 0;

    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcasecmp(group, roles[i].role) == 0 || strcasecmp(group, roles[i].display) == 0
            || (np && strncmp(group, project, np) == 0
                && strcmp(group + np, roles[i].suffix) == 0)) {
            *role = roles[i].role;
            return 1;
        }
    }
    return 0;
}

const char *arca_role_display(const char *role)
{
    if (strcmp(role, "owner") == 0)
        return "Owners";
    if (strcmp(role, "member") == 0)
        return "Members";
    return "Collaborators";
}
