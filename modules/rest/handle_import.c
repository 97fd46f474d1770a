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
#include "config_store.h"
#include "data.h"
#include "handlers.h"
#include "import.h"

#define CHUNK (64 * 1024)

typedef struct {
    arca_archive_entry_t *e;
    char *buf;
} entry_reader;

static arca_error_t *read_entry(void *baton, const void **data, apr_size_t *len)
{
    entry_reader *er = baton;

    *data = er->buf;
    return arca_archive_entry_read(er->e, er->buf, CHUNK, len);
}

typedef struct {
    request_rec *r;
    arca_import_t *imp;
    char *buf;
    int gradual;
} import_state;

static arca_error_t *each_entry(void *baton, const char *name, apr_off_t size,
                                arca_archive_entry_t *e)
{
    import_state *st = baton;
    entry_reader er = {e, st->buf};

    return arca_import_object(st->imp, name, read_entry, &er);
}

static arca_error_t *import_body(request_rec *r, arca_db_t *db, void *baton)
{
    import_state *st = baton;
    arca_http_body_t body;
    int count;
    arca_error_t *err;

    arca_http_body_init(&body, r);
    if (st->gradual)
        err = arca_import_object(st->imp, NULL, arca_http_body_read, &body);
    else {
        st->buf = apr_palloc(r->pool, CHUNK);
        err = arca_archive_extract(r->pool, arca_http_body_read, &body, each_entry, st,
                                   &count);
    }
    return err ? err : arca_import_finish(st->imp);
}

/* The enabled script of a config document, compiled; NULL when there is none. The site's
 * default script applies until an admin stores one. */
static arca_error_t *script(request_rec *r, arca_db_t *db, const char *path,
                            const char *project, const char *dflt,
                            const arca_deid_program **out)
{
    arca_config_t *c;
    arca_deid_program *prog;
    arca_error_t *err = arca_config_get(db, r->pool, "anon", path, project, &c);
    const char *text = c ? (strcmp(c->status, "enabled") == 0 ? c->contents : NULL) : dflt;

    *out = NULL;
    if (err || text == NULL)
        return err;
    if ((err = arca_deid_compile(r->pool, text, strlen(text), &prog)))
        return arca_error_create(r->pool, 500, "the stored anonymisation script does not "
                                 "compile: %s", err->message);
    *out = prog;
    return ARCA_OK;
}

/* The project's Basic Profile option: its config document anon/basicProfile, enabled.
 * Then UIDs are remapped with the project's secret. */
static arca_error_t *basic_profile(request_rec *r, arca_db_t *db, arca_import_options_t *o)
{
    arca_config_t *c;
    arca_deid_program *prog;
    PGresult *res;
    arca_error_t *err = arca_config_get(db, r->pool, "anon", "basicProfile", o->project, &c);

    if (err || c == NULL || strcmp(c->status, "enabled") != 0)
        return err;
    /* (0012,0063) is LO: at most 64 characters */
    if ((err = arca_deid_basic_profile(r->pool, "Arca: PS3.15 Basic Application Level "
                                       "Confidentiality Profile", &prog))
        || (err = arca_db_query(db, r->pool, &res, "SELECT uid_salt FROM arca_project "
                                "WHERE id = $1", 1, &o->project)))
        return err;
    o->basic_profile = prog;
    o->uid_salt = PQntuples(res) ? PQgetvalue(res, 0, 0) : NULL;
    return ARCA_OK;
}

static const char *first_arg(request_rec *r, const char *a, const char *b)
{
    const char *v = arca_http_arg(r, a);

    return v && *v ? v : (b ? arca_http_arg(r, b) : NULL);
}

int handle_import(request_rec *r, const route_match *m)
{
    const char *handler = arca_http_arg(r, "import-handler");
    const char *dest = arca_http_arg(r, "dest");
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    arca_import_options_t o;
    import_state st = {r, NULL, NULL, 0};
    const apr_array_header_t *uris, *rejected;
    const char *skipped = "";
    arca_db_t *db;
    arca_error_t *err;
    const char *answer = "";

    memset(&o, 0, sizeof o);
    o.project = first_arg(r, "PROJECT_ID", "project");
    o.subject = first_arg(r, "SUBJECT_ID", "subject");
    o.session = first_arg(r, "EXPT_LABEL", "session");
    o.site_id = arca_core.site_get(r)->site_id;
    o.archive = arca_core.site_get(r)->archive;
    o.user = arca_http_user(r);
    st.gradual = (handler && !strcasecmp(handler, "gradual-DICOM"))
                 || (type && !strncasecmp(type, "application/dicom", 17));
    if (handler && strcasecmp(handler, "DICOM-zip") && strcasecmp(handler, "gradual-DICOM")
        && strcasecmp(handler, "SI"))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "import-handler '%s': use DICOM-zip or "
                                "gradual-DICOM", handler);
    if (dest && strncmp(dest, "/prearchive", 11) == 0) {
        /* into the prearchive, the project from dest=/prearchive/projects/{p} or the
         * parameters, or none (Unassigned) */
        apr_time_exp_t t;
        if (o.project == NULL && strncmp(dest, "/prearchive/projects/", 21) == 0
            && dest[21])
            o.project = apr_pstrndup(r->pool, dest + 21, strcspn(dest + 21, "/"));
        o.prearchive = arca_core.site_get(r)->prearchive;
        if (o.prearchive == NULL)
            return arca_http_errorf(r, HTTP_INTERNAL_SERVER_ERROR, "ArcaPrearchive is not set");
        apr_time_exp_gmt(&t, apr_time_now());
        o.timestamp = apr_psprintf(r->pool, "%04d%02d%02d_%02d%02d%02d%03d", t.tm_year + 1900,
                                   t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                                   t.tm_usec / 1000);
    } else if (dest && strncmp(dest, "/archive", 8) != 0) {
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "dest '%s': use /archive or /prearchive",
                                dest);
    }
    if (o.project == NULL && o.prearchive == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "say which project: PROJECT_ID");
    if (o.archive == NULL)
        return arca_http_errorf(r, HTTP_INTERNAL_SERVER_ERROR, "ArcaArchive is not set");
    if ((err = arca_core.request_db(r, &db))
        || (o.project && (err = data_check_project(r, db, o.project, ARCA_EDIT)))
        || (err = script(r, db, "script", NULL, rest_default_anon_script(), &o.site_script))
        || (o.project && (err = script(r, db, apr_pstrcat(r->pool, "projects/", o.project,
                                                         NULL), o.project, NULL,
                                      &o.project_script)))
        || (o.project && (err = basic_profile(r, db, &o)))
        || (err = arca_import_begin(db, r->pool, &o, &st.imp)))
        return arca_http_error(r, err);
    if ((err = data_in_transaction(r, db, import_body, &st))) {
        arca_import_abort(st.imp);
        r->connection->keepalive = AP_CONN_CLOSE; /* the body may be partly unread */
        return arca_http_error(r, err);
    }
    rejected = arca_import_rejected(st.imp);
    for (int i = 0; i < rejected->nelts; i++)
        skipped = apr_pstrcat(r->pool, skipped, "rejected ",
                              APR_ARRAY_IDX(rejected, i, const char *), "\r\n", NULL);
    if (arca_import_count(st.imp) == 0)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "the upload holds no DICOM object%s%s",
                                *skipped ? ":\r\n" : "", skipped);
    /* the sessions first (XNAT clients read them), then what was left out */
    uris = arca_import_sessions(st.imp);
    for (int i = 0; i < uris->nelts; i++)
        answer = apr_pstrcat(r->pool, answer, APR_ARRAY_IDX(uris, i, const char *), "\r\n",
                             NULL);
    if (rejected->nelts)
        apr_table_setn(r->headers_out, "X-Arca-Rejected", apr_itoa(r->pool, rejected->nelts));
    return arca_http_send_text(r, "text/plain; charset=utf-8",
                               apr_pstrcat(r->pool, answer, skipped, NULL));
}
