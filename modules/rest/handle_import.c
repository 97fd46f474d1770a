/* XNAT's import service, direct to the archive:
 *   POST /data/services/import?import-handler=DICOM-zip|gradual-DICOM&PROJECT_ID=P
 *        &SUBJECT_ID=S&EXPT_LABEL=E&dest=/archive[...]         body: zip, tar, tar.gz, or
 *        one DICOM file (gradual-DICOM, or Content-Type application/dicom)
 * Every object is de-identified by the site's script, then the project's (XNAT's config
 * service, anon/script and anon/projects/{p}), then stored; all of one request is one
 * transaction. The answer is the session URIs, one per line. With dest=/prearchive[/projects/
 * {p}] the objects wait in the prearchive (handle_prearchive.c) instead. */
#include <string.h>
#include <strings.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "data.h"
#include "handlers.h"
#include "store/filestore.h"
#include "store/form_files.h"
#include "import/import.h"
#include "import/import_deid.h"
#include "prearchive/prearchive.h"
#include "rest_config.h"

typedef struct {
    request_rec *r;
    arca_db_t *db;
    arca_import_t *imp;
    int gradual;
    const char *form;   /* multipart/form-data: its Content-Type */
    int dest_by_project;/* no dest: the project's prearchive setting decides */
    int overwrite_given;
} import_state;

static const char *first_arg(request_rec *r, const char *a, const char *b);
static void common_options(request_rec *r, arca_import_options_t *o, import_state *st);
static arca_error_t *parse_dest(request_rec *r, const char *dest, arca_import_options_t *o);
static int import_and_answer(request_rec *r, arca_import_options_t *o, import_state *st);

int handle_import(request_rec *r, const route_match *m)
{
    const char *handler = arca_http_arg(r, "import-handler");
    const char *dest = arca_http_arg(r, "dest");
    const char *overwrite = arca_http_arg(r, "overwrite");
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    arca_import_options_t o;
    import_state st = {.r = r};
    arca_error_t *err;

    memset(&o, 0, sizeof o);
    o.project = first_arg(r, "PROJECT_ID", "project");
    o.subject = first_arg(r, "SUBJECT_ID", "subject");
    o.session = first_arg(r, "EXPT_LABEL", "session");
    common_options(r, &o, &st);
    st.gradual = (handler && !strcasecmp(handler, "gradual-DICOM"))
                 || (type && !strncasecmp(type, "application/dicom", 17));
    if (handler && strcasecmp(handler, "DICOM-zip") && strcasecmp(handler, "gradual-DICOM")
        && strcasecmp(handler, "SI"))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "import-handler '%s': use DICOM-zip or "
                                "gradual-DICOM", handler);
    /* one object per request adds to its session; a whole upload must not meet one
     * unless told so (XNAT's default) */
    o.overwrite = st.gradual ? ARCA_OVERWRITE_APPEND : ARCA_OVERWRITE_NONE;
    if (overwrite && *overwrite && !arca_overwrite_parse(overwrite, &o.overwrite))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "overwrite '%s': use none, append or "
                                "delete", overwrite);
    st.overwrite_given = overwrite && *overwrite;
    if (dest && *dest && (err = parse_dest(r, dest, &o)))
        return arca_http_error(r, err);
    /* XNAT's default: into the prearchive, unless the project archives what it receives
     * (or a gradual upload says Direct-Archive) */
    st.dest_by_project = !(dest && *dest) && !arca_http_flag(r, "Direct-Archive")
                         && o.prearchive != NULL;
    if (o.to_prearchive && o.prearchive == NULL)
        return arca_http_errorf(r, HTTP_INTERNAL_SERVER_ERROR, "ArcaPrearchive is not set");
    return import_and_answer(r, &o, &st);
}

/* A zip of DICOM (or one DICOM file) uploaded with extract=true to a session's DICOM
 * resource: it goes through the import path into that session (de-identified, scans
 * by series), never stored as sent. */
int rest_import_to_session(request_rec *r, const char *project, const char *subject,
                           const char *session)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    arca_import_options_t o;
    import_state st = {.r = r};

    memset(&o, 0, sizeof o);
    o.project = project;
    o.subject = subject;
    o.session = session;
    o.overwrite = ARCA_OVERWRITE_APPEND;
    common_options(r, &o, &st);
    st.gradual = type && !strncasecmp(type, "application/dicom", 17);
    return import_and_answer(r, &o, &st);
}

static const char *first_arg(request_rec *r, const char *a, const char *b)
{
    const char *v = arca_http_arg(r, a);

    return v && *v ? v : (b ? arca_http_arg(r, b) : NULL);
}

static void common_options(request_rec *r, arca_import_options_t *o, import_state *st)
{
    const arca_site_t *site = arca_core.site_get(r);
    const char *type = apr_table_get(r->headers_in, "Content-Type");

    o->site_id = site->site_id;
    o->archive = site->archive;
    o->prearchive = site->prearchive;
    o->user = arca_http_user(r);
    o->limits = rest_import_limits(r);
    if (type && strncasecmp(type, "multipart/form-data", 19) == 0
        && !arca_http_flag(r, "inbody"))
        st->form = type;
}

/* dest=/archive[/projects/{p}[/subjects/{s}[/experiments/{e}]]] or /prearchive[/projects/
 * {p}]: names in dest fill the parameters not given. */
static arca_error_t *parse_dest(request_rec *r, const char *dest, arca_import_options_t *o)
{
    static const char *const keys[] = {"projects", "subjects", "experiments"};
    const char **fields[] = {&o->project, &o->subject, &o->session};
    char *copy = apr_pstrdup(r->pool, dest), *state = NULL;
    const char *root = apr_strtok(copy, "/", &state);
    int n = 0, levels;

    if (root && (strcmp(root, "archive") == 0 || strcmp(root, "prearchive") == 0))
        o->to_prearchive = root[0] == 'p';
    else
        return arca_error_create(r->pool, 400, "dest '%s': use /archive or /prearchive", dest);
    levels = o->to_prearchive ? 1 : 3;
    for (char *k = apr_strtok(NULL, "/", &state); k; k = apr_strtok(NULL, "/", &state), n++) {
        char *v = apr_strtok(NULL, "/", &state);
        if (n >= levels || strcmp(k, keys[n]) || v == NULL || !arca_valid_label(v))
            return arca_error_create(r->pool, 400, "dest '%s': use /archive/projects/{p}/"
                                     "subjects/{s}/experiments/{e} or /prearchive/projects/"
                                     "{p}", dest);
        if (*fields[n] == NULL)
            *fields[n] = v;
    }
    return ARCA_OK;
}

/* No dest given: a project with prearchive_code 4 or 5 takes the data into its archive
 * (5: adding to a session of the same label); otherwise, or without a project, it waits
 * in the prearchive. */
static arca_error_t *default_dest(import_state *st, arca_import_options_t *o)
{
    int code = 0;
    arca_error_t *err = o->project ? arca_prearchive_code_get(st->db, st->r->pool, o->project,
                                                             &code)
                                   : ARCA_OK;

    if (err)
        return err;
    o->to_prearchive = code != 4 && code != 5;
    if (code == 5 && !st->overwrite_given)
        o->overwrite = ARCA_OVERWRITE_APPEND;
    return ARCA_OK;
}

/* A form's files: each an archive, or one DICOM object (gradual-DICOM, or sent as
 * application/dicom). */
static arca_error_t *import_form(import_state *st, arca_http_body_t *body)
{
    arca_form_files_t *form;
    const char *filename, *type;
    int more;
    arca_error_t *err = arca_form_files_open(st->r->pool, st->form, arca_http_body_read, body,
                                             &form);

    while (!err && !(err = arca_form_files_next(form, &more, &filename, &type)) && more) {
        if (st->gradual || (type && strncasecmp(type, "application/dicom", 17) == 0))
            err = arca_import_object(st->imp, filename, arca_form_files_read, form);
        else
            err = arca_import_archive(st->imp, arca_form_files_read, form);
    }
    return err;
}

static arca_error_t *import_body(request_rec *r, arca_db_t *db, void *baton)
{
    import_state *st = baton;
    arca_http_body_t body;
    arca_error_t *err;

    arca_http_body_init(&body, r);
    if (st->form)
        err = import_form(st, &body);
    else if (st->gradual)
        err = arca_import_object(st->imp, NULL, arca_http_body_read, &body);
    else
        err = arca_import_archive(st->imp, arca_http_body_read, &body);
    return err ? err : arca_import_finish(st->imp);
}

/* Runs the import the options describe, in one transaction, and answers with the sessions
 * written to and the members left out. */
static int import_and_answer(request_rec *r, arca_import_options_t *o, import_state *st)
{
    const apr_array_header_t *uris, *rejected;
    const char *skipped = "", *answer = "", *report = arca_http_arg(r, "report");
    int full = report && strcmp(report, "full") == 0;
    apr_time_exp_t t;
    arca_error_t *err;

    if (o->archive == NULL)
        return arca_http_errorf(r, HTTP_INTERNAL_SERVER_ERROR, "ArcaArchive is not set");
    o->mode = st->gradual ? ARCA_IMPORT_GRADUAL : ARCA_IMPORT_UPLOAD;
    apr_time_exp_gmt(&t, apr_time_now());
    o->timestamp = apr_psprintf(r->pool, "%04d%02d%02d_%02d%02d%02d%03d", t.tm_year + 1900,
                               t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                               t.tm_usec / 1000);
    /* the uploader's rights decide where objects may go (import.h: who) */
    if ((err = arca_core.request_db(r, &st->db))
        || (err = arca_core.request_account(r, &o->who))
        || (o->project && (err = data_check_project(r, st->db, o->project, ARCA_EDIT)))
        || (st->dest_by_project && (err = default_dest(st, o)))
        || (err = arca_import_site_script(st->db, r->pool, &o->site_script))
        || (err = arca_import_begin(st->db, r->pool, o, &st->imp)))
        return arca_http_error(r, err);
    if ((err = data_in_transaction(r, st->db, import_body, st))) {
        arca_import_abort(st->imp);
        r->connection->keepalive = AP_CONN_CLOSE; /* the body may be partly unread */
        return arca_http_error(r, err);
    }
    arca_import_committed(st->imp);
    rejected = arca_import_rejected(st->imp);
    for (int i = 0; i < rejected->nelts; i++)
        skipped = apr_pstrcat(r->pool, skipped, "rejected ",
                              APR_ARRAY_IDX(rejected, i, const char *), "\r\n", NULL);
    if (arca_import_count(st->imp) == 0)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "the upload holds no DICOM object%s%s",
                                *skipped ? ":\r\n" : "", skipped);
    /* XNAT clients take the whole answer as one URI (xnatpy strips it and builds the
     * object): by default it is the first session alone. report=full lists every session,
     * one per line, then what was left out; the headers count both either way. */
    uris = arca_import_sessions(st->imp);
    for (int i = 0; i < uris->nelts && (i == 0 || full); i++)
        answer = apr_pstrcat(r->pool, answer, APR_ARRAY_IDX(uris, i, const char *), "\r\n",
                             NULL);
    apr_table_setn(r->headers_out, "X-Arca-Sessions", apr_itoa(r->pool, uris->nelts));
    if (rejected->nelts)
        apr_table_setn(r->headers_out, "X-Arca-Rejected", apr_itoa(r->pool, rejected->nelts));
    return arca_http_send_text(r, "text/plain; charset=utf-8",
                               apr_pstrcat(r->pool, answer, full ? skipped : "", NULL));
}
