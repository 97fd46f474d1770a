/* The arca-* authz providers. They decide with libarca's access rules (access/authz.h), the
 * ones the REST API applies, so a location guarded here agrees with the API: a site admin,
 * all-data access and a public project's read access count as they count there. */
#include <string.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_request.h>
#include <mod_auth.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "access/authz.h"
#include "require.h"

APLOG_USE_MODULE(arca_authz);

/* The request's account, or NULL with *fail saying what to answer. An account that may not
 * be used at all (disabled, unverified) is refused here too: the account gate stops it only
 * on the locations Arca's handlers serve, and these providers guard others. */
static const arca_account_t *account_of(request_rec *r, authz_status *fail)
{
    const arca_account_t *who = NULL;
    arca_error_t *err;

    *fail = AUTHZ_DENIED;
    if (r->user == NULL) {
        *fail = AUTHZ_DENIED_NO_USER; /* ask for a login first */
        return NULL;
    }
    if ((err = arca_core.request_account(r, &who))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARCA_LOGNO(10220)
                      "Require arca-*: cannot look up '%s': %s", r->user, err->message);
        *fail = AUTHZ_GENERAL_ERROR;
        return NULL;
    }
    return who && !arca_is_disabled(who) && !arca_is_unverified(who) ? who : NULL;
}

static authz_status site_admin_check(request_rec *r, const char *line, const void *parsed)
{
    authz_status fail;
    const arca_account_t *who = account_of(r, &fail);

    return who ? (arca_is_site_admin(who) ? AUTHZ_GRANTED : AUTHZ_DENIED) : fail;
}

/* A role names what it lets one do in the project: owners manage it, members edit its
 * data, collaborators read it. */
static arca_action_t action_of_role(const char *role)
{
    return !strcmp(role, "owner") ? ARCA_MANAGE : !strcmp(role, "member") ? ARCA_EDIT
                                                                          : ARCA_READ;
}

/* "role project" (the project may be empty: the request's ARCA_PROJECT then). */
static const char *role_parse(cmd_parms *cmd, const char *line, const void **parsed)
{
    const char *w = line, *role_word = ap_getword_conf(cmd->temp_pool, &w), *role;

    if (!arca_role_parse(NULL, role_word, &role))
        return apr_psprintf(cmd->pool, "Require arca-project-role: '%s' is not owner, member "
                            "or collaborator", role_word);
    *parsed = apr_pstrcat(cmd->pool, role, " ", ap_getword_conf(cmd->temp_pool, &w), NULL);
    return NULL;
}

static authz_status project_role_check(request_rec *r, const char *line, const void *parsed)
{
    const char *spec = parsed, *sp = strchr(spec, ' ');
    const char *role = apr_pstrmemdup(r->pool, spec, (apr_size_t)(sp - spec));
    const char *project = sp[1] ? sp + 1 : apr_table_get(r->subprocess_env, "ARCA_PROJECT");
    authz_status fail;
    const arca_account_t *who = account_of(r, &fail);
    arca_db_t *db;
    arca_error_t *err;
    int allowed, visible;

    if (who == NULL)
        return fail;
    if (project == NULL || *project == '\0')
        return AUTHZ_DENIED;
    if ((err = arca_core.request_db(r, &db))
        || (err = arca_can_project(db, r->pool, who, project, action_of_role(role), &allowed,
                                   &visible))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARCA_LOGNO(10221)
                      "Require arca-project-role: cannot decide for '%s': %s", r->user,
                      err->message);
        return AUTHZ_GENERAL_ERROR;
    }
    return allowed ? AUTHZ_GRANTED : AUTHZ_DENIED;
}

static const authz_provider site_admin_provider = {site_admin_check, NULL};
static const authz_provider project_role_provider = {project_role_check, role_parse};

void require_register_providers(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "arca-site-admin",
                              AUTHZ_PROVIDER_VERSION, &site_admin_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "arca-project-role",
                              AUTHZ_PROVIDER_VERSION, &project_role_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
