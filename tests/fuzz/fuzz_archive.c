/* The zip and tar member walker: any bytes as an uploaded archive (arca_archive_extract),
 * every accepted member read to its end in small pieces, its name checked for what
 * archive_stream.h promises (relative, no "..", no leading "./"). */
#include "fuzz_util.h"

#include "store/archive_stream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_start();
    return 0;
}

static arca_error_t *on_entry(void *baton, const char *name, apr_off_t size,
                              arca_archive_entry_t *e)
{
    char buf[1000];
    apr_size_t got;
    arca_error_t *err;

    if (name[0] == '/' || strncmp(name, "./", 2) == 0 || strcmp(name, "..") == 0
        || strncmp(name, "../", 3) == 0 || strstr(name, "/../"))
        abort(); /* an unsafe name came through */
    do {
        err = arca_archive_entry_read(e, buf, sizeof buf, &got);
    } while (!err && got > 0);
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    fuzz_stream_t in = {data, size, 0, 4096};
    int count;

    apr_pool_create(&p, fuzz_root);
    (void)arca_archive_extract(p, fuzz_stream_read, &in, on_entry, NULL, &count);
    apr_pool_destroy(p);
    return 0;
}
