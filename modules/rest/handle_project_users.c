/* A project's groups and accessibility, XNAT's way:
 *   GET    /data/projects/{p}/users                       GROUP_ID, displayname, login, ...
 *   PUT    /data/projects/{p}/users/{group}/{login}       group: Owners, Members,
 *   DELETE /data/projects/{p}/users/{group}/{login}              Collaborators, {p}_owner...
 *   GET    /data/projects/{p}/accessibility               private | protected | public
 *   PUT    /data/projects/{p}/accessibility/{level}
 * Changes are for the project's owners (and site admins), and audited. */
#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "access/audit.h"
#include "data.h"
#include "handlers.h"
#include "access/membership.h"

static const char *uri_of(request_rec *r, const char *project)
{
    return apr_pstrcat(r->pool, "/data/projects/", project, NULL);
}

int handle_project_users(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project");
    arca_resultset_t *rs;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = data_check_project(r, db, project, ARCA_READ))
        || (err = arca_project_users(db, r->pool, project, &rs)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_HTML);
}

typedef struct {
    const char *project, *login, *role;
    int remove;
} member_change;

static arca_error_t *change_member(request_rec *r, arca_db_t *db, void *baton)
{
    member_change *c = baton;
    arca_error_t *err = c->remove
        ? arca_project_user_remove(db, r->pool, c->project, c->login, c->role)
        : arca_project_user_set(db, r->pool, c->project, c->login, c->role);

    if (err)
        return err;
    return arca_audit(db, r->pool, arca_http_user(r), c->remove ? "role_removed" : "role_added",
                      uri_of(r, c->project), apr_pstrcat(r->pool, c->login, " ",
                      arca_role_display(c->role), NULL), r->useragent_ip);
}

static int member(request_rec *r, const route_match *m, int remove)
{
    member_change c = {route_param(m, "project"), route_param(m, "login"), NULL, remove};
    arca_db_t *db;
    arca_error_t *err;

    if (!arca_role_parse(c.project, route_param(m, "group"), &c.role))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "group '%s': use Owners, Members or "
                                "Collaborators", route_param(m, "group"));
    if ((err = arca_core.request_db(r, &db))
        || (err = data_check_project(r, db, c.project, ARCA_MANAGE))
        || (err = data_in_transaction(r, db, change_member, &c)))
        return arca_http_error(r, err);
    return OK;
}

int handle_project_user_put(request_rec *r, const route_match *m)
{
    return member(r, m, 0);
}

int handle_project_user_delete(request_rec *r, const route_match *m)
{
    return member(r, m, 1);
}

int handle_accessibility_get(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project"), *level;
    arca_db_t *db;
    arca_error_t *err;
    int allowed, visible;
    const arca_account_t *who;

    /* what a project's listing shows, so: whoever may see it listed */
    if ((err = arca_core.request_db(r, &db)) || (err = arca_core.request_account(r, &who))
        || (err = arca_can_project(db, r->pool, who, project, ARCA_READ, &allowed, &visible)))
        return arca_http_error(r, err);
    if (!visible)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no project '%s'", project);
    if ((err = arca_project_accessibility(db, r->pool, project, &level)))
        return arca_http_error(r, err);
    return arca_http_send_text(r, "text/plain; charset=utf-8", level);
}

typedef struct {
    const char *project, *level;
} access_change;

static arca_error_t *change_access(request_rec *r, arca_db_t *db, void *baton)
{
    access_change *c = baton;
    arca_error_t *err = arca_project_set_accessibility(db, r->pool, c->project, c->level);

    return err ? err : arca_audit(db, r->pool, arca_http_user(r), "accessibility_changed",
                                  uri_of(r, c->project), c->level, r->useragent_ip);
}

int handle_accessibility_put(request_rec *r, const route_match *m)
{
    access_change c = {route_param(m, "project"), route_param(m, "level")};
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = data_check_project(r, db, c.project, ARCA_MANAGE))
        || (err = data_in_transaction(r, db, change_access, &c)))
        return arca_http_error(r, err);
    return arca_http_send_text(r, "text/plain; charset=utf-8", c.level);
}
