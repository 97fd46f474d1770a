/* WADO-RS: instances, metadata, frames, bulk data (see dicomweb.h). Instances go as stored,
 * one multipart/related part each, straight from their files. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "dw_http.h"
#include "dicom/dicom.h"

APLOG_USE_MODULE(arca_dicomweb);

#define EXPLICIT_LE "1.2.840.10008.1.2.1"
#define IMPLICIT_LE "1.2.840.10008.1.2"
#define EXPLICIT_BE "1.2.840.10008.1.2.2"

/* Lower-case, unquoted value of parameter `name` in one media range; NULL if absent. */
static const char *param_of(apr_pool_t *p, const char *range, const char *name)
{
    char *copy = apr_pstrdup(p, range), *state, *part;

    apr_strtok(copy, ";", &state);  /* the type itself */
    while ((part = apr_strtok(NULL, ";", &state))) {
        char *eq = strchr(part, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *k = part, *v = eq + 1;
        while (*k == ' ' || *k == '\t')
            k++;
        size_t kn = strlen(k);
        while (kn && (k[kn - 1] == ' ' || k[kn - 1] == '\t'))
            k[--kn] = '\0';
        if (strcasecmp(k, name) != 0)
            continue;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vn = strlen(v);
        while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
            v[--vn] = '\0';
        if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"')
            v[vn - 1] = '\0', v++;
        return v;
    }
    return NULL;
}

static const char *type_of(apr_pool_t *p, const char *range)
{
    size_t n = strcspn(range, ";");
    char *t = apr_pstrmemdup(p, range, n), *e;

    while (*t == ' ' || *t == '\t')
        t++;
    for (e = t + strlen(t); e > t && (e[-1] == ' ' || e[-1] == '\t'); e--)
        ;
    *e = '\0';
    return t;
}

const char *dw_frame_type(const char *ts)
{
    static const struct { const char *ts, *type; } types[] = {
        {"1.2.840.10008.1.2.4.50", "image/jpeg"}, {"1.2.840.10008.1.2.4.51", "image/jpeg"},
        {"1.2.840.10008.1.2.4.57", "image/jpeg"}, {"1.2.840.10008.1.2.4.70", "image/jpeg"},
        {"1.2.840.10008.1.2.4.80", "image/jls"}, {"1.2.840.10008.1.2.4.81", "image/jls"},
        {"1.2.840.10008.1.2.4.90", "image/jp2"}, {"1.2.840.10008.1.2.4.91", "image/jp2"},
        {"1.2.840.10008.1.2.4.92", "image/jpx"}, {"1.2.840.10008.1.2.4.93", "image/jpx"},
        {"1.2.840.10008.1.2.5", "image/dicom-rle"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(ts, types[i].ts) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static int native(const char *ts)
{
    return strcmp(ts, EXPLICIT_LE) == 0 || strcmp(ts, IMPLICIT_LE) == 0
           || strcmp(ts, EXPLICIT_BE) == 0;
}

/* Accept: alternatives separated by ',', each maybe multipart/related with type= and
 * transfer-syntax= (quoted or not). What is stored goes as it is when an alternative asks
 * for any syntax ('*'), for the stored one, or names none (taken as "as stored",
 * leniently). Else an instance of uncompressed pixel data goes in the first uncompressed
 * syntax asked for (*send_ts), converted. A frame of native little endian pixel data is
 * the explicit VR little endian the standard defaults to. */
int dw_accept(request_rec *r, int frames, const char *stored, const char **send_ts,
              const char **why)
{
    const char *accept = apr_table_get(r->headers_in, "Accept"), *convert = NULL;
    char *copy, *state, *range;
    int native_le = strcmp(stored, EXPLICIT_LE) == 0 || strcmp(stored, IMPLICIT_LE) == 0;

    *why = NULL;
    *send_ts = stored;
    if (accept == NULL || !*accept)
        return 1;
    copy = apr_pstrdup(r->pool, accept);
    for (range = apr_strtok(copy, ",", &state); range; range = apr_strtok(NULL, ",", &state)) {
        const char *type = type_of(r->pool, range), *inner = type, *ts;
        if (strcasecmp(type, "multipart/related") == 0) {
            inner = param_of(r->pool, range, "type");
            if (inner == NULL)
                inner = frames ? "application/octet-stream" : "application/dicom";
        }
        ts = param_of(r->pool, range, "transfer-syntax");
        if (strcmp(type, "*/*") == 0 || strcmp(inner, "*/*") == 0)
            return 1;
        if (!frames && strcasecmp(inner, "application/dicom") != 0)
            continue;
        if (frames && strcasecmp(inner, "application/octet-stream") != 0
            && strcasecmp(inner, dw_frame_type(stored)) != 0 && strcmp(inner, "image/*") != 0)
            continue;
        if (ts == NULL || strcmp(ts, "*") == 0 || strcmp(ts, stored) == 0
            || (frames && native_le && strcmp(ts, EXPLICIT_LE) == 0))
            return 1;
        if (!frames && !convert && native(stored) && native(ts))
            convert = ts;
    }
    if (convert) {
        *send_ts = convert;
        return 1;
    }
    *why = apr_psprintf(r->pool, "Not Acceptable: %s is stored in transfer syntax %s and "
                        "is sent as stored (transfer-syntax=* or %s)%s", frames
                        ? "the frame" : "the instance", stored, stored, native(stored)
                        ? " or in another uncompressed syntax" : "; compressed objects are "
                        "not converted");
    return 0;
}

const char *dw_boundary(apr_pool_t *p)
{
    unsigned char b[12];

    if (apr_generate_random_bytes(b, sizeof b) != APR_SUCCESS)
        memset(b, 0x5a, sizeof b);
    return apr_psprintf(p, "arca-%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", b[0],
                        b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]);
}

int dw_send_ranges(request_rec *r, const char *file, const apr_array_header_t *ranges)
{
    apr_file_t *f;

    if (apr_file_open(&f, file, APR_FOPEN_READ | APR_FOPEN_SENDFILE_ENABLED,
                      APR_FPROT_OS_DEFAULT, r->pool) != APR_SUCCESS)
        return -1;
    for (int i = 0; i < ranges->nelts; i++) {
        const arca_dw_range_t *rg = &APR_ARRAY_IDX(ranges, i, arca_dw_range_t);
        apr_size_t sent = 0;
        if (rg->length > 0 && ap_send_fd(f, r, rg->offset, (apr_size_t)rg->length, &sent)
                              != APR_SUCCESS)
            return -1;
    }
    return 0;
}

static apr_array_header_t *whole_file(apr_pool_t *p, const char *file)
{
    apr_finfo_t fi;
    apr_array_header_t *a = apr_array_make(p, 1, sizeof(arca_dw_range_t));

    if (apr_stat(&fi, file, APR_FINFO_SIZE, p) != APR_SUCCESS)
        return NULL;
    APR_ARRAY_PUSH(a, arca_dw_range_t) = (arca_dw_range_t){0, fi.size};
    return a;
}

/* The part header of a frame or pixel data: its type and transfer syntax. Native pixel
 * data in little endian is labelled explicit VR little endian: the bytes are the same. */
static const char *frame_part_type(apr_pool_t *p, const arca_dw_instance_t *in)
{
    const char *ts = in->transfer_syntax;

    if (!in->encapsulated)
        return apr_pstrcat(p, "application/octet-stream; transfer-syntax=",
                           strcmp(ts, IMPLICIT_LE) == 0 ? EXPLICIT_LE : ts, NULL);
    return apr_pstrcat(p, dw_frame_type(ts), "; transfer-syntax=", ts, NULL);
}

static int send_instances(request_rec *r, const apr_array_header_t *insts)
{
    const char *boundary = dw_boundary(r->pool), *why;
    const char **send_ts = apr_palloc(r->pool, sizeof *send_ts * (size_t)insts->nelts);

    for (int i = 0; i < insts->nelts; i++)
        if (!dw_accept(r, 0, APR_ARRAY_IDX(insts, i, arca_dw_instance_t).transfer_syntax,
                       &send_ts[i], &why))
            return arca_http_errorf(r, HTTP_NOT_ACCEPTABLE, "%s", why);
    ap_set_content_type(r, apr_psprintf(r->pool, "multipart/related; type=\"application/dicom\"; "
                                        "boundary=%s", boundary));
    for (int i = 0; i < insts->nelts; i++) {
        const arca_dw_instance_t *in = &APR_ARRAY_IDX(insts, i, arca_dw_instance_t);
        apr_array_header_t *whole = whole_file(r->pool, in->file);
        int converted = strcmp(send_ts[i], in->transfer_syntax) != 0;
        arca_error_t *err = ARCA_OK;
        ap_rprintf(r, "--%s\r\nContent-Type: application/dicom; transfer-syntax=%s\r\n\r\n",
                   boundary, send_ts[i]);
        if (converted)
            err = arca_dicom_convert_file(r->pool, in->file, send_ts[i], arca_http_write, r);
        if (err || whole == NULL || (!converted && dw_send_ranges(r, in->file, whole) != 0)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARCA_LOGNO(10661)
                          "a stored DICOM file cannot be sent (%s): %s",
                          err ? err->message : "unreadable", in->file);
            r->connection->keepalive = AP_CONN_CLOSE;
            return OK;  /* the answer is cut: the client sees no closing boundary */
        }
        ap_rputs("\r\n", r);
    }
    ap_rprintf(r, "--%s--\r\n", boundary);
    return OK;
}

/* "1,3,5": the frame numbers asked for. */
static apr_array_header_t *frame_list(apr_pool_t *p, const char *arg)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(int));
    char *copy = apr_pstrdup(p, arg), *state, *one, *end;

    for (one = apr_strtok(copy, ",", &state); one; one = apr_strtok(NULL, ",", &state)) {
        long n = strtol(one, &end, 10);
        if (*end || n < 1 || n > 1000000 || a->nelts == 10000)
            return NULL;
        APR_ARRAY_PUSH(a, int) = (int)n;
    }
    return a->nelts ? a : NULL;
}

static int send_frames(request_rec *r, const arca_dw_instance_t *in, const char *arg)
{
    apr_array_header_t *list = frame_list(r->pool, arg), **ranges;
    const char *boundary = dw_boundary(r->pool), *why, *ts;
    arca_error_t *err;

    if (list == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "frames: a list of frame numbers from 1 "
                                "is expected, such as 1 or 1,3");
    if (!dw_accept(r, 1, in->transfer_syntax, &ts, &why))
        return arca_http_errorf(r, HTTP_NOT_ACCEPTABLE, "%s", why);
    ranges = apr_palloc(r->pool, sizeof *ranges * (size_t)list->nelts);
    for (int i = 0; i < list->nelts; i++)
        if ((err = arca_dw_frame(r->pool, in, APR_ARRAY_IDX(list, i, int), &ranges[i])))
            return arca_http_error(r, err);
    ap_set_content_type(r, apr_psprintf(r->pool, "multipart/related; type=\"%s\"; boundary=%s",
                                        in->encapsulated ? dw_frame_type(in->transfer_syntax)
                                        : "application/octet-stream", boundary));
    for (int i = 0; i < list->nelts; i++) {
        ap_rprintf(r, "--%s\r\nContent-Type: %s\r\n\r\n", boundary,
                   frame_part_type(r->pool, in));
        if (dw_send_ranges(r, in->file, ranges[i]) != 0) {
            r->connection->keepalive = AP_CONN_CLOSE;
            return OK;
        }
        ap_rputs("\r\n", r);
    }
    ap_rprintf(r, "--%s--\r\n", boundary);
    return OK;
}

/* Bulk data: multipart/related with one part by default, a plain octet-stream body when
 * the client accepts only that (OHIF's singlepart bulkdata). */
static int send_bulk(request_rec *r, const arca_dw_instance_t *in, const char *tag)
{
    const char *accept = apr_table_get(r->headers_in, "Accept"), *data, *boundary;
    apr_array_header_t *ranges;
    apr_size_t len;
    arca_error_t *err = arca_dw_bulk(r->pool, in, tag, &data, &len, &ranges);
    int single = accept && !strstr(accept, "multipart/related")
                 && strstr(accept, "application/octet-stream");

    if (err)
        return arca_http_error(r, err);
    boundary = dw_boundary(r->pool);
    if (single)
        ap_set_content_type(r, "application/octet-stream");
    else {
        ap_set_content_type(r, apr_psprintf(r->pool, "multipart/related; type=\"application/"
                                            "octet-stream\"; boundary=%s", boundary));
        ap_rprintf(r, "--%s\r\nContent-Type: %s\r\n\r\n", boundary, ranges
                   ? frame_part_type(r->pool, in) : "application/octet-stream");
    }
    if (ranges ? dw_send_ranges(r, in->file, ranges) != 0 : ap_rwrite(data, (int)len, r) < 0) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return OK;
    }
    if (!single)
        ap_rprintf(r, "\r\n--%s--\r\n", boundary);
    return OK;
}

int dw_wado(dw_req_t *q, arca_db_t *db)
{
    request_rec *r = q->r;
    const arca_site_t *site = arca_core.site_get(r);
    apr_array_header_t *insts;
    arca_error_t *err;

    if (site->archive == NULL)
        return arca_http_errorf(r, HTTP_INTERNAL_SERVER_ERROR, "ArcaArchive is not set");
    if ((err = arca_dw_instances(db, r->pool, &q->scope, site->archive, q->study, q->series,
                                 q->instance, &insts)))
        return arca_http_error(r, err);
    if (q->what && strcmp(q->what, "metadata") == 0) {
        return dw_send_json(r, arca_dw_metadata(r->pool, &q->scope, insts),
                            "application/dicom+json");
    }
    if (q->what && strcmp(q->what, "frames") == 0)
        return send_frames(r, &APR_ARRAY_IDX(insts, 0, arca_dw_instance_t), q->arg);
    if (q->what && strcmp(q->what, "bulk") == 0)
        return send_bulk(r, &APR_ARRAY_IDX(insts, 0, arca_dw_instance_t), q->arg);
    return send_instances(r, insts);
}
