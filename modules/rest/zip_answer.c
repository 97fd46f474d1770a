/* Zip downloads (see zip_answer.h). */
#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "store/archive_stream.h"
#include "zip_answer.h"

int zip_answer(request_rec *r, const char *filename, const apr_array_header_t *members,
               int skip_gone, arca_error_t **cut_short)
{
    arca_zip_writer_t *zw;
    arca_error_t *err;

    *cut_short = NULL;
    ap_set_content_type(r, "application/zip");
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_psprintf(r->pool, "attachment; filename=\"%s\"", filename));
    if (r->header_only)
        return OK;
    if ((err = arca_zip_writer_open(r->pool, arca_http_write, r, arca_http_flag(r, "compress"),
                                    &zw)))
        return arca_http_error(r, err);
    for (int i = 0; i < members->nelts && !err; i++) {
        const zip_member_t *m = &APR_ARRAY_IDX(members, i, zip_member_t);
        err = arca_zip_add_file(zw, m->member, m->path);
        if (err && err->status == 404 && skip_gone)
            err = ARCA_OK;
    }
    if (!err)
        err = arca_zip_writer_close(zw);
    if (err) {
        /* the status is sent: all that is left is to cut the response short */
        *cut_short = err;
        r->connection->aborted = 1;
    }
    return OK;
}
