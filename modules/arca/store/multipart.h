/* A streaming parser for multipart/form-data request bodies (RFC 7578), for clients that
 * upload a file as a form rather than as the raw body. The body is fed in chunks of any
 * size and each part's content is handed on as it arrives, so an upload of any size is
 * parsed in constant memory: only a part's headers (at most
 * ARCA_MULTIPART_MAX_HEADER_BYTES) are ever held. */
#ifndef ARCA_MULTIPART_H
#define ARCA_MULTIPART_H

#include <apr.h>
#include <apr_pools.h>

#include "base/error.h"

/* Limits on what a client can make the parser hold or do; beyond them the body is a 400. */
#define ARCA_MULTIPART_MAX_HEADER_BYTES 16384 /* one part's header block, line ends included */
#define ARCA_MULTIPART_MAX_PARTS 100

/* From a Content-Type header value: the boundary parameter (quoted or not). 400 if the
 * type is not multipart/form-data or has no usable boundary (1-70 printable characters,
 * RFC 2046). */
arca_error_t *arca_multipart_boundary(apr_pool_t *p, const char *content_type,
                                      const char **boundary);

typedef struct arca_multipart_t arca_multipart_t;

/* What the parser calls as it goes; any of them may be NULL. An error returned by one of
 * them stops the parse, and arca_multipart_feed() returns that very error. */
typedef struct arca_multipart_callbacks_t {
    /* A part starts: its form field name and filename (NULL if none) from
     * Content-Disposition, and its Content-Type value (NULL if none). The strings live
     * until this part's part_end returns. The filename is as the client sent it: it may
     * hold a path (old browsers) or anything else, so it must be sanitised before use. */
    arca_error_t *(*part_begin)(void *baton, const char *name, const char *filename,
                                const char *content_type);
    /* Some bytes of the current part's content, exactly as sent (called many times per
     * part, never with len 0). */
    arca_error_t *(*part_data)(void *baton, const char *data, apr_size_t len);
    /* The current part is complete (its closing boundary line was read and is valid). */
    arca_error_t *(*part_end)(void *baton);
    void *baton;
} arca_multipart_callbacks_t;

/* A parser for a body with this boundary (as from arca_multipart_boundary()); it lives
 * in `p` and `cb` is copied. 400 if the boundary is not usable. */
arca_error_t *arca_multipart_create(apr_pool_t *p, const char *boundary,
                                    const arca_multipart_callbacks_t *cb,
                                    arca_multipart_t **mp);
/* Feeds the next chunk of the body (any size, 0 included). After an error every later
 * call returns the same error. */
arca_error_t *arca_multipart_feed(arca_multipart_t *mp, const char *data, apr_size_t len);
/* The body ended: 400 if the closing boundary was not seen (truncated upload). */
arca_error_t *arca_multipart_finish(arca_multipart_t *mp);

#endif
