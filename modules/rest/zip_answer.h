/* A zip download: the files named in a list, zipped as they stream out. */
#ifndef ARCA_REST_ZIP_ANSWER_H
#define ARCA_REST_ZIP_ANSWER_H

#include <httpd.h>
#include <apr_tables.h>

#include "base/error.h"

typedef struct {
    const char *member; /* its name in the zip */
    const char *path;   /* the file on disk */
} zip_member_t;

/* Answers with `members` (zip_member_t) as the attachment `filename`, compressed when the
 * request asks (compress=true); returns what the handler returns. A file removed since it
 * was listed (404) is left out when `skip_gone`, else it ends the answer. Once the status
 * is sent a failure can only cut the answer short: the connection is marked aborted and
 * *cut_short is the failure, for the caller to log (else NULL). */
int zip_answer(request_rec *r, const char *filename, const apr_array_header_t *members,
               int skip_gone, arca_error_t **cut_short);

#endif
