/* Helpers every Arca httpd module shares (linked into each, hidden): the core's optional
 * functions, error responses, query arguments, writing a ResultSet to the client. */
#ifndef ARCA_HTTP_H
#define ARCA_HTTP_H

#include <httpd.h>
#include <http_config.h>

#include "mod_arca.h"
#include "format/resultset.h"

/* The core's functions, filled in by arca_core_api_retrieve(). */
typedef struct arca_core_api {
    APR_OPTIONAL_FN_TYPE(arca_site_get) *site_get;
    APR_OPTIONAL_FN_TYPE(arca_request_db) *request_db;
    APR_OPTIONAL_FN_TYPE(arca_request_account) *request_account;
} arca_core_api;

extern arca_core_api arca_core;

/* Call from the module's register_hooks: log lines of these helpers carry its name. */
void arca_http_init(module *owner);

/* Call from the optional_fn_retrieve hook. Returns 0 if mod_arca is not loaded. */
int arca_core_api_retrieve(void);

/* The start of a handler that needs someone logged in: the request's account (in *who
 * when who is not NULL) and, when db is not NULL, its database connection. 401 when nobody
 * is logged in; 403 when the user has no Arca account or it is disabled (the account gate
 * refuses those before any handler runs; this holds without it). */
arca_error_t *arca_http_login(request_rec *r, const arca_account_t **who, arca_db_t **db);

/* Likewise for what only site administrators may do: 403 "only site administrators
 * <what>" for anyone else. */
arca_error_t *arca_http_site_admin(request_rec *r, const char *what);

/* Answers the request with err's status and message (text, or JSON when the client asked
 * for JSON), logs it as one numbered line, and returns OK for the handler to return. */
int arca_http_error(request_rec *r, const arca_error_t *err);
int arca_http_errorf(request_rec *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A query-string argument, URL-decoded; NULL if absent. The last one wins. */
const char *arca_http_arg(request_rec *r, const char *name);

/* All query-string arguments, URL-decoded (parsed once per request). */
apr_table_t *arca_http_args(request_rec *r);
apr_table_t *arca_http_parse_query(apr_pool_t *p, const char *query);

/* The name of the first query parameter whose value holds an encoded NUL byte (%00), which
 * no C string keeps (decoding would drop or cut the parameter without a word); NULL if
 * none. Shown bounded, control characters replaced. */
const char *arca_http_query_nul(apr_pool_t *p, const char *query);

/* The response format: `format=` argument, else `dflt`. */
arca_error_t *arca_http_format(request_rec *r, arca_format_t dflt, arca_format_t *fmt);

/* Sends a ResultSet in the requested format (default `dflt`) with status 200. */
int arca_http_send_resultset(request_rec *r, const arca_resultset_t *rs, arca_format_t dflt);

/* The headers of a ResultSet streamed in `fmt` (a listing, a search): its content type and,
 * for CSV asked for with download=true, an attachment named `csv_name`. */
void arca_http_stream_headers(request_rec *r, arca_format_t fmt, const char *csv_name);

/* Sends a short body of the given type with status 200. */
int arca_http_send_text(request_rec *r, const char *content_type, const char *body);

/* A flag argument: "true"/"1"/"yes" (any case) is 1, anything else or absent 0. */
int arca_http_flag(request_rec *r, const char *name);

/* The user name for audit columns: r->user, or "" for anonymous requests. */
const char *arca_http_user(request_rec *r);

/* The request body as a pull source (an arca_read_fn: arca_http_body_read with a
 * arca_http_body_t baton), read in 64 KiB chunks as the client sends it, dechunked. */
typedef struct arca_http_body_t {
    request_rec *r;
    char *buf;
    int started, done;
} arca_http_body_t;

void arca_http_body_init(arca_http_body_t *b, request_rec *r);
arca_error_t *arca_http_body_read(void *body, const void **data, apr_size_t *len);

/* Reads a whole (small) request body into memory, NUL-terminated: 413 beyond `max` bytes
 * (the connection is then closed: the rest is unread). *buf is "" for no body. */
arca_error_t *arca_http_read_body(request_rec *r, apr_size_t max, char **buf,
                                  apr_size_t *len);

/* Reads a JSON request body of at most `max` bytes (400 if it is not JSON, 413 if larger).
 * The value is freed with the request's pool. */
struct json_t;
arca_error_t *arca_http_read_json(request_rec *r, apr_size_t max, struct json_t **out);

/* Sends a JSON value with status r->status (200 unless set), and releases it (the call
 * takes the caller's reference, so `return arca_http_send_json(r, json_pack(...))`). */
int arca_http_send_json(request_rec *r, struct json_t *value);

/* A write callback (arca_write_fn) that writes to the request's output. */
int arca_http_write(void *request, const char *data, size_t len);

#endif
