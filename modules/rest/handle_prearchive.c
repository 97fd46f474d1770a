/* The prearchive, XNAT's way: sessions received with dest=/prearchive wait there, in
 * ArcaPrearchive/{project or Unassigned}/{timestamp}/{session}, until archived or deleted.
 *   GET    /data/prearchive/projects[/{p}]                 the waiting sessions
 *   POST   /data/prearchive/projects/{p}/{ts}/{s}?action=commit[&subject=..&label=..]
 *   POST   /data/services/archive?src=/prearchive/projects/{p}/{ts}/{s}[&project=..]
 *   DELETE /data/prearchive/projects/{p}/{ts}/{s}
 * Archiving imports the session's files into the archive (they were de-identified when
 * received) in one transaction, then removes them from the prearchive. Unassigned data is
 * for site admins; a project's for those who may edit the project. */
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "data.h"
#include "filestore.h"
#include "handlers.h"
#include "import.h"

static arca_error_t *check(request_rec *r, arca_db_t *db, const char *project)
{
    const arca_account_t *who;
    arca_error_t *err;

    if (strcmp(project, "Unassigned") != 0)
        return data_check_project(r, db, project, ARCA_EDIT);
    if ((err = arca_core.request_account(r, &who)))
        return err;
    return who && who->site_admin ? ARCA_OK
           : arca_error_create(r->pool, 403, "unassigned data is for site administrators");
}

int handle_prearchive_list(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project");
    const arca_account_t *who;
    arca_db_t *db;
    PGresult *res;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db)) || (err = arca_core.request_account(r, &who))
        || (project && (err = check(r, db, project))))
        return arca_http_error(r, err);
    /* without a project: the rows of the projects this user may edit (admins: all) */
    err = arca_db_query(db, r->pool, &res,
        "SELECT p.project, p.timestamp, to_char(p.lastmod, 'YYYY-MM-DD HH24:MI:SS.MS') AS "
        "lastmod, to_char(p.uploaded, 'YYYY-MM-DD HH24:MI:SS.MS') AS uploaded, "
        "coalesce(p.scan_date::text, '') AS scan_date, '' AS scan_time, p.subject, "
        "p.folder AS \"folderName\", p.folder AS name, '' AS tag, p.status, "
        "'/prearchive/projects/' || p.project || '/' || p.timestamp || '/' || p.folder AS url, "
        "'false' AS autoarchive, 'false' AS prevent_anon, 'false' AS prevent_auto_commit, "
        "'' AS \"SOURCE\", '' AS \"VISIT\", '' AS \"PROTOCOL\", '' AS \"TIMEZONE\" "
        "FROM arca_prearchive p WHERE ($1::text IS NULL OR p.project = $1) AND ($3 OR "
        "p.project IN (SELECT project FROM arca_project_member WHERE account_id = $2::bigint "
        "AND role IN ('owner', 'member'))) ORDER BY p.uploaded, p.folder", 3,
        (const char *const[]){project, who ? who->id : NULL,
                              who && who->site_admin ? "t" : "f"});
    if (err)
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, arca_resultset_from_pg(r->pool, "Prearchive", res),
                                    ARCA_FORMAT_HTML);
}

typedef struct {
    const char *project, *timestamp, *folder; /* the prearchived session */
    const char *dir;
    arca_import_t *imp;
    const char *target, *subject, *label;
} archive_state;

static arca_error_t *find(request_rec *r, arca_db_t *db, archive_state *st)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, r->pool, &res,
        "SELECT subject FROM arca_prearchive WHERE project = $1 AND timestamp = $2 AND "
        "folder = $3", 3, (const char *const[]){st->project, st->timestamp, st->folder});

    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(r->pool, 404, "Not Found: no prearchived session %s/%s/%s",
                                 st->project, st->timestamp, st->folder);
    if (st->subject == NULL && *PQgetvalue(res, 0, 0))
        st->subject = PQgetvalue(res, 0, 0);
    st->dir = apr_pstrcat(r->pool, arca_core.site_get(r)->prearchive, "/", st->project, "/",
                          st->timestamp, "/", st->folder, NULL);
    return ARCA_OK;
}

static arca_error_t *forget(request_rec *r, arca_db_t *db, archive_state *st)
{
    return arca_db_query(db, r->pool, NULL, "DELETE FROM arca_prearchive WHERE project = $1 "
                         "AND timestamp = $2 AND folder = $3", 3,
                         (const char *const[]){st->project, st->timestamp, st->folder});
}

static arca_error_t *archive_body(request_rec *r, arca_db_t *db, void *baton)
{
    archive_state *st = baton;
    arca_error_t *err = arca_import_tree(st->imp, st->dir);

    if (!err)
        err = arca_import_finish(st->imp);
    return err ? err : forget(r, db, st);
}

/* The prearchive folder goes, and its timestamp folder when that is left empty. */
static void remove_folder(request_rec *r, archive_state *st)
{
    (void)arca_remove_tree(r->pool, st->dir);
    apr_dir_remove(apr_pstrcat(r->pool, arca_core.site_get(r)->prearchive, "/", st->project,
                               "/", st->timestamp, NULL), r->pool);
}

static int archive(request_rec *r, archive_state *st)
{
    arca_import_options_t o;
    arca_db_t *db;
    arca_error_t *err;

    memset(&o, 0, sizeof o);
    o.site_id = arca_core.site_get(r)->site_id;
    o.archive = arca_core.site_get(r)->archive;
    o.user = arca_http_user(r);
    if ((err = arca_core.request_db(r, &db)) || (err = check(r, db, st->project))
        || (err = find(r, db, st)))
        return arca_http_error(r, err);
    o.project = st->target ? st->target : st->project;
    o.subject = st->subject;
    o.session = st->label ? st->label : st->folder;
    if (strcmp(o.project, "Unassigned") == 0)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "say which project to archive into: "
                                "project=");
    if (o.subject == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "say which subject: subject=");
    if ((err = data_check_project(r, db, o.project, ARCA_EDIT))
        || (err = arca_import_begin(db, r->pool, &o, &st->imp)))
        return arca_http_error(r, err);
    if ((err = data_in_transaction(r, db, archive_body, st))) {
        arca_import_abort(st->imp);
        return arca_http_error(r, err);
    }
    remove_folder(r, st);
    apr_table_setn(r->headers_out, "Location",
                   APR_ARRAY_IDX(arca_import_sessions(st->imp), 0, const char *));
    return arca_http_send_text(r, "text/uri-list", apr_pstrcat(r->pool,
                               APR_ARRAY_IDX(arca_import_sessions(st->imp), 0, const char *),
                               "\r\n", NULL));
}

static const char *overriding(request_rec *r, const char *a, const char *b)
{
    const char *v = arca_http_arg(r, a);

    return v && *v ? v : b && arca_http_arg(r, b) && *arca_http_arg(r, b)
                             ? arca_http_arg(r, b) : NULL;
}

int handle_prearchive_session(request_rec *r, const route_match *m)
{
    archive_state st = {route_param(m, "project"), route_param(m, "timestamp"),
                        route_param(m, "session"), NULL, NULL, NULL, NULL, NULL};
    const char *action = arca_http_arg(r, "action");
    arca_db_t *db;
    arca_error_t *err;

    if (r->method_number == M_DELETE) {
        if ((err = arca_core.request_db(r, &db)) || (err = check(r, db, st.project))
            || (err = find(r, db, &st)) || (err = forget(r, db, &st)))
            return arca_http_error(r, err);
        remove_folder(r, &st);
        return OK;
    }
    if (action == NULL || (strcmp(action, "commit") && strcmp(action, "archive")))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "action: use commit");
    st.target = overriding(r, "project", NULL);
    st.subject = overriding(r, "subject", NULL);
    st.label = overriding(r, "label", "session");
    return archive(r, &st);
}

/* POST /data/services/archive?src=/prearchive/projects/{p}/{ts}/{s} */
int handle_services_archive(request_rec *r, const route_match *m)
{
    const char *src = arca_http_arg(r, "src");
    char *copy, *state = NULL;
    archive_state st = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    const char *parts[5] = {NULL};
    int n = 0;

    if (src == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "src: give /prearchive/projects/{p}/"
                                "{timestamp}/{session}");
    copy = apr_pstrdup(r->pool, src);
    for (char *t = apr_strtok(copy, "/", &state); t && n < 5; t = apr_strtok(NULL, "/", &state))
        parts[n++] = t;
    if (n != 5 || strcmp(parts[0], "prearchive") || strcmp(parts[1], "projects"))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "src: give /prearchive/projects/{p}/"
                                "{timestamp}/{session}");
    st.project = parts[2];
    st.timestamp = parts[3];
    st.folder = parts[4];
    st.target = overriding(r, "project", NULL);
    st.subject = overriding(r, "subject", NULL);
    st.label = overriding(r, "label", "session");
    return archive(r, &st);
}
