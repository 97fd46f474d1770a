/* mod_arca_dicomweb: DICOMweb (QIDO-RS, WADO-RS, STOW-RS) where the admin says
 * `SetHandler arca-dicomweb`, at /dicomweb (every project the user may read) and
 * /dicomweb/projects/{P} (one). Authentication is httpd's, as for /data; the work is
 * libarca's dicomweb/. This file parses the URL and answers QIDO-RS. */
#include <string.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_core.h>
#include <http_request.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "dw_http.h"

extern module AP_MODULE_DECLARE_DATA arca_dicomweb_module;
APLOG_USE_MODULE(arca_dicomweb);

#define ROOT "/dicomweb"

static int is_uid(const char *s)
{
    return s && *s && strlen(s) <= 64 && strspn(s, "0123456789.") == strlen(s);
}

/* The URL as a dw_req_t: 0, or an HTTP status with the reason in *why. */
static int parse_url(request_rec *r, dw_req_t *q, const char **why)
{
    char *path = apr_pstrdup(r->pool, r->uri + strlen(ROOT)), *state;
    const char *seg[12], *root;
    int n = 0, i = 0;

    for (char *s = apr_strtok(path, "/", &state); s; s = apr_strtok(NULL, "/", &state)) {
        if (n == 12) {
            *why = "Not Found: no such DICOMweb resource";
            return HTTP_NOT_FOUND;
        }
        seg[n++] = s;
    }
    root = ROOT;
    if (n >= 2 && strcmp(seg[0], "projects") == 0) {
        q->scope.project = seg[1];
        root = apr_pstrcat(r->pool, ROOT, "/projects/", seg[1], NULL);
        i = 2;
    }
    q->scope.base_url = ap_construct_url(r->pool, root, r);
    *why = "Not Found: no such DICOMweb resource (studies, series, instances)";
    if (i == n)
        return HTTP_NOT_FOUND;
    /* QIDO-RS without a study */
    if (n - i == 1 && strcmp(seg[i], "series") == 0)
        return q->qido = 1, q->level = ARCA_QIDO_SERIES, 0;
    if (n - i == 1 && strcmp(seg[i], "instances") == 0)
        return q->qido = 1, q->level = ARCA_QIDO_INSTANCES, 0;
    if (strcmp(seg[i], "studies") != 0)
        return HTTP_NOT_FOUND;
    if (++i == n)
        return q->qido = 1, q->level = ARCA_QIDO_STUDIES, 0;
    q->study = seg[i++];
    if (i < n && strcmp(seg[i], "series") == 0 && i + 1 == n)
        return q->qido = 1, q->level = ARCA_QIDO_SERIES, 0;
    if (i < n && strcmp(seg[i], "instances") == 0 && i + 1 == n)
        return q->qido = 1, q->level = ARCA_QIDO_INSTANCES, 0;
    if (i < n && strcmp(seg[i], "series") == 0) {
        q->series = seg[i + 1];
        i += 2;
        if (i < n && strcmp(seg[i], "instances") == 0 && i + 1 == n)
            return q->qido = 1, q->level = ARCA_QIDO_INSTANCES, 0;
        if (i < n && strcmp(seg[i], "instances") == 0) {
            q->instance = seg[i + 1];
            i += 2;
        }
    }
    if (i < n && strcmp(seg[i], "metadata") == 0 && i + 1 == n)
        q->what = "metadata", i++;
    else if (q->instance && i + 2 == n && (strcmp(seg[i], "frames") == 0
                                           || strcmp(seg[i], "bulk") == 0))
        q->what = seg[i], q->arg = seg[i + 1], i += 2;
    if (i != n)
        return HTTP_NOT_FOUND;
    /* a malformed UID names nothing */
    if (!is_uid(q->study) || (q->series && !is_uid(q->series))
        || (q->instance && !is_uid(q->instance))) {
        *why = "Not Found: no such study, series or instance (UIDs are digits and dots)";
        return HTTP_NOT_FOUND;
    }
    return 0;
}

int dw_send_json(request_rec *r, json_t *v, const char *type)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

    json_decref(v);
    if (text == NULL)
        return arca_http_errorf(r, HTTP_INTERNAL_SERVER_ERROR, "cannot write the answer");
    ap_set_content_type(r, type);
    ap_set_content_length(r, (apr_off_t)strlen(text));
    ap_rputs(text, r);
    free(text);
    return OK;
}

static int qido(dw_req_t *q, arca_db_t *db)
{
    request_rec *r = q->r;
    arca_qido_t qr = {q->level, q->study, q->series, arca_http_args(r)};
    const char *warning;
    json_t *out;
    arca_error_t *err;

    if (q->study && !is_uid(q->study))
        return dw_send_json(r, json_array(), "application/dicom+json");
    if (q->series && !is_uid(q->series))
        return dw_send_json(r, json_array(), "application/dicom+json");
    if ((err = arca_qido(db, r->pool, &q->scope, &qr, &out, &warning)))
        return arca_http_error(r, err);
    if (warning)
        apr_table_setn(r->headers_out, "Warning", apr_psprintf(r->pool, "299 %s \"%s\"",
                       ap_get_server_name(r), warning));
    /* no match: 200 and [], not 204: OHIF reads an empty 200 body as null */
    return dw_send_json(r, out, "application/dicom+json");
}

static int dicomweb_handler(request_rec *r)
{
    dw_req_t q = {.r = r};
    const char *why;
    arca_db_t *db;
    arca_error_t *err;
    int status;

    if (r->handler == NULL || strcmp(r->handler, "arca-dicomweb") != 0)
        return DECLINED;
    if (strncmp(r->uri, ROOT, strlen(ROOT)) != 0
        || (r->uri[strlen(ROOT)] && r->uri[strlen(ROOT)] != '/'))
        return DECLINED;
    if ((status = parse_url(r, &q, &why)))
        return arca_http_errorf(r, status, "%s", why);
    if ((err = arca_http_login(r, &q.scope.who, &db))
        || (err = arca_dw_scope_check(db, r->pool, &q.scope, 0)))
        return arca_http_error(r, err);
    if (r->method_number == M_POST) {
        if (q.qido && q.level == ARCA_QIDO_STUDIES)
            return dw_stow(&q, db);
        if (!q.qido && q.study && !q.series && !q.what)
            return dw_stow(&q, db);
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "POST (STOW-RS) goes to .../studies "
                                "or .../studies/{StudyInstanceUID}");
    }
    if (r->method_number != M_GET)
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "DICOMweb here takes GET, and "
                                "POST for STOW-RS");
    return q.qido ? qido(&q, db) : dw_wado(&q, db);
}

static int dicomweb_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                server_rec *s)
{
    if (!arca_core_api_retrieve()) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, ARCA_LOGNO(10660)
                     "mod_arca_dicomweb needs mod_arca: load it first (LoadModule arca_module)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void dicomweb_register_hooks(apr_pool_t *p)
{
    arca_http_init(&arca_dicomweb_module);
    ap_hook_post_config(dicomweb_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(dicomweb_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA arca_dicomweb_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    dicomweb_register_hooks
};
