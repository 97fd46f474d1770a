/* What every fuzz target shares: APR started once, a pool per input, and the input handed
 * out as an arca_read_fn stream in chunks whose sizes vary with the input itself, so that
 * the code under test sees its data cut at many different places. */
#ifndef ARCA_FUZZ_UTIL_H
#define ARCA_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <libxml/parser.h>

#include "base/error.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *fuzz_root;

/* Called from LLVMFuzzerInitialize: APR, libxml2, and one pool each input's pool hangs off. */
static inline void fuzz_start(void)
{
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&fuzz_root, NULL) != APR_SUCCESS)
        abort();
    xmlInitParser();
}

/* The input as a stream: each call gives the next chunk, 1 to `chunk` bytes. */
typedef struct {
    const uint8_t *data;
    size_t len, at;
    size_t chunk;
} fuzz_stream_t;

static inline arca_error_t *fuzz_stream_read(void *baton, const void **buf, apr_size_t *len)
{
    fuzz_stream_t *s = baton;
    size_t n = s->len - s->at;

    /* A chunk size that changes from call to call, taken from the bytes themselves. */
    if (n > s->chunk)
        n = 1 + (s->at < s->len ? s->data[s->at] : 0) % s->chunk;
    *buf = s->data + s->at;
    *len = n;
    s->at += n;
    return ARCA_OK;
}

#endif
