/* mod_arca_dicomweb's pieces: the request as parsed from its URL, the Accept header, the
 * multipart bodies written and read, the handlers. */
#ifndef DW_HTTP_H
#define DW_HTTP_H

#include <httpd.h>

#include "dicomweb/dicomweb.h"

/* What a DICOMweb URL names. */
typedef struct dw_req_t {
    request_rec *r;
    arca_dw_scope_t scope;
    const char *study, *series, *instance;
    const char *what;       /* NULL, "metadata", "frames", "bulk" */
    const char *arg;        /* frame list or bulk tag */
    int qido;               /* a QIDO-RS path; level in `level` */
    arca_qido_level_t level;
} dw_req_t;

/* The transfer syntax an instance (or a frame: `frames`) is sent in, from the Accept
 * header: 1 and *send_ts set (the stored one, or for an uncompressed instance another
 * uncompressed one to convert to) when acceptable; 0 and *why when not (406). */
int dw_accept(request_rec *r, int frames, const char *stored_ts, const char **send_ts,
              const char **why);

/* A fresh multipart boundary. */
const char *dw_boundary(apr_pool_t *p);

/* Sends byte ranges of a file as the body's next part; 0 on success. */
int dw_send_ranges(request_rec *r, const char *file, const apr_array_header_t *ranges);

/* The media type of encapsulated pixel data in a transfer syntax. */
const char *dw_frame_type(const char *ts);

/* Sends v (taking the caller's reference) as JSON of that Content-Type, keys sorted. */
int dw_send_json(request_rec *r, struct json_t *v, const char *type);

int dw_wado(dw_req_t *q, arca_db_t *db);
int dw_stow(dw_req_t *q, arca_db_t *db);

#endif
