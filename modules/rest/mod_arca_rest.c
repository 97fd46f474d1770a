/* mod_arca_rest: the XNAT-compatible REST API (/data, /REST, /xapi). Enabled where the
 * admin says `SetHandler arca-rest`; authentication and authorization are httpd's. */
#include <strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <util_filter.h>

#include "arca_http.h"
#include "log_redact.h"
#include "rest_config.h"
#include "router.h"

extern module AP_MODULE_DECLARE_DATA arca_rest_module;
APLOG_USE_MODULE(arca_rest);

static int rest_handler(request_rec *r)
{
    if (r->handler == NULL || strcmp(r->handler, "arca-rest") != 0)
        return DECLINED;
    return rest_dispatch(r);
}

static int is_api_path(const char *uri)
{
    static const char *const prefixes[] = {"/data/", "/REST/", "/xapi/", NULL};

    for (int i = 0; prefixes[i]; i++)
        if (strncmp(uri, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* Errors httpd raises itself on API paths (a bad URL, a failed login, a body too large)
 * get plain-text bodies: XNAT clients misread httpd's HTML pages (pyxnat crashes parsing
 * them). And a failed login says exactly what pyxnat recognises as one. This runs before
 * httpd looks at the URL, so it covers the errors that come from that too. */
static int rest_post_read_request(request_rec *r)
{
    static const struct { int status; const char *text; } texts[] = {
        {HTTP_BAD_REQUEST, "Bad Request"},
        {HTTP_UNAUTHORIZED, ARCA_LOGIN_REQUIRED},
        {HTTP_FORBIDDEN, "Forbidden"},
        {HTTP_NOT_FOUND, "Not Found"},
        {HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed"},
        {HTTP_REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large"},
        {HTTP_REQUEST_URI_TOO_LARGE, "Request-URI Too Long"},
        {HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error"},
    };

    if (r->uri == NULL || !is_api_path(r->uri))
        return DECLINED;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        ap_custom_response(r, texts[i].status, texts[i].text);
    apr_table_setn(r->notes, "arca-api", "1");
    return DECLINED;
}

/* ... and are labelled text/plain, not httpd's text/html. A script of a page that says
 * so (X-Requested-With: XMLHttpRequest, as the web pages do) gets its 401 without the
 * WWW-Authenticate that would make the browser ask for a login in its own dialog: the
 * page has its own form. (httpd has moved the header into headers_out by now, out of
 * reach of mod_headers' "always".) */
static apr_status_t plain_error_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    const char *xrw = apr_table_get(f->r->headers_in, "X-Requested-With");

    if (f->r->status == HTTP_UNAUTHORIZED && xrw && strcasecmp(xrw, "XMLHttpRequest") == 0) {
        apr_table_unset(f->r->headers_out, "WWW-Authenticate");
        apr_table_unset(f->r->err_headers_out, "WWW-Authenticate");
    }
    ap_set_content_type(f->r, "text/plain; charset=utf-8");
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void insert_plain_error_filter(request_rec *r)
{
    if (apr_table_get(r->notes, "arca-api"))
        ap_add_output_filter("ARCA_PLAIN_ERROR", NULL, r, r->connection);
}

static int rest_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *s)
{
    /* Optional functions are all registered by now, whatever the LoadModule order. Each
     * module checks for mod_arca itself, under a log number of its own range: the shape
     * repeats by design. */
    if (!arca_core_api_retrieve()) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, ARCA_LOGNO(10101)
                     "mod_arca_rest needs mod_arca: load it first (LoadModule arca_module)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void rest_register_hooks(apr_pool_t *p)
{
    arca_http_init(&arca_rest_module);
    ap_hook_post_config(rest_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(rest_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(rest_post_read_request, NULL, NULL, APR_HOOK_MIDDLE);
    /* before any other module can log the request line or the URI */
    ap_hook_post_read_request(arca_redact_request, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(insert_plain_error_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter("ARCA_PLAIN_ERROR", plain_error_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
}

module AP_MODULE_DECLARE_DATA arca_rest_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL,
    rest_config_create, rest_config_merge,
    rest_directives,
    rest_register_hooks,
    AP_MODULE_FLAG_NONE
};
