/* The receivers listing (see dicom_scp_rest.h). It is served here, not by mod_arca_rest,
 * because the receivers are this module's configuration; it runs first among the handlers
 * of arca-rest locations and declines every other path. Counters come from the status file
 * the listener rewrites after each association and failure. */
#include <stdlib.h>
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <jansson.h>

#include "arca_http.h"
#include "dicom_config.h"
#include "dicom_scp_rest.h"

static json_t *status_of(json_t *status, const char *ae)
{
    size_t i;
    json_t *v;

    json_array_foreach(status, i, v) {
        const char *name = json_string_value(json_object_get(v, "aeTitle"));
        if (name && strcmp(name, ae) == 0)
            return v;
    }
    return NULL;
}

static json_t *receiver_json(const arca_dicom_receiver_t *rcv, int id, json_t *status)
{
    json_t *o = json_pack("{s:i, s:s, s:s, s:i, s:b, s:b, s:b, s:b, s:b, s:o}",
        "id", id, "aeTitle", rcv->ae_title, "host", rcv->host, "port", rcv->port,
        "enabled", 1, "customProcessing", 0, "directArchive", !rcv->to_prearchive,
        "anonymizationEnabled", 1, "whitelistEnabled", rcv->callers != NULL,
        "whitelist", json_array());
    json_t *st = status_of(status, rcv->ae_title);

    if (rcv->project)
        json_object_set_new(o, "projectId", json_string(rcv->project));
    if (rcv->user)
        json_object_set_new(o, "user", json_string(rcv->user));
    json_object_set_new(o, "syncStorage", json_boolean(!rcv->no_sync));
    for (int i = 0; rcv->callers && i < rcv->callers->nelts; i++)
        json_array_append_new(json_object_get(o, "whitelist"),
                              json_string(APR_ARRAY_IDX(rcv->callers, i, const char *)));
    json_object_set_new(o, "status", st ? json_deep_copy(st) : json_object());
    json_object_del(json_object_get(o, "status"), "aeTitle");
    return o;
}

int dicom_scp_handler(request_rec *r)
{
    dicom_conf *conf = dicom_conf_get(r->server);
    json_t *status, *out;
    const char *rest;
    arca_error_t *err;
    int id = 0;

    if (r->handler == NULL || strcmp(r->handler, "arca-rest") != 0
        || strncmp(r->uri, "/xapi/dicomscp", 14) != 0
        || (r->uri[14] != '\0' && r->uri[14] != '/'))
        return DECLINED;
    rest = r->uri + 14;
    if (*rest == '/' && rest[1]) {
        char *end;
        id = (int)strtol(rest + 1, &end, 10);
        if (*end || id < 1)
            return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no DICOM receiver '%s'",
                                    rest + 1);
    }
    if (r->method_number != M_GET)
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "receivers are configured in "
                                "httpd.conf (ArcaDicomReceiver): read only here");
    if ((err = arca_http_site_admin(r, "see the DICOM receivers")))
        return arca_http_error(r, err);
    status = json_load_file(dicom_status_file(r->pool), 0, NULL);
    if (id) {
        if (id > conf->receivers->nelts) {
            json_decref(status);
            return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no DICOM receiver %d", id);
        }
        out = receiver_json(APR_ARRAY_IDX(conf->receivers, id - 1, arca_dicom_receiver_t *),
                            id, status);
    } else {
        out = json_array();
        for (int i = 0; i < conf->receivers->nelts; i++)
            json_array_append_new(out, receiver_json(APR_ARRAY_IDX(conf->receivers, i,
                                                     arca_dicom_receiver_t *), i + 1, status));
    }
    json_decref(status);
    return arca_http_send_json(r, out);
}
