/* XNAT's search API, over libarca's search compiler (search.h):
 *   POST /data/search?format=json|csv|xml       body: XNAT's search XML, or the JSON form
 *   GET  /data/search/elements[/{type}]         searchable types, a type's fields
 *   GET  /data/search/saved                     stored searches the user may see
 *   GET|PUT|POST|DELETE /data/search/saved/{id} one (PUT: the document as the body)
 *   GET  /data/search/saved/{id}/results        run it
 * Results stream from a cursor. `sortBy`, `sortOrder`, `limit`, `offset` in the query
 * string apply to either form. */
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "arca_http.h"
#include "data.h"
#include "handlers.h"
#include "search/search.h"

extern module AP_MODULE_DECLARE_DATA arca_rest_module;
APLOG_USE_MODULE(arca_rest);

/* A search that takes longer than this is logged (its type and time, never its values). */
#define SLOW_SEARCH_MS 2000

static int is_json(request_rec *r, const char *body)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");

    if (type && strncasecmp(type, "application/json", 16) == 0)
        return 1;
    while (body && apr_isspace(*body))
        body++;
    return body && *body == '{';
}

static arca_error_t *read_search(request_rec *r, arca_search_t **s)
{
    char *body;
    apr_size_t len;
    arca_error_t *err = arca_http_read_body(r, ARCA_SEARCH_MAX_DOCUMENT, &body, &len);

    if (err)
        return err->status == 413
                   ? arca_error_create(r->pool, 413, "the search document is larger than %d "
                                       "bytes", ARCA_SEARCH_MAX_DOCUMENT)
                   : err;
    return is_json(r, body) ? arca_search_parse_json(r->pool, body, len, s)
                            : arca_search_parse_xml(r->pool, body, len, s);
}

static arca_error_t *count_arg(request_rec *r, const char *name, long max, long *out)
{
    const char *v = arca_http_arg(r, name);
    char *end;
    long n;

    if (v == NULL)
        return ARCA_OK;
    n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 0 || n > max)
        return arca_error_create(r->pool, 400, "%s must be a whole number from 0 to %ld",
                                 name, max);
    *out = n;
    return ARCA_OK;
}

/* sortBy (a field of the root type: "xnat:subjectData/SUBJECT_LABEL" or "SUBJECT_LABEL"),
 * sortOrder, limit and offset from the query string. */
static arca_error_t *query_options(request_rec *r, arca_search_t *s)
{
    const char *sort = arca_http_arg(r, "sortBy"), *order = arca_http_arg(r, "sortOrder");
    arca_error_t *err;

    if (sort && *sort) {
        if (!arca_search_split_path(r->pool, sort, &s->sort)
            || !arca_valid_xsi_type(s->sort.element))
            s->sort = (arca_search_column_t){s->root, sort};
        s->sort_desc = order && strcasecmp(order, "DESC") == 0;
    }
    if ((err = count_arg(r, "limit", 1000000, &s->limit)))
        return err;
    return count_arg(r, "offset", 1000000000, &s->offset);
}

static int run_search(request_rec *r, arca_db_t *db, arca_search_t *s)
{
    const arca_account_t *who = data_who(r);
    arca_search_types_t *types;
    arca_search_ctx_t ctx;
    arca_search_sql_t *q;
    arca_format_t fmt;
    apr_time_t t0 = apr_time_now();
    arca_error_t *err;
    long ms;

    if ((err = arca_http_format(r, ARCA_FORMAT_JSON, &fmt))
        || (err = query_options(r, s))
        || (err = arca_search_load_types(db, r->pool, s, &types)))
        return arca_http_error(r, err);
    arca_search_ctx_for(who, types, &ctx);
    if ((err = arca_search_compile(r->pool, s, &ctx, &q)))
        return arca_http_error(r, err);
    arca_http_stream_headers(r, fmt, "search.csv");
    if (r->header_only)
        return OK;
    err = arca_search_run(db, r->pool, q, fmt, arca_http_write, r);
    ms = (long)((apr_time_now() - t0) / 1000);
    if (ms > SLOW_SEARCH_MS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, ARCA_LOGNO(10140)
                      "slow search: %s rows, %d columns, %ld ms", s->root, q->headers->nelts,
                      ms);
    if (err && err->status == 499) { /* after the 200: log it, the body is what was sent */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ARCA_LOGNO(10141) "search %s",
                      err->message);
        return OK;
    }
    if (err) {
        if (strstr(err->message, "SQLSTATE 57014")) /* statement_timeout */
            err = arca_error_create(r->pool, 503, "the search took longer than 30 s: narrow "
                                    "it down");
        return arca_http_error(r, err);
    }
    return OK;
}

int handle_search(request_rec *r, const route_match *m)
{
    arca_search_t *s;
    arca_db_t *db;
    arca_error_t *err;

    (void)m;
    if ((err = read_search(r, &s)) || (err = arca_core.request_db(r, &db)))
        return arca_http_error(r, err);
    return run_search(r, db, s);
}

int handle_search_elements(request_rec *r, const route_match *m)
{
    const char *type = route_param(m, "type");
    arca_search_ctx_t ctx;
    arca_resultset_t *rs;
    arca_db_t *db;
    arca_error_t *err;

    arca_search_ctx_for(data_who(r), NULL, &ctx);
    if ((err = arca_core.request_db(r, &db))
        || (err = type ? arca_search_element_fields(db, r->pool, &ctx, type, &rs)
                       : arca_search_elements(db, r->pool, &ctx, &rs)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_JSON);
}

int handle_search_saved_list(request_rec *r, const route_match *m)
{
    arca_resultset_t *rs;
    arca_db_t *db;
    arca_error_t *err;

    (void)m;
    if ((err = arca_core.request_db(r, &db))
        || (err = arca_saved_list(db, r->pool, data_who(r), &rs)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_JSON);
}

int handle_search_saved(request_rec *r, const route_match *m)
{
    const char *id = route_param(m, "id"), *xml;
    const arca_account_t *who = data_who(r);
    arca_search_t *s;
    arca_db_t *db;
    arca_error_t *err;
    int created;

    if ((err = arca_core.request_db(r, &db)))
        return arca_http_error(r, err);
    if (r->method_number == M_GET) {
        if ((err = arca_saved_get(db, r->pool, who, id, NULL, &xml)))
            return arca_http_error(r, err);
        return arca_http_send_text(r, "text/xml; charset=utf-8", xml);
    }
    if (r->method_number == M_DELETE) {
        if ((err = arca_saved_delete(db, r->pool, who, id)))
            return arca_http_error(r, err);
        return OK;
    }
    if ((err = read_search(r, &s)))
        return arca_http_error(r, err);
    if (arca_http_arg(r, "project"))
        s->project = *arca_http_arg(r, "project") ? arca_http_arg(r, "project") : NULL;
    if ((err = arca_saved_put(db, r->pool, who, id, s, &created)))
        return arca_http_error(r, err);
    r->status = created ? HTTP_CREATED : HTTP_OK;
    return arca_http_send_text(r, "text/plain; charset=utf-8", id);
}

int handle_search_saved_results(request_rec *r, const route_match *m)
{
    const char *xml;
    arca_search_t *s;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = arca_saved_get(db, r->pool, data_who(r), route_param(m, "id"), &s, &xml)))
        return arca_http_error(r, err);
    return run_search(r, db, s);
}
