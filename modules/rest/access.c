/* The access check of a /data request, once its path is resolved: which project decides,
 * and whether the user may do what the method means there (rules in libarca's authz.h). */
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>

#include "access/authz.h"
#include "data.h"
#include "rest_config.h"

static arca_action_t action_of(request_rec *r)
{
    switch (r->method_number) {
    case M_GET: return ARCA_READ;
    case M_DELETE: return ARCA_DELETE;
    default: return ARCA_EDIT;
    }
}

/* A refusal: 404 where the user may not know the project exists (the answer a missing
 * one gets from arca_locate), else 403. `name` is the project as the path gave it. */
static arca_error_t *refuse(request_rec *r, const char *name, int visible,
                            arca_action_t action)
{
    static const char *const verbs[] = {"read", "change", "delete", "manage"};

    if (!visible)
        return arca_error_create(r->pool, HTTP_NOT_FOUND, "no project '%s'", name);
    if (r->user == NULL)
        return arca_error_create(r->pool, HTTP_UNAUTHORIZED, "%s", ARCA_LOGIN_REQUIRED);
    return arca_error_create(r->pool, HTTP_FORBIDDEN, "you may not %s data of project '%s'",
                             verbs[action], name);
}

/* A subject or experiment the user may not read: the answer one that does not exist gets,
 * word for word. */
static arca_error_t *no_object(request_rec *r, arca_kind_t kind, const char *name)
{
    return arca_error_create(r->pool, HTTP_NOT_FOUND, "no %s '%s'", arca_kind_name(kind),
                             name);
}

/* seen: the user can read the object, so a refusal is a 403 (seeing it but not being
 * allowed to change it tells nothing new), even when the project it belongs to is private
 * and the user reads it where it is shared. */
static arca_error_t *check_in_project(request_rec *r, arca_db_t *db, const arca_account_t *who,
                                      const char *project, arca_action_t action, int seen)
{
    int allowed, visible;
    arca_error_t *err = arca_can_project(db, r->pool, who, project, action, &allowed,
                                         &visible);

    if (err || allowed)
        return err;
    return refuse(r, project, seen || visible, action);
}

static arca_error_t *check_project(request_rec *r, arca_db_t *db, const arca_account_t *who,
                                   const char *project, arca_action_t action)
{
    return check_in_project(r, db, who, project, action, 0);
}

arca_error_t *data_check_known(request_rec *r, arca_db_t *db, const arca_location_t *loc,
                               const arca_account_t *who)
{
    int allowed, visible;
    const char *id;
    arca_error_t *err;

    if (arca_sees_all(who))
        return ARCA_OK;
    if (loc->top_kind == ARCA_KIND_PROJECT) {
        if (loc->project == NULL)
            return ARCA_OK; /* the project itself, or none: data_check_access decides */
        if ((err = arca_can_project(db, r->pool, who, loc->project, ARCA_READ, &allowed,
                                    &visible)) || allowed)
            return err;
        return refuse(r, loc->top_name, visible, action_of(r));
    }
    /* an assessor's path goes through its session, which is what the ID names */
    id = loc->top_kind == ARCA_KIND_SUBJECT ? loc->subject_id
         : loc->session_id ? loc->session_id : loc->experiment_id;
    if (id == NULL)
        return ARCA_OK; /* not found: the answer already says "no ..." */
    if ((err = arca_can_read_object(db, r->pool, who, loc->top_kind, id, &allowed)))
        return err;
    return allowed ? ARCA_OK : no_object(r, loc->top_kind, loc->top_name);
}

/* Sharing a subject or experiment into another project, or removing a share: authz.c's
 * arca_can_share under the site's ArcaShareRule. */
static arca_error_t *check_share(request_rec *r, arca_db_t *db, const arca_account_t *who,
                                 const arca_location_t *loc, const char *dest, int remove)
{
    arca_share_t share;

    share.kind = loc->kind;
    share.id = loc->kind == ARCA_KIND_SUBJECT ? loc->subject_id : loc->experiment_id;
    share.source = loc->kind == ARCA_KIND_SUBJECT ? loc->subject_project
                                                   : loc->experiment_project;
    share.dest = dest;
    share.remove = remove;
    share.make_primary = !remove && arca_http_flag(r, "primary");
    return arca_can_share(db, r->pool, who, &share, rest_share_rule(r));
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
    int allowed, visible;
    arca_error_t *err;

    if (r->user && who == NULL)
        return arca_error_create(r->pool, HTTP_FORBIDDEN, "'%s' logged in, but has no Arca "
                                 "account", r->user);
    if (arca_is_site_admin(who))
        return ARCA_OK;
    /* below a project or an accession ID the user may not read, nothing is known */
    if ((err = data_check_known(r, db, loc, who)))
        return err;

    /* the projects a subject or experiment is in: whoever reads it (the list is then
     * filtered to the projects the user may know of) */
    if (loc->projects_of) {
        const char *id = loc->projects_kind == ARCA_KIND_SUBJECT ? loc->subject_id
                                                                  : loc->experiment_id;
        if ((err = arca_can_read_object(db, r->pool, who, loc->projects_kind, id, &allowed)))
            return err;
        return allowed ? ARCA_OK : no_object(r, loc->projects_kind, loc->name);
    }

    /* projects: the list is filtered; creating one is open to every user */
    if (loc->kind == ARCA_KIND_PROJECT) {
        if (loc->is_list)
            return ARCA_OK;
        if (!loc->exists)
            return action == ARCA_EDIT && who ? ARCA_OK
                   : arca_error_create(r->pool, HTTP_NOT_FOUND, "no project '%s'",
                                       loc->top_name);
        if (action == ARCA_READ) {
            if ((err = arca_can_project(db, r->pool, who, loc->name, ARCA_READ, &allowed,
                                        &visible)))
                return err;
            return visible ? ARCA_OK : refuse(r, loc->top_name, 0, action);
        }
        if ((err = arca_can_project(db, r->pool, who, loc->name, ARCA_MANAGE, &allowed,
                                    &visible)) || allowed)
            return err;
        return refuse(r, loc->top_name, visible, ARCA_MANAGE);
    }

    /* a share into another project (the object is readable here: data_check_known) */
    if (loc->share_project)
        return action == ARCA_READ ? ARCA_OK
               : check_share(r, db, who, loc, loc->share_project, action == ARCA_DELETE);

    if (action == ARCA_READ) {
        if (loc->project)
            return check_project(r, db, who, loc->project, ARCA_READ);
        if (loc->experiment_id || loc->subject_id) {
            arca_kind_t kind = loc->experiment_id ? ARCA_KIND_EXPERIMENT : ARCA_KIND_SUBJECT;
            const char *id = loc->experiment_id ? loc->experiment_id : loc->subject_id;
            if ((err = arca_can_read_object(db, r->pool, who, kind, id, &allowed)))
                return err;
            return allowed ? ARCA_OK : no_object(r, loc->kind, loc->name);
        }
        return ARCA_OK; /* /data/subjects, /data/experiments: filtered lists */
    }

    /* DELETE of a shared subject or experiment from a project it is only shared into
     * removes the share */
    if (action == ARCA_DELETE && loc->project && loc->exists
        && ((loc->kind == ARCA_KIND_SUBJECT && strcmp(loc->project, loc->subject_project))
            || (loc->kind == ARCA_KIND_EXPERIMENT
                && strcmp(loc->project, loc->experiment_project))))
        return check_share(r, db, who, loc, loc->project, 1);
    owner = owning_project(loc);
    if (owner == NULL && !loc->is_list
        && (loc->kind == ARCA_KIND_SUBJECT || loc->kind == ARCA_KIND_EXPERIMENT))
        return no_object(r, loc->kind, loc->name); /* /data/experiments/{missing ID} */
    if (owner == NULL)
        return arca_error_create(r->pool, HTTP_BAD_REQUEST, "say which project: "
                                 "/data/projects/{project}/...");
    /* deleting a file or resource is editing the data it belongs to */
    if (action == ARCA_DELETE
        && (loc->kind == ARCA_KIND_RESOURCE || loc->kind == ARCA_KIND_FILE))
        action = ARCA_EDIT;
    return check_in_project(r, db, who, owner, action, 1);
}
