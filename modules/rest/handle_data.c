/* The entry point of the /data tree: resolve, then dispatch on what the path names. */
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "data.h"
#include "store/filestore.h"
#include "handlers.h"
#include "model/listing.h"
#include "store/multipart.h"

extern module AP_MODULE_DECLARE_DATA arca_rest_module;
APLOG_USE_MODULE(arca_rest);

int handle_data(request_rec *r, const route_match *m)
{
    arca_db_t *db;
    arca_location_t loc;
    arca_error_t *err;

    const arca_account_t *who;

    if ((err = arca_core.request_db(r, &db))
        || (err = arca_core.request_account(r, &who)))
        return arca_http_error(r, err);
    /* a path that goes missing below what the user may not read answers as the hidden
     * part would: "no project 'P'" whether or not what follows exists */
    if ((err = arca_locate(db, r->pool, m->segments, m->nsegments, &loc))) {
        arca_error_t *hidden;
        if (err->status == HTTP_NOT_FOUND && r->user && who
            && (hidden = data_check_known(r, db, &loc, who)) != NULL)
            err = hidden;
        return arca_http_error(r, err);
    }
    if ((err = data_check_access(r, db, &loc, who)))
        return arca_http_error(r, err);
    if (loc.subject_missing && r->method_number != M_PUT && r->method_number != M_POST)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "no subject '%s' in project '%s'",
                                loc.subject_label, loc.project);
    if (loc.projects_of && r->method_number != M_GET) {
        apr_table_setn(r->headers_out, "Allow", "GET");
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "the projects of a %s are "
                                "listed here; share with PUT .../projects/{project}",
                                arca_kind_name(loc.projects_kind));
    }
    if (loc.share_project)
        return data_share(r, db, &loc);
    if (loc.kind == ARCA_KIND_FILE)
        return data_files(r, db, &loc);
    if (loc.kind == ARCA_KIND_RESOURCE)
        return data_resource(r, db, &loc);
    return data_object(r, db, &loc);
}

/* Listings stream row by row (row_stream.h): a million rows as CSV take the memory of
 * one. */
int data_send_listing(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    arca_listing_query_t q = {loc, arca_http_args(r), data_who(r), 0};
    arca_format_t fmt;
    arca_error_t *err;

    if ((err = arca_http_format(r, ARCA_FORMAT_HTML, &fmt)))
        return arca_http_error(r, err);
    arca_http_stream_headers(r, fmt, apr_pstrcat(r->pool, arca_kind_name(loc->kind), "s.csv",
                                                 NULL));
    err = arca_listing_stream(db, r->pool, &q, fmt, r->header_only, arca_http_write, r);
    if (err && err->status == 499) { /* after the 200: log it, the body is what was sent */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ARCA_LOGNO(10170) "listing: %s",
                      err->message);
        return OK;
    }
    return err ? arca_http_error(r, err) : OK;
}

const arca_account_t *data_who(request_rec *r)
{
    const arca_account_t *who = NULL;

    (void)arca_core.request_account(r, &who); /* cached: handle_data looked it up first */
    return who;
}

arca_error_t *data_in_transaction(request_rec *r, arca_db_t *db, data_txn_fn body,
                                  void *baton)
{
    arca_error_t *err = arca_db_begin(db, r->pool);

    if (err)
        return err;
    if ((err = body(r, db, baton)) == ARCA_OK && (err = arca_db_commit(db, r->pool)) == ARCA_OK)
        return ARCA_OK;
    arca_db_rollback(db, r->pool);
    return err;
}

typedef struct {
    request_rec *r;
    char *buf;
    apr_size_t len, max;
    int parts;
} doc_t;

static arca_error_t *doc_append(doc_t *d, const char *data, apr_size_t len)
{
    if (d->len + len > d->max)
        return arca_error_create(d->r->pool, HTTP_REQUEST_ENTITY_TOO_LARGE,
                                 "the document is larger than %" APR_SIZE_T_FMT " bytes",
                                 d->max);
    memcpy(d->buf + d->len, data, len);
    d->len += len;
    return ARCA_OK;
}

static arca_error_t *doc_part_begin(void *baton, const char *name, const char *filename,
                                    const char *content_type)
{
    ((doc_t *)baton)->parts++;
    return ARCA_OK;
}

static arca_error_t *doc_part_data(void *baton, const char *data, apr_size_t len)
{
    doc_t *d = baton;

    return d->parts == 1 ? doc_append(d, data, len) : ARCA_OK; /* the first part only */
}

arca_error_t *data_read_document(request_rec *r, apr_size_t max, const char **data,
                                 apr_size_t *len)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    int multipart = type && strncasecmp(type, "multipart/form-data", 19) == 0;
    int xml = type && (strncasecmp(type, "text/xml", 8) == 0
                       || strncasecmp(type, "application/xml", 15) == 0);
    doc_t d = {r, NULL, 0, max, 0};
    arca_multipart_callbacks_t cb = {doc_part_begin, doc_part_data, NULL, &d};
    arca_multipart_t *mp = NULL;
    arca_http_body_t body;
    const char *boundary;
    const void *chunk;
    apr_size_t n;
    arca_error_t *err = ARCA_OK;

    *data = NULL;
    *len = 0;
    if (!multipart && !xml && !arca_http_flag(r, "inbody"))
        return ARCA_OK;
    if (multipart && ((err = arca_multipart_boundary(r->pool, type, &boundary))
                      || (err = arca_multipart_create(r->pool, boundary, &cb, &mp))))
        return err;
    arca_http_body_init(&body, r);
    d.buf = apr_palloc(r->pool, max + 1);
    do {
        if ((err = arca_http_body_read(&body, &chunk, &n)) || n == 0)
            break;
        err = mp ? arca_multipart_feed(mp, chunk, n) : doc_append(&d, chunk, n);
    } while (!err);
    if (!err && body.buf == NULL)
        return ARCA_OK; /* the request has no body at all */
    if (!err && mp)
        err = arca_multipart_finish(mp);
    if (err) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return err;
    }
    if (d.len > 0) {
        d.buf[d.len] = '\0';
        *data = d.buf;
        *len = d.len;
    }
    return ARCA_OK;
}

void data_remove_dirs(request_rec *r, const apr_array_header_t *dirs)
{
    const arca_site_t *site = arca_core.site_get(r);

    if (site->archive == NULL)
        return;
    for (int i = 0; i < dirs->nelts; i++) {
        const char *rel = APR_ARRAY_IDX(dirs, i, const char *);
        arca_error_t *err;
        if (!arca_safe_relpath(rel))
            continue; /* never follow a path out of the archive */
        char *dir = apr_pstrcat(r->pool, site->archive, "/", rel, NULL), *slash;
        err = arca_remove_tree(r->pool, dir);
        if (err) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, ARCA_LOGNO(10110)
                          "could not remove a deleted resource's directory: %s",
                          err->message);
            continue;
        }
        /* then the parents it leaves empty (SCANS/1, RESOURCES, the session...), up to
         * the archive itself; rmdir refuses any that still hold something */
        while ((slash = strrchr(dir, '/')) != NULL && slash > dir + strlen(site->archive)) {
            *slash = '\0';
            if (apr_dir_remove(dir, r->pool) != APR_SUCCESS)
                break;
        }
    }
}
