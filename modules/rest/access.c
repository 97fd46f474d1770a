/* The access check of a /data request, once its path is resolved: which project decides,
 * and whether the user may do what the method means there (rules in libarca's authz.h). */
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>

#include "access/authz.h"
#include "data.h"

static arca_action_t action_of(request_rec *r)
{
    switch (r->method_number) {
    case M_GET: return ARCA_READ;
    case M_DELETE: return ARCA_DELETE;
    default: return ARCA_EDIT;
    }
}

/* A refusal: 404 where the user may not know the project exists, else 403. */
static arca_error_t *refuse(request_rec *r, const char *project, int visible,
                            arca_action_t action)
{
    static const char *const verbs[] = {"read", "change", "delete", "manage"};

    if (!visible)
        return arca_error_create(r->pool, HTTP_NOT_FOUND, "Not Found: no project '%s'",
                                 project);
    if (r->user == NULL)
        return arca_error_create(r->pool, HTTP_UNAUTHORIZED, "%s", ARCA_LOGIN_REQUIRED);
    return arca_error_create(r->pool, HTTP_FORBIDDEN, "you may not %s data of project '%s'",
                             verbs[action], project);
}

static arca_error_t *check_project(request_rec *r, arca_db_t *db, const arca_account_t *who,
                                   const char *project, arca_action_t action)
{
    int allowed, visible;
    arca_error_t *err = arca_can_project(db, r->pool, who, project, action, &allowed,
                                         &visible);

    if (err || allowed)
        return err;
    return refuse(r, project, visible, action);
}

/* The project that owns what the path names, for changes: shared objects change only
 * through their primary project. */
static const char *owning_project(const arca_location_t *loc)
{
    if (loc->experiment_id && (loc->kind != ARCA_KIND_EXPERIMENT || loc->exists))
        return loc->experiment_project;
    if (loc->subject_id && (loc->kind != ARCA_KIND_SUBJECT || loc->exists))
        return loc->subject_project;
    return loc->project;
}

arca_error_t *data_check_project(request_rec *r, arca_db_t *db, const char *project,
                                 arca_action_t action)
{
    const arca_account_t *who;
    arca_error_t *err = arca_core.request_account(r, &who);

    if (err)
        return err;
    if (r->user && who == NULL)
        return arca_error_create(r->pool, HTTP_FORBIDDEN, "'%s' logged in, but has no Arca "
                                 "account", r->user);
    return check_project(r, db, who, project, action);
}

arca_error_t *data_check_access(request_rec *r, arca_db_t *db, const arca_location_t *loc,
                                const arca_account_t *who)
{
    arca_action_t action = action_of(r);
    const char *owner;
    int allowed;
    arca_error_t *err;

    if (r->user && who == NULL)
        return arca_error_create(r->pool, HTTP_FORBIDDEN, "'%s' logged in, but has no Arca "
                                 "account", r->user);
    if (arca_is_site_admin(who))
        return ARCA_OK;

    /* the projects a subject or experiment is in: whoever reads it (the list is then
     * filtered to the projects the user may know of) */
    if (loc->projects_of) {
        const char *id = loc->projects_kind == ARCA_KIND_SUBJECT ? loc->subject_id
                                                                  : loc->experiment_id;
        if ((err = arca_can_read_object(db, r->pool, who, loc->projects_kind, id, &allowed)))
            return err;
        return allowed ? ARCA_OK : arca_error_create(r->pool, HTTP_NOT_FOUND, "Not Found");
    }

    /* projects: the list is filtered; creating one is open to every user */
    if (loc->kind == ARCA_KIND_PROJECT) {
        if (loc->is_list)
            return ARCA_OK;
        if (!loc->exists)
            return action == ARCA_EDIT && who ? ARCA_OK
                   : arca_error_create(r->pool, HTTP_NOT_FOUND, "Not Found: no project '%s'",
                                       loc->name);
        if (action == ARCA_READ) {
            int visible;
            if ((err = arca_can_project(db, r->pool, who, loc->name, ARCA_READ, &allowed,
                                        &visible)))
                return err;
            return visible ? ARCA_OK : refuse(r, loc->name, 0, action);
        }
        return check_project(r, db, who, loc->name, ARCA_MANAGE);
    }

    /* sharing into another project: read here, change there */
    if (loc->share_project) {
        const char *id = loc->kind == ARCA_KIND_SUBJECT ? loc->subject_id : loc->experiment_id;
        if ((err = arca_can_read_object(db, r->pool, who, loc->kind, id, &allowed)))
            return err;
        if (!allowed)
            return arca_error_create(r->pool, HTTP_NOT_FOUND, "Not Found");
        return check_project(r, db, who, loc->share_project, ARCA_EDIT);
    }

    if (action == ARCA_READ) {
        if (loc->project)
            return check_project(r, db, who, loc->project, ARCA_READ);
        if (loc->experiment_id || loc->subject_id) {
            arca_kind_t kind = loc->experiment_id ? ARCA_KIND_EXPERIMENT : ARCA_KIND_SUBJECT;
            const char *id = loc->experiment_id ? loc->experiment_id : loc->subject_id;
            if ((err = arca_can_read_object(db, r->pool, who, kind, id, &allowed)))
                return err;
            return allowed ? ARCA_OK : arca_error_create(r->pool, HTTP_NOT_FOUND, "Not Found");
        }
        return ARCA_OK; /* /data/subjects, /data/experiments: filtered lists */
    }

    /* DELETE of a shared subject or experiment from a project it is only shared into
     * removes the share: a change to that project */
    if (action == ARCA_DELETE && loc->project && loc->exists
        && ((loc->kind == ARCA_KIND_SUBJECT && strcmp(loc->project, loc->subject_project))
            || (loc->kind == ARCA_KIND_EXPERIMENT
                && strcmp(loc->project, loc->experiment_project))))
        return check_project(r, db, who, loc->project, ARCA_EDIT);
    owner = owning_project(loc);
    if (owner == NULL)
        return arca_error_create(r->pool, HTTP_BAD_REQUEST, "say which project: "
                                 "/data/projects/{project}/...");
    /* deleting a file or resource is editing the data it belongs to */
    if (action == ARCA_DELETE
        && (loc->kind == ARCA_KIND_RESOURCE || loc->kind == ARCA_KIND_FILE))
        action = ARCA_EDIT;
    return check_project(r, db, who, owner, action);
}
