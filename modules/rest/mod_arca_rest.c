/* mod_arca_rest: the XNAT-compatible REST API (/data, /REST, /xapi). Enabled where the
 * admin says `SetHandler arca-rest`; authentication and authorization are httpd's. */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_request.h>
#include <http_core.h>

#include "arca_http.h"
#include "router.h"

extern module AP_MODULE_DECLARE_DATA arca_rest_module;
APLOG_USE_MODULE(arca_rest);

static int rest_handler(request_rec *r)
{
    if (r->handler == NULL || strcmp(r->handler, "arca-rest") != 0)
        return DECLINED;
    return rest_dispatch(r);
}

/* XNAT clients recognise a failed login by this exact body (pyxnat raises "Authentication
 * failed" on it, and silently misbehaves on httpd's HTML page), so API paths get it for
 * any 401, whichever authn module sends it. */
static int rest_header_parser(request_rec *r)
{
    static const char *const prefixes[] = {"/data/", "/REST/", "/xapi/", NULL};

    for (int i = 0; prefixes[i]; i++) {
        if (strncmp(r->uri, prefixes[i], strlen(prefixes[i])) == 0) {
            ap_custom_response(r, HTTP_UNAUTHORIZED,
                               "The request requires user authentication");
            break;
        }
    }
    return DECLINED;
}

static int rest_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *s)
{
    /* Optional functions are all registered by now, whatever the LoadModule order. */
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
    ap_hook_header_parser(rest_header_parser, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA arca_rest_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    rest_register_hooks,
    AP_MODULE_FLAG_NONE
};
