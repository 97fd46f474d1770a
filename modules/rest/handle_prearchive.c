/* The prearchive, XNAT's way: sessions received with dest=/prearchive wait there, in
 * ArcaPrearchive/{project or Unassigned}/{timestamp}/{session}, until archived or deleted.
 *   GET    /data/prearchive/projects[/{p}]                 the waiting sessions
 *   POST   /data/prearchive/projects/{p}/{ts}/{s}?action=build|commit|move|set-status|
 *          reset-status   (commit: subject, label, project, overwrite; move: newProject;
 *          set-status: status); pyxnat sends action=build as a form with format=single
 *   DELETE /data/prearchive/projects/{p}/{ts}/{s}
 *   POST   /data/services/archive?src=/prearchive/projects/{p}/{ts}/{s}[&project=..]
 *   POST   /data/services/prearchive/move|delete|rebuild   src (repeatable), newProject
 * Parameters may come in the query or a form body. The work is libarca's (prearchive.h);
 * here: who may, and the answers. Unassigned data is for site admins; a project's for those
 * who may edit the project. Reading a session is handle_prearchive_view.c. */
#include <string.h>
#include <strings.h>

#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "data.h"
#include "handlers.h"
#include "prearchive/prearchive.h"
#include "prearchive_rest.h"

#define MAX_FORM (1024 * 1024) /* many src= of a bulk move */

arca_error_t *prearchive_check(request_rec *r, arca_db_t *db, const char *project)
{
    if (strcmp(project, ARCA_UNASSIGNED) != 0)
        return data_check_project(r, db, project, ARCA_EDIT);
    return arca_http_site_admin(r, "handle unassigned data");
}

arca_error_t *prearchive_open(request_rec *r, arca_db_t **db, const char *project,
                              const char *timestamp, const char *folder, arca_prearc_t **s)
{
    const char *root = arca_core.site_get(r)->prearchive;
    arca_error_t *err;

    if (root == NULL)
        return arca_error_create(r->pool, 500, "ArcaPrearchive is not set");
    if ((err = arca_core.request_db(r, db)) || (err = prearchive_check(r, *db, project)))
        return err;
    return arca_prearchive_find(*db, r->pool, root, project, timestamp, folder, s);
}

/* The query's arguments, then a form body's (pyxnat posts its parameters as a form). */
static arca_error_t *params(request_rec *r, apr_table_t **out)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    apr_table_t *all = apr_table_copy(r->pool, arca_http_args(r));
    const apr_table_entry_t *e;
    const apr_array_header_t *form;
    apr_size_t len;
    char *body;
    arca_error_t *err;

    *out = all;
    if (type == NULL || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0)
        return ARCA_OK;
    if ((err = arca_http_read_body(r, MAX_FORM, &body, &len)))
        return err;
    form = apr_table_elts(arca_http_parse_query(r->pool, body));
    e = (const apr_table_entry_t *)form->elts;
    for (int i = 0; i < form->nelts; i++)
        apr_table_add(all, e[i].key, e[i].val);
    return ARCA_OK;
}

static const char *param(apr_table_t *t, const char *a, const char *b)
{
    const char *v = apr_table_get(t, a);

    if ((v == NULL || *v == '\0') && b)
        v = apr_table_get(t, b);
    return v && *v ? v : NULL;
}

/* XNAT's overwrite=none|append|delete (also true and false, for append and none). */
static arca_error_t *overwrite(request_rec *r, apr_table_t *t, arca_overwrite_t *out)
{
    const char *v = param(t, "overwrite", NULL);

    *out = ARCA_OVERWRITE_NONE;
    if (v == NULL || arca_overwrite_parse(v, out) || strcasecmp(v, "false") == 0)
        return ARCA_OK;
    if (strcasecmp(v, "true") == 0) {
        *out = ARCA_OVERWRITE_APPEND;
        return ARCA_OK;
    }
    return arca_error_create(r->pool, HTTP_BAD_REQUEST, "overwrite '%s': use none, append "
                             "or delete", v);
}

/* The prearchive table's rows of the given sessions, as the client asked (pyxnat's
 * format=single means the default). */
static int send_rows(request_rec *r, arca_db_t *db, const apr_array_header_t *ids)
{
    const char *format = arca_http_arg(r, "format");
    PGresult *res;
    arca_error_t *err = arca_prearchive_rows(db, r->pool, ids, &res);

    if (err)
        return arca_http_error(r, err);
    if (format && strcasecmp(format, "single") == 0)
        apr_table_unset(arca_http_args(r), "format");
    return arca_http_send_resultset(r, arca_resultset_from_pg(r->pool, "Prearchive", res),
                                    ARCA_FORMAT_JSON);
}

static int send_row(request_rec *r, arca_db_t *db, const arca_prearc_t *s)
{
    apr_array_header_t *ids = apr_array_make(r->pool, 1, sizeof(const char *));

    APR_ARRAY_PUSH(ids, const char *) = s->id;
    return send_rows(r, db, ids);
}

int handle_prearchive_list(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project");
    const arca_account_t *who;
    arca_db_t *db;
    PGresult *res;
    arca_error_t *err;

    if ((err = arca_http_login(r, &who, &db))
        || (project && (err = prearchive_check(r, db, project))))
        return arca_http_error(r, err);
    /* without a project: the rows of the projects this user may edit (admins: all) */
    if ((err = arca_prearchive_list(db, r->pool, project, who, &res)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, arca_resultset_from_pg(r->pool, "Prearchive", res),
                                    ARCA_FORMAT_HTML);
}

static int archive(request_rec *r, arca_db_t *db, arca_prearc_t *s, apr_table_t *t)
{
    arca_prearchive_target_t target;
    const char *uri;
    arca_error_t *err;

    memset(&target, 0, sizeof target);
    target.site_id = arca_core.site_get(r)->site_id;
    target.archive = arca_core.site_get(r)->archive;
    target.user = arca_http_user(r);
    target.project = param(t, "project", NULL);
    target.subject = param(t, "subject", NULL);
    target.label = param(t, "label", "session");
    if (target.archive == NULL)
        return arca_http_errorf(r, HTTP_INTERNAL_SERVER_ERROR, "ArcaArchive is not set");
    if ((err = overwrite(r, t, &target.overwrite))
        || (target.project && (err = data_check_project(r, db, target.project, ARCA_EDIT)))
        || (err = arca_prearchive_archive(db, r->pool, s, &target, &uri)))
        return arca_http_error(r, err);
    apr_table_setn(r->headers_out, "Location", uri);
    return arca_http_send_text(r, "text/uri-list", apr_pstrcat(r->pool, uri, "\r\n", NULL));
}

static int move(request_rec *r, arca_db_t *db, arca_prearc_t *s, apr_table_t *t)
{
    const char *to = param(t, "newProject", NULL);
    arca_error_t *err;

    if (to == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "say where to: newProject=");
    if ((err = prearchive_check(r, db, to))
        || (err = arca_prearchive_move(db, r->pool, arca_core.site_get(r)->prearchive, s, to)))
        return arca_http_error(r, err);
    return send_row(r, db, s);
}

int handle_prearchive_session(request_rec *r, const route_match *m)
{
    const char *action;
    arca_prearc_t *s;
    apr_table_t *t;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = params(r, &t)) || (err = prearchive_open(r, &db, route_param(m, "project"),
                                                        route_param(m, "timestamp"),
                                                        route_param(m, "session"), &s)))
        return arca_http_error(r, err);
    if (r->method_number == M_DELETE) {
        if ((err = arca_prearchive_delete(db, r->pool, arca_core.site_get(r)->prearchive, s)))
            return arca_http_error(r, err);
        return OK;
    }
    action = param(t, "action", NULL);
    if (action == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "action: use build, commit, move, "
                                "set-status or reset-status");
    if (!strcmp(action, "commit") || !strcmp(action, "archive"))
        return archive(r, db, s, t);
    if (!strcmp(action, "move"))
        return move(r, db, s, t);
    if (!strcmp(action, "build") || !strcmp(action, "rebuild")
        || !strcmp(action, "reset-status"))
        err = arca_prearchive_rebuild(db, r->pool, s);
    else if (!strcmp(action, "set-status"))
        err = arca_prearchive_set_status(db, r->pool, s, param(t, "status", NULL), "");
    else
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "action '%s': use build, commit, move, "
                                "set-status or reset-status", action);
    return err ? arca_http_error(r, err) : send_row(r, db, s);
}

/* POST /data/services/archive?src=/prearchive/projects/{p}/{ts}/{s} */
int handle_services_archive(request_rec *r, const route_match *m)
{
    const char *project, *timestamp, *folder;
    arca_prearc_t *s;
    apr_table_t *t;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = params(r, &t))
        || (err = arca_prearchive_parse_src(r->pool, param(t, "src", NULL), &project,
                                            &timestamp, &folder))
        || (err = prearchive_open(r, &db, project, timestamp, folder, &s)))
        return arca_http_error(r, err);
    return archive(r, db, s, t);
}

static int collect_src(void *baton, const char *key, const char *value)
{
    APR_ARRAY_PUSH((apr_array_header_t *)baton, const char *) = value;
    return 1;
}

/* POST /data/services/prearchive/{move|delete|rebuild}: every src is checked (it exists,
 * the user may edit it, and for a move the new project too) before any is changed. */
int handle_services_prearchive(request_rec *r, const route_match *m)
{
    const char *op = route_param(m, "operation"), *to = NULL;
    const char *root = arca_core.site_get(r)->prearchive;
    apr_array_header_t *srcs = apr_array_make(r->pool, 4, sizeof(const char *));
    apr_array_header_t *sessions = apr_array_make(r->pool, 4, sizeof(arca_prearc_t *));
    apr_array_header_t *ids = apr_array_make(r->pool, 4, sizeof(const char *));
    PGresult *before = NULL;
    apr_table_t *t;
    arca_db_t *db;
    arca_error_t *err;

    if (strcmp(op, "move") && strcmp(op, "delete") && strcmp(op, "rebuild"))
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: use services/prearchive/move, "
                                "delete or rebuild");
    if ((err = params(r, &t)))
        return arca_http_error(r, err);
    apr_table_do(collect_src, srcs, t, "src", NULL);
    if (srcs->nelts == 0)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "src: give /prearchive/projects/"
                                "{project}/{timestamp}/{session}, once per session");
    if (!strcmp(op, "move") && (to = param(t, "newProject", NULL)) == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "say where to: newProject=");
    for (int i = 0; i < srcs->nelts; i++) {
        const char *project, *timestamp, *folder;
        arca_prearc_t *s;
        if ((err = arca_prearchive_parse_src(r->pool, APR_ARRAY_IDX(srcs, i, const char *),
                                             &project, &timestamp, &folder))
            || (err = prearchive_open(r, &db, project, timestamp, folder, &s)))
            return arca_http_error(r, err);
        APR_ARRAY_PUSH(sessions, arca_prearc_t *) = s;
        APR_ARRAY_PUSH(ids, const char *) = s->id;
    }
    if (to && (err = prearchive_check(r, db, to)))
        return arca_http_error(r, err);
    /* the deleted sessions' rows, as they were */
    if (!strcmp(op, "delete") && (err = arca_prearchive_rows(db, r->pool, ids, &before)))
        return arca_http_error(r, err);
    for (int i = 0; i < sessions->nelts; i++) {
        arca_prearc_t *s = APR_ARRAY_IDX(sessions, i, arca_prearc_t *);
        err = !strcmp(op, "move") ? arca_prearchive_move(db, r->pool, root, s, to)
              : !strcmp(op, "delete") ? arca_prearchive_delete(db, r->pool, root, s)
              : arca_prearchive_rebuild(db, r->pool, s);
        if (err) {
            if (i > 0) /* the earlier ones are done: say so in the log too */
                ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, ARCA_LOGNO(10120)
                              "prearchive %s stopped after %d of %d session(s)", op, i,
                              sessions->nelts);
            return arca_http_error(r, err);
        }
    }
    if (before)
        return arca_http_send_resultset(r, arca_resultset_from_pg(r->pool, "Prearchive",
                                                                  before), ARCA_FORMAT_JSON);
    return send_rows(r, db, ids);
}
