/* Shared httpd-side helpers. Each module links its own hidden copy. */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <util_script.h>
#include <apr_strings.h>
#include <jansson.h>

#include "arca_http.h"
#include "access/authz.h"

arca_core_api arca_core;

/* Log lines from here carry the name of whichever module this copy is linked into. */
static module *log_owner;
#undef APLOG_MODULE_INDEX
#define APLOG_MODULE_INDEX (log_owner ? log_owner->module_index : APLOG_NO_MODULE)

void arca_http_init(module *owner)
{
    log_owner = owner;
}

int arca_core_api_retrieve(void)
{
    arca_core.site_get = APR_RETRIEVE_OPTIONAL_FN(arca_site_get);
    arca_core.request_db = APR_RETRIEVE_OPTIONAL_FN(arca_request_db);
    arca_core.request_account = APR_RETRIEVE_OPTIONAL_FN(arca_request_account);
    return arca_core.site_get && arca_core.request_db && arca_core.request_account;
}

arca_error_t *arca_http_login(request_rec *r, const arca_account_t **who, arca_db_t **db)
{
    const arca_account_t *account;
    arca_error_t *err = arca_core.request_account(r, &account);

    if (err)
        return err;
    if (r->user == NULL)
        return arca_error_create(r->pool, HTTP_UNAUTHORIZED, "%s", ARCA_LOGIN_REQUIRED);
    if (account == NULL)
        return arca_error_create(r->pool, HTTP_FORBIDDEN, "'%s' logged in, but has no Arca "
                                 "account", r->user);
    if (arca_is_disabled(account))
        return arca_error_create(r->pool, HTTP_FORBIDDEN, "your account '%s' is not enabled",
                                 account->login);
    if (who)
        *who = account;
    return db ? arca_core.request_db(r, db) : ARCA_OK;
}

arca_error_t *arca_http_site_admin(request_rec *r, const char *what)
{
    const arca_account_t *who;
    arca_error_t *err = arca_http_login(r, &who, NULL);

    if (err || arca_is_site_admin(who))
        return err;
    return arca_error_create(r->pool, HTTP_FORBIDDEN, "only site administrators %s", what);
}

static int wants_json(request_rec *r)
{
    const char *format = arca_http_arg(r, "format");
    const char *accept = apr_table_get(r->headers_in, "Accept");

    if (format)
        return strcasecmp(format, "json") == 0;
    return accept && ap_strcasestr(accept, "application/json") != NULL;
}

int arca_http_error(request_rec *r, const arca_error_t *err)
{
    int status = err->status >= 400 && err->status <= 599 ? err->status : 500;

    /* A 4xx message may quote what the client sent (a label, a value): keep it out of the
     * log, which must never hold PHI. Ours for 5xx never quote client input. */
    if (status >= 500) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARCA_LOGNO(10020) "%d %s: %s", status,
                      r->uri, err->message);
        /* A server-side failure's details (paths, SQL states) are for the log, not for the
         * client; unavailability (503) and a full disk (507) are the client's business. */
        if (status == HTTP_INTERNAL_SERVER_ERROR)
            err = arca_error_create(r->pool, status, "internal error: the server's error log "
                                    "has the details (ARCA10020, %s)",
                                    apr_table_get(r->subprocess_env, "UNIQUE_ID")
                                        ? apr_table_get(r->subprocess_env, "UNIQUE_ID")
                                        : r->log_id ? r->log_id : "no request id");
    } else
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, ARCA_LOGNO(10022) "%d %s", status,
                      r->uri);
    r->status = status;
    if (status == HTTP_SERVICE_UNAVAILABLE)
        apr_table_setn(r->headers_out, "Retry-After", "5");
    if (wants_json(r)) {
        json_t *body = json_pack("{s:{s:i,s:s}}", "error", "status", status, "message",
                                 err->message);
        char *text = json_dumps(body, JSON_COMPACT);
        ap_set_content_type(r, "application/json");
        ap_rputs(text ? text : "{}", r);
        ap_rputs("\n", r);
        free(text);
        json_decref(body);
    } else {
        ap_set_content_type(r, "text/plain; charset=utf-8");
        ap_rputs(err->message, r);
        ap_rputs("\n", r);
    }
    return OK;
}

int arca_http_errorf(request_rec *r, int status, const char *fmt, ...)
{
    arca_error_t err;
    va_list ap;

    va_start(ap, fmt);
    err.message = apr_pvsprintf(r->pool, fmt, ap);
    va_end(ap);
    err.status = status;
    return arca_http_error(r, &err);
}

apr_table_t *arca_http_args(request_rec *r)
{
    static const char key[] = "arca-http-args";
    apr_table_t *args;
    void *cached = NULL;

    apr_pool_userdata_get(&cached, key, r->pool);
    args = cached;
    if (args == NULL) {
        args = arca_http_parse_query(r->pool, r->args);
        apr_pool_userdata_setn(args, key, NULL, r->pool);
    }
    return args;
}

/* XNAT clients send XPaths as parameter names, some with a raw '=' inside brackets
 * (pyxnat: "xnat:subjectData/demographics%5B@xsi:type=xnat:demographicData%5D/gender=male").
 * So each '&'-piece is decoded first ('+' is a space, as servlet containers read it), then
 * split at the first '=' outside [...]. A piece that does not decode is dropped. */
apr_table_t *arca_http_parse_query(apr_pool_t *p, const char *query)
{
    apr_table_t *args = apr_table_make(p, 8);
    char *copy, *state = NULL, *piece;

    if (query == NULL)
        return args;
    copy = apr_pstrdup(p, query);
    for (piece = apr_strtok(copy, "&", &state); piece; piece = apr_strtok(NULL, "&", &state)) {
        int depth = 0;
        char *eq = NULL;
        for (char *c = piece; *c; c++)
            if (*c == '+')
                *c = ' ';
        if (ap_unescape_url_keep2f(piece, 1) != OK || *piece == '\0')
            continue;
        for (char *c = piece; *c && !eq; c++) {
            if (*c == '[')
                depth++;
            else if (*c == ']' && depth > 0)
                depth--;
            else if (*c == '=' && depth == 0)
                eq = c;
        }
        if (eq) {
            *eq = '\0';
            apr_table_addn(args, piece, eq + 1);
        } else {
            apr_table_addn(args, piece, "");
        }
    }
    return args;
}

const char *arca_http_query_nul(apr_pool_t *p, const char *query)
{
    const char *hit = query ? strstr(query, "%00") : NULL;
    const char *start, *end;
    char *name;

    if (hit == NULL)
        return NULL;
    for (start = hit; start > query && start[-1] != '&'; start--)
        ;
    end = start + strcspn(start, "=&");
    if (end > hit)
        end = hit; /* the NUL is in the name itself */
    name = apr_pstrmemdup(p, start, (apr_size_t)(end - start > 80 ? 80 : end - start));
    for (char *c = name; *c; c++)
        if (*c == '+')
            *c = ' ';
    if (ap_unescape_url_keep2f(name, 1) != OK)
        return "(unreadable name)";
    for (char *c = name; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return name;
}

const char *arca_http_arg(request_rec *r, const char *name)
{
    return apr_table_get(arca_http_args(r), name);
}

int arca_http_flag(request_rec *r, const char *name)
{
    const char *v = arca_http_arg(r, name);

    return v && (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"));
}

const char *arca_http_user(request_rec *r)
{
    return r->user ? r->user : "";
}

arca_error_t *arca_http_format(request_rec *r, arca_format_t dflt, arca_format_t *fmt)
{
    return arca_format_parse(r->pool, arca_http_arg(r, "format"), dflt, fmt);
}

int arca_http_write(void *request, const char *data, size_t len)
{
    return ap_rwrite(data, (int)len, request) < 0 ? -1 : 0;
}

int arca_http_send_resultset(request_rec *r, const arca_resultset_t *rs, arca_format_t dflt)
{
    arca_format_t fmt;
    arca_error_t *err = arca_http_format(r, dflt, &fmt);

    if (err)
        return arca_http_error(r, err);
    ap_set_content_type(r, arca_format_content_type(fmt));
    if (r->header_only)
        return OK;
    err = arca_resultset_write(rs, fmt, r->pool, arca_http_write, r);
    if (err)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ARCA_LOGNO(10021)
                      "response cut short: %s", err->message);
    return OK;
}

void arca_http_stream_headers(request_rec *r, arca_format_t fmt, const char *csv_name)
{
    ap_set_content_type(r, arca_format_content_type(fmt));
    if (fmt == ARCA_FORMAT_CSV && arca_http_flag(r, "download"))
        apr_table_setn(r->headers_out, "Content-Disposition",
                       apr_pstrcat(r->pool, "attachment; filename=\"", csv_name, "\"", NULL));
}

int arca_http_send_text(request_rec *r, const char *content_type, const char *body)
{
    ap_set_content_type(r, content_type);
    if (!r->header_only)
        ap_rputs(body, r);
    return OK;
}

static apr_status_t free_json(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

arca_error_t *arca_http_read_json(request_rec *r, apr_size_t max, json_t **out)
{
    char *buf;
    apr_size_t len;
    json_error_t jerr;
    arca_error_t *err = arca_http_read_body(r, max, &buf, &len);

    *out = NULL;
    if (err)
        return err;
    *out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL)
        return arca_error_create(r->pool, 400, "the body is not JSON: %s (line %d)",
                                 jerr.text, jerr.line);
    apr_pool_cleanup_register(r->pool, *out, free_json, apr_pool_cleanup_null);
    return ARCA_OK;
}

int arca_http_send_json(request_rec *r, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc = arca_http_send_text(r, "application/json", text ? text : "null");

    free(text);
    json_decref(value);
    return rc;
}

#define BODY_CHUNK (64 * 1024)

void arca_http_body_init(arca_http_body_t *b, request_rec *r)
{
    memset(b, 0, sizeof *b);
    b->r = r;
}

arca_error_t *arca_http_read_body(request_rec *r, apr_size_t max, char **buf,
                                  apr_size_t *len)
{
    arca_http_body_t body;
    const void *data;
    apr_size_t n;
    arca_error_t *err;

    arca_http_body_init(&body, r);
    *buf = apr_palloc(r->pool, max + 1);
    *len = 0;
    do {
        if ((err = arca_http_body_read(&body, &data, &n)))
            return err;
        if (*len + n > max) {
            r->connection->keepalive = AP_CONN_CLOSE;
            return arca_error_create(r->pool, 413, "the request body is larger than %"
                                     APR_SIZE_T_FMT " bytes", max);
        }
        memcpy(*buf + *len, data, n);
        *len += n;
    } while (n > 0);
    (*buf)[*len] = '\0';
    return ARCA_OK;
}

arca_error_t *arca_http_body_read(void *body, const void **data, apr_size_t *len)
{
    arca_http_body_t *b = body;
    long n;

    *len = 0;
    if (b->done)
        return ARCA_OK;
    if (!b->started) {
        b->started = 1;
        if (ap_setup_client_block(b->r, REQUEST_CHUNKED_DECHUNK) != OK)
            return arca_error_create(b->r->pool, 400, "cannot read the request body");
        if (!ap_should_client_block(b->r)) {
            b->done = 1;
            return ARCA_OK;
        }
        b->buf = apr_palloc(b->r->pool, BODY_CHUNK);
    }
    n = ap_get_client_block(b->r, b->buf, BODY_CHUNK);
    if (n < 0)
        return arca_error_create(b->r->pool, 400, "the upload was interrupted");
    if (n == 0)
        b->done = 1;
    *data = b->buf;
    *len = (apr_size_t)n;
    return ARCA_OK;
}
