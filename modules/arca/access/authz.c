/* Access decisions (see authz.h for the rules). */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "access/authz.h"

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
