/* The multipart/form-data parser. The input's first line is the Content-Type header
 * (its boundary taken by arca_multipart_boundary), the rest the body, fed in chunks of
 * varying size. The callbacks check the promises multipart.h makes about them. */
#include "fuzz_util.h"

#include <apr_strings.h>

#include "store/multipart.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_start();
    return 0;
}

typedef struct {
    int in_part;
    int parts;
} state_t;

static arca_error_t *begin(void *baton, const char *name, const char *filename,
                           const char *content_type)
{
    state_t *st = baton;

    if (st->in_part || !name)
        abort(); /* a part begins inside another, or without its field name */
    st->in_part = 1;
    if (++st->parts > ARCA_MULTIPART_MAX_PARTS)
        abort();
    (void)strlen(name);
    if (filename)
        (void)strlen(filename);
    if (content_type)
        (void)strlen(content_type);
    return ARCA_OK;
}

static arca_error_t *part_data(void *baton, const char *data, apr_size_t len)
{
    state_t *st = baton;
    volatile char first;

    if (!st->in_part || len == 0)
        abort(); /* content outside a part, or an empty call */
    first = data[0];
    first = data[len - 1];
    (void)first;
    return ARCA_OK;
}

static arca_error_t *end(void *baton)
{
    state_t *st = baton;

    if (!st->in_part)
        abort();
    st->in_part = 0;
    return ARCA_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head = nl ? (size_t)(nl - data) : size;
    state_t st = {0, 0};
    arca_multipart_callbacks_t cb = {begin, part_data, end, &st};
    fuzz_stream_t body = {data, size, nl ? head + 1 : size, 512};
    arca_multipart_t *mp;
    const char *boundary;
    const void *chunk;
    apr_size_t len;

    apr_pool_create(&p, fuzz_root);
    if (!arca_multipart_boundary(p, apr_pstrndup(p, (const char *)data, head), &boundary)
        && !arca_multipart_create(p, boundary, &cb, &mp)) {
        arca_error_t *err = ARCA_OK;

        while (!err && body.at < body.len) {
            fuzz_stream_read(&body, &chunk, &len);
            err = arca_multipart_feed(mp, chunk, len);
        }
        if (!err && !arca_multipart_finish(mp) && st.in_part)
            abort(); /* a body that finished well left a part open */
    }
    apr_pool_destroy(p);
    return 0;
}
