/* The arca-* authz providers. */
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
        *fail = AUTHZ_GENERAL_ERROR;
        return NULL;
    }
    return who && who->enabled ? who : NULL;
}

static authz_status site_admin_check(request_rec *r, const char *line, const void *parsed)
{
    authz_status fail;
    const arca_account_t *who = account_of(r, &fail);

    return who ? (who->site_admin ? AUTHZ_GRANTED : AUTHZ_DENIED) : fail;
}

static int rank(const char *role)
{
    return !strcmp(role, "owner") ? 3 : !strcmp(role, "member") ? 2
           : !strcmp(role, "collaborator") ? 1 : 0;
}

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
    PGresult *res;

    if (who == NULL)
        return fail;
    if (who->site_admin)
        return AUTHZ_GRANTED;
    if (project == NULL || arca_core.request_db(r, &db)
        || arca_db_query(db, r->pool, &res, "SELECT role FROM arca_project_member "
                         "WHERE project = $1 AND account_id = $2::bigint", 2,
                         (const char *const[]){project, who->id}))
        return project == NULL ? AUTHZ_DENIED : AUTHZ_GENERAL_ERROR;
    return PQntuples(res) == 1 && rank(PQgetvalue(res, 0, 0)) >= rank(role) ? AUTHZ_GRANTED
                                                                            : AUTHZ_DENIED;
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
