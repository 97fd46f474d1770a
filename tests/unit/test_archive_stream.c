/* Archive streams: zips written through a callback read back the same, uploaded zips and
 * tarballs come out entry by entry, and hostile or broken archives are refused. Test
 * archives are built at run time with libarchive; files live in a directory under /tmp. */
#include "test_util.h"
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "store/archive_stream.h"

#define MiB (1024 * 1024)

/* ---- helpers ----------------------------------------------------------------------------- */

/* Binary sink: test_util's sink_t keeps strings, zips have NULs. */
typedef struct {
    apr_pool_t *pool;
    char *data;
    size_t len, cap;
    long fail_after; /* refuse a write that would go past this many bytes; -1 never */
    size_t max_write;
    int calls;
} bytes_t;

static int bytes_write(void *baton, const char *data, size_t len)
{
    bytes_t *b = baton;

    b->calls++;
    if (b->fail_after >= 0 && b->len + len > (size_t)b->fail_after)
        return -1;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *d;
        while (cap < b->len + len)
            cap *= 2;
        d = apr_palloc(b->pool, cap);
        if (b->len)
            memcpy(d, b->data, b->len);
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    if (len > b->max_write)
        b->max_write = len;
    return 0;
}

static bytes_t bytes_make(apr_pool_t *p)
{
    bytes_t b = {p, NULL, 0, 0, -1, 0, 0};
    return b;
}

/* An upload arriving in chunks of an odd size, so entries straddle them. */
typedef struct {
    const char *data;
    size_t len, pos, chunk;
    long fail_at; /* a read starting at or past this offset fails; -1 never */
    arca_error_t *err;
} source_t;

static arca_error_t *source_read(void *baton, const void **buf, apr_size_t *len)
{
    source_t *s = baton;
    size_t n = s->len - s->pos;

    if (s->fail_at >= 0 && s->pos >= (size_t)s->fail_at)
        return s->err;
    if (n > s->chunk)
        n = s->chunk;
    *buf = s->data + s->pos;
    *len = n;
    s->pos += n;
    return ARCA_OK;
}

static source_t source_of(const char *data, size_t len)
{
    source_t s = {data, len, 0, 10007, -1, NULL};
    return s;
}

/* What extraction handed over, entry by entry. */
typedef struct {
    apr_pool_t *pool;
    int n;
    const char *names[16];
    bytes_t data[16];
    apr_off_t sizes[16];
    int fail_on;        /* return an error for this entry (0-based); -1 never */
    int read_nothing;   /* leave the data unread */
} collect_t;

static arca_error_t *collect(void *baton, const char *name, apr_off_t size,
                             arca_archive_entry_t *e)
{
    collect_t *c = baton;
    char buf[3000];
    apr_size_t got;
    arca_error_t *err;

    if (c->n == c->fail_on)
        return arca_error_create(c->pool, 422, "stop at %s", name);
    assert_true(c->n < 16);
    c->names[c->n] = apr_pstrdup(c->pool, name);
    c->sizes[c->n] = size;
    c->data[c->n] = bytes_make(c->pool);
    while (!c->read_nothing) {
        err = arca_archive_entry_read(e, buf, sizeof buf, &got);
        if (err)
            return err;
        if (got == 0)
            break;
        bytes_write(&c->data[c->n], buf, got);
    }
    c->n++;
    return ARCA_OK;
}

static collect_t *collector(apr_pool_t *p)
{
    collect_t *c = apr_pcalloc(p, sizeof *c);

    c->pool = p;
    c->fail_on = -1;
    return c;
}

static arca_error_t *extract(apr_pool_t *p, const bytes_t *archive, collect_t *c, int *count)
{
    source_t s = source_of(archive->data, archive->len);

    return arca_archive_extract(p, NULL, source_read, &s, collect, c, count);
}

static int entry_index(const collect_t *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0)
            return i;
    fail_msg("no entry %s", name);
    return -1;
}

/* An entry for a test archive; type 0 is a regular file holding `data`. */
typedef struct {
    const char *name;
    unsigned type;
    const char *data;
    size_t len;
    const char *link; /* symlink target, or hard link target when type is 0 */
} spec_t;

static la_ssize_t to_bytes(struct archive *a, void *baton, const void *buf, size_t len)
{
    return bytes_write(baton, buf, len) == 0 ? (la_ssize_t)len : -1;
}

/* format: "pax", "ustar", "zip"; gzip: also compress the whole. */
static bytes_t build(apr_pool_t *p, const char *format, int gzip, const spec_t *specs, int n)
{
    struct archive *a = archive_write_new();
    bytes_t out = bytes_make(p);

    assert_int_equal(archive_write_set_format_by_name(a, format), ARCHIVE_OK);
    if (gzip)
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open(a, &out, NULL, to_bytes, NULL), ARCHIVE_OK);
    for (int i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        unsigned type = specs[i].type ? specs[i].type : AE_IFREG;

        archive_entry_set_pathname(e, specs[i].name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_mtime(e, 1700000000, 0);
        if (type == AE_IFLNK)
            archive_entry_set_symlink(e, specs[i].link);
        else if (specs[i].link)
            archive_entry_set_hardlink(e, specs[i].link);
        if (type == AE_IFCHR)
            archive_entry_set_rdev(e, 0x0103);
        archive_entry_set_size(e, type == AE_IFREG && !specs[i].link ? (la_int64_t)specs[i].len
                                                                     : 0);
        assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
        if (type == AE_IFREG && specs[i].len)
            assert_int_equal(archive_write_data(a, specs[i].data, specs[i].len),
                             (la_ssize_t)specs[i].len);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return out;
}

static char *pattern(apr_pool_t *p, size_t len, unsigned seed)
{
    char *d = apr_palloc(p, len);
    uint32_t x = seed;

    /* Some noise and some runs of NULs: neither all compressible nor text. */
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        d[i] = (i / 4096) % 3 == 0 ? '\0' : (char)(x >> 16);
    }
    return d;
}

typedef test_dir_t fixture_t;
#define dir_setup test_dir_setup
#define dir_teardown test_dir_teardown

static const char *put_file(fixture_t *fx, const char *rel, const char *data, size_t len)
{
    const char *path = apr_pstrcat(fx->pool, fx->dir, "/", rel, NULL);
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

/* ---- zip out, and back in ---------------------------------------------------------------- */

static void zip_round_trip(fixture_t *fx, int compress)
{
    apr_pool_t *p = fx->pool;
    const char *small = "hello, zip\n";
    char *mid = pattern(p, 100000, 1), *big = pattern(p, MiB, 2);
    bytes_t zip = bytes_make(p);
    collect_t *c = collector(p);
    arca_zip_writer_t *zw;
    struct archive *a;
    struct archive_entry *e;
    int count = -1, i, seen = 0;

    assert_int_equal(mkdir(apr_pstrcat(p, fx->dir, "/sub", NULL), 0755), 0);
    put_file(fx, "a.txt", small, strlen(small));
    put_file(fx, "sub/b.bin", mid, 100000);
    put_file(fx, "big.dat", big, MiB);

    assert_null(arca_zip_writer_open(p, bytes_write, &zip, compress, &zw));
    assert_null(arca_zip_add_file(zw, "a.txt", apr_pstrcat(p, fx->dir, "/a.txt", NULL)));
    assert_null(arca_zip_add_file(zw, "scans/1/b.bin", apr_pstrcat(p, fx->dir, "/sub/b.bin",
                                                                   NULL)));
    assert_null(arca_zip_add_file(zw, "big.dat", apr_pstrcat(p, fx->dir, "/big.dat", NULL)));
    assert_null(arca_zip_writer_close(zw));
    assert_null(arca_zip_writer_close(zw));
    /* Streamed in blocks, not gathered. */
    assert_true(zip.max_write <= 64 * 1024);
    assert_true(zip.calls > 10);
    if (compress)
        assert_true(zip.len < MiB);
    else
        assert_true(zip.len > MiB + 100000);
    assert_memory_equal(zip.data + zip.len - 22, "PK\005\006", 4); /* ends with the EOCD */

    assert_null(extract(p, &zip, c, &count));
    assert_int_equal(count, 3);
    assert_int_equal(c->n, 3);
    i = entry_index(c, "a.txt");
    assert_int_equal(c->data[i].len, strlen(small));
    assert_memory_equal(c->data[i].data, small, strlen(small));
    i = entry_index(c, "scans/1/b.bin");
    assert_int_equal(c->data[i].len, 100000);
    assert_memory_equal(c->data[i].data, mid, 100000);
    i = entry_index(c, "big.dat");
    assert_int_equal(c->data[i].len, MiB);
    assert_memory_equal(c->data[i].data, big, MiB);

    /* A download cut off halfway does not pass as an upload. */
    {
        bytes_t half = zip;
        arca_error_t *err;

        half.len = zip.len / 2;
        err = extract(p, &half, collector(p), &count);
        assert_non_null(err);
        assert_int_equal(err->status, 400);
    }

    /* The central directory, as a seeking reader (unzip, Python's zipfile) sees it. */
    a = archive_read_new();
    archive_read_support_format_zip_seekable(a);
    assert_int_equal(archive_read_open_memory(a, zip.data, zip.len), ARCHIVE_OK);
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        if (strcmp(archive_entry_pathname(e), "big.dat") == 0)
            assert_int_equal(archive_entry_size(e), MiB);
        assert_int_equal(archive_entry_mtime(e) > 0, 1);
        seen++;
    }
    assert_int_equal(seen, 3);
    archive_read_free(a);
}

static void zip_round_trip_deflated(void **state)
{
    zip_round_trip(*state, 1);
}

static void zip_round_trip_stored(void **state)
{
    zip_round_trip(*state, 0);
}

static void zip_utf8_names(void **state)
{
    fixture_t *fx = *state;
    const char *name = "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt";
    bytes_t zip = bytes_make(fx->pool);
    collect_t *c = collector(fx->pool);
    arca_zip_writer_t *zw;

    put_file(fx, "x", "x", 1);
    assert_null(arca_zip_writer_open(fx->pool, bytes_write, &zip, 1, &zw));
    assert_null(arca_zip_add_file(zw, name, apr_pstrcat(fx->pool, fx->dir, "/x", NULL)));
    assert_null(arca_zip_writer_close(zw));
    assert_null(extract(fx->pool, &zip, c, NULL));
    assert_int_equal(c->n, 1);
    assert_string_equal(c->names[0], name);
}

static void zip_of_nothing(void **state)
{
    apr_pool_t *p = *state;
    bytes_t zip = bytes_make(p);
    arca_zip_writer_t *zw;
    int count = -1;

    assert_null(arca_zip_writer_open(p, bytes_write, &zip, 1, &zw));
    assert_null(arca_zip_writer_close(zw));
    assert_int_equal(zip.len, 22);
    assert_memory_equal(zip.data, "PK\005\006", 4);
    assert_null(extract(p, &zip, collector(p), &count));
    assert_int_equal(count, 0);
}

static void missing_file_is_404_and_the_zip_goes_on(void **state)
{
    fixture_t *fx = *state;
    bytes_t zip = bytes_make(fx->pool);
    collect_t *c = collector(fx->pool);
    arca_zip_writer_t *zw;
    arca_error_t *err;

    put_file(fx, "here", "here", 4);
    assert_null(arca_zip_writer_open(fx->pool, bytes_write, &zip, 1, &zw));
    err = arca_zip_add_file(zw, "gone", apr_pstrcat(fx->pool, fx->dir, "/gone", NULL));
    assert_non_null(err);
    assert_int_equal(err->status, 404);
    assert_null(strstr(err->message, fx->dir)); /* no disk paths to clients */
    assert_null(arca_zip_add_file(zw, "here", apr_pstrcat(fx->pool, fx->dir, "/here", NULL)));
    /* A directory is not a file to add. */
    err = arca_zip_add_file(zw, "dir", fx->dir);
    assert_non_null(err);
    assert_int_equal(err->status, 500);
    assert_null(arca_zip_writer_close(zw));
    assert_null(extract(fx->pool, &zip, c, NULL));
    assert_int_equal(c->n, 1);
    assert_string_equal(c->names[0], "here");
}

static void unsafe_zip_names_are_refused(void **state)
{
    fixture_t *fx = *state;
    bytes_t zip = bytes_make(fx->pool);
    collect_t *c = collector(fx->pool);
    arca_zip_writer_t *zw;
    arca_error_t *err;
    const char *f = put_file(fx, "f", "f", 1);
    int count = -1;

    assert_null(arca_zip_writer_open(fx->pool, bytes_write, &zip, 1, &zw));
    err = arca_zip_add_file(zw, "../f", f);
    assert_non_null(err);
    assert_int_equal(err->status, 500);
    assert_non_null(arca_zip_add_file(zw, "/f", f));
    /* Not UTF-8 (Latin-1, overlong '/', a surrogate): Python could not open the zip. */
    assert_int_equal(arca_zip_add_file(zw, "caf\xe9", f)->status, 500);
    assert_int_equal(arca_zip_add_file(zw, "a\xc0\xaf" "b", f)->status, 500);
    assert_int_equal(arca_zip_add_file(zw, "a\xed\xa0\x80", f)->status, 500);
    assert_null(arca_zip_add_file(zw, "ok/f", f));
    assert_null(arca_zip_add_file(zw, "\xf0\x9f\x98\x80.txt", f));
    assert_null(arca_zip_writer_close(zw));
    assert_null(extract(fx->pool, &zip, c, &count));
    assert_int_equal(count, 2);
}

static void failing_stream_gives_an_error(void **state)
{
    fixture_t *fx = *state;
    bytes_t zip = bytes_make(fx->pool);
    arca_zip_writer_t *zw;
    arca_error_t *err;
    const char *big = put_file(fx, "big", pattern(fx->pool, MiB, 3), MiB);
    int calls;

    zip.fail_after = 100000;
    assert_null(arca_zip_writer_open(fx->pool, bytes_write, &zip, 0, &zw));
    assert_null(arca_zip_add_file(zw, "small", put_file(fx, "small", "s", 1)));
    err = arca_zip_add_file(zw, "big", big);
    assert_non_null(err);
    assert_int_equal(err->status, 500);
    calls = zip.calls;
    /* Once broken, the zip stays broken, and nothing more is sent. */
    err = arca_zip_add_file(zw, "again", big);
    assert_non_null(err);
    err = arca_zip_writer_close(zw);
    assert_non_null(err);
    assert_int_equal(err->status, 500);
    assert_int_equal(zip.calls, calls);
    assert_non_null(arca_zip_writer_close(zw));
}

static void failing_stream_at_the_end(void **state)
{
    fixture_t *fx = *state;
    bytes_t zip = bytes_make(fx->pool);
    arca_zip_writer_t *zw;
    arca_error_t *err;

    /* Small enough that only the final flush reaches the stream. */
    zip.fail_after = 10;
    assert_null(arca_zip_writer_open(fx->pool, bytes_write, &zip, 1, &zw));
    assert_null(arca_zip_add_file(zw, "small", put_file(fx, "small", "s", 1)));
    err = arca_zip_writer_close(zw);
    assert_non_null(err);
    assert_int_equal(err->status, 500);
}

static void pool_gone_before_close_writes_nothing_more(void **state)
{
    fixture_t *fx = *state;
    bytes_t zip = bytes_make(fx->pool);
    arca_zip_writer_t *zw;
    apr_pool_t *p;
    int calls;

    apr_pool_create(&p, fx->pool);
    assert_null(arca_zip_writer_open(p, bytes_write, &zip, 1, &zw));
    assert_null(arca_zip_add_file(zw, "small", put_file(fx, "small", "s", 1)));
    calls = zip.calls;
    apr_pool_destroy(p);
    assert_int_equal(zip.calls, calls);
}

/* ---- uploads in -------------------------------------------------------------------------- */

static void tar_gz_extraction(void **state)
{
    apr_pool_t *p = *state;
    char *big = pattern(p, 300000, 4);
    const spec_t specs[] = {
        {"./", AE_IFDIR, NULL, 0, NULL},
        {"./DICOM/", AE_IFDIR, NULL, 0, NULL},
        {"./DICOM/1.dcm", 0, "one", 3, NULL},
        {"notes.txt", 0, "two\n", 4, NULL},
        {"DICOM/big.dcm", 0, big, 300000, NULL},
        {"empty", 0, "", 0, NULL},
    };
    bytes_t tgz = build(p, "pax", 1, specs, 6);
    collect_t *c = collector(p);
    int count = -1, i;

    assert_memory_equal(tgz.data, "\x1f\x8b", 2);
    assert_null(extract(p, &tgz, c, &count));
    assert_int_equal(count, 4);
    i = entry_index(c, "DICOM/1.dcm");
    assert_int_equal(c->sizes[i], 3);
    assert_memory_equal(c->data[i].data, "one", 3);
    i = entry_index(c, "notes.txt");
    assert_memory_equal(c->data[i].data, "two\n", 4);
    i = entry_index(c, "DICOM/big.dcm");
    assert_int_equal(c->sizes[i], 300000);
    assert_int_equal(c->data[i].len, 300000);
    assert_memory_equal(c->data[i].data, big, 300000);
    i = entry_index(c, "empty");
    assert_int_equal(c->data[i].len, 0);
}

static void plain_tar_and_unread_data(void **state)
{
    apr_pool_t *p = *state;
    const spec_t specs[] = {
        {"a", 0, "aaaa", 4, NULL},
        {"b/c", 0, "cc", 2, NULL},
    };
    bytes_t tar = build(p, "ustar", 0, specs, 2);
    collect_t *c = collector(p);
    int count = -1;

    c->read_nothing = 1; /* libarchive skips what the callback left */
    assert_null(extract(p, &tar, c, &count));
    assert_int_equal(count, 2);
    assert_string_equal(c->names[1], "b/c");
}

static void refused(apr_pool_t *p, const char *format, const spec_t *specs, int n,
                    const char *in_message, int files_before)
{
    bytes_t data = build(p, format, 0, specs, n);
    collect_t *c = collector(p);
    arca_error_t *err;
    int count = -1;

    err = extract(p, &data, c, &count);
    assert_non_null(err);
    assert_int_equal(err->status, 400);
    if (strstr(err->message, in_message) == NULL)
        fail_msg("'%s' not in '%s'", in_message, err->message);
    assert_int_equal(count, files_before);
    assert_int_equal(c->n, files_before);
}

static void zip_slip_and_links_are_refused(void **state)
{
    apr_pool_t *p = *state;
    const spec_t dotdot[] = {{"ok", 0, "x", 1, NULL}, {"../evil", 0, "x", 1, NULL}};
    const spec_t inner[] = {{"a/../../evil", 0, "x", 1, NULL}};
    const spec_t absolute[] = {{"/etc/cron.d/evil", 0, "x", 1, NULL}};
    const spec_t backslash[] = {{"..\\evil", 0, "x", 1, NULL}};
    const spec_t control[] = {{"bad\nname", 0, "x", 1, NULL}};
    const spec_t symlink[] = {{"link", AE_IFLNK, NULL, 0, "/etc"}};
    const spec_t hardlink[] = {{"f", 0, "x", 1, NULL}, {"h", 0, NULL, 0, "/etc/passwd"}};
    const spec_t device[] = {{"dev", AE_IFCHR, NULL, 0, NULL}};
    const spec_t fifo[] = {{"fifo", AE_IFIFO, NULL, 0, NULL}};

    refused(p, "pax", dotdot, 2, "../evil", 1);
    refused(p, "zip", dotdot, 2, "../evil", 1);
    refused(p, "pax", inner, 1, "a/../../evil", 0);
    refused(p, "zip", inner, 1, "a/../../evil", 0);
    refused(p, "pax", absolute, 1, "/etc/cron.d/evil", 0);
    refused(p, "zip", absolute, 1, "/etc/cron.d/evil", 0);
    refused(p, "pax", backslash, 1, "evil", 0);
    refused(p, "pax", control, 1, "bad?name", 0); /* no newline into the log */
    refused(p, "pax", symlink, 1, "link", 0);
    refused(p, "pax", hardlink, 2, "h", 1);
    refused(p, "pax", device, 1, "dev", 0);
    refused(p, "ustar", fifo, 1, "fifo", 0);
}

static void not_an_archive(void **state)
{
    apr_pool_t *p = *state;
    static const char text[] = "This is a DICOM file, honestly. Not an archive at all. "
                               "Padding padding padding padding padding padding padding.";
    const char *inputs[] = {text, "", "PK\003\004", "\x1f\x8b"};
    const size_t lens[] = {sizeof text - 1, 0, 4, 2};
    char *noise = pattern(p, 70000, 5);
    arca_error_t *err;
    int count = -1;

    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        source_t s = source_of(inputs[i], lens[i]);
        err = arca_archive_extract(p, NULL, source_read, &s, collect, collector(p), &count);
        assert_non_null(err);
        assert_int_equal(err->status, 400);
        assert_int_equal(count, 0);
    }
    {
        source_t s = source_of(text, sizeof text - 1);
        err = arca_archive_extract(p, NULL, source_read, &s, collect, collector(p), &count);
        assert_string_equal(err->message, "not a zip or tar archive");
    }
    {
        source_t s = source_of(noise + 4096, 60000);
        err = arca_archive_extract(p, NULL, source_read, &s, collect, collector(p), &count);
        assert_non_null(err);
        assert_int_equal(err->status, 400);
    }
    {
        /* gzip of something that is not a tar. */
        struct archive *a = archive_write_new();
        bytes_t gz = bytes_make(p);
        struct archive_entry *e = archive_entry_new();
        source_t s;

        archive_write_set_format_raw(a);
        archive_write_add_filter_gzip(a);
        archive_write_set_bytes_in_last_block(a, 1);
        archive_write_open(a, &gz, NULL, to_bytes, NULL);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_write_header(a, e);
        archive_write_data(a, text, sizeof text - 1);
        archive_entry_free(e);
        archive_write_close(a);
        archive_write_free(a);
        s = source_of(gz.data, gz.len);
        err = arca_archive_extract(p, NULL, source_read, &s, collect, collector(p), &count);
        assert_non_null(err);
        assert_int_equal(err->status, 400);
        assert_string_equal(err->message, "not a zip or tar archive");
    }
}

static void truncated_archives(void **state)
{
    apr_pool_t *p = *state;
    char *big = pattern(p, 200000, 6);
    const spec_t specs[] = {{"a", 0, "aaaa", 4, NULL}, {"big", 0, big, 200000, NULL},
                            {"z", 0, "z", 1, NULL}};
    static const struct { const char *format; int gzip; } kinds[] = {
        {"zip", 0}, {"pax", 0}, {"ustar", 0}, {"pax", 1}};
    arca_error_t *err;

    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        bytes_t whole = build(p, kinds[k].format, kinds[k].gzip, specs, 3);
        bytes_t half = whole;
        collect_t *c = collector(p);
        int count = -1;

        half.len = whole.len / 2;
        err = extract(p, &half, c, &count);
        if (err == NULL)
            fail_msg("%s%s cut in half was accepted", kinds[k].format,
                     kinds[k].gzip ? ".gz" : "");
        assert_int_equal(err->status, 400);
        assert_true(count <= 1);
    }
}

static void entry_callback_error_stops(void **state)
{
    apr_pool_t *p = *state;
    const spec_t specs[] = {{"a", 0, "a", 1, NULL}, {"b", 0, "b", 1, NULL},
                            {"c", 0, "c", 1, NULL}};
    bytes_t tar = build(p, "pax", 0, specs, 3);
    collect_t *c = collector(p);
    arca_error_t *err;
    int count = -1;

    c->fail_on = 1;
    err = extract(p, &tar, c, &count);
    assert_non_null(err);
    assert_int_equal(err->status, 422);
    assert_string_equal(err->message, "stop at b");
    assert_int_equal(count, 1);
}

static void read_error_is_passed_on(void **state)
{
    apr_pool_t *p = *state;
    char *big = pattern(p, 200000, 7);
    const spec_t specs[] = {{"big", 0, big, 200000, NULL}};
    arca_error_t *mine = arca_error_create(p, 408, "the client stopped sending");

    for (int at = 0; at <= 1; at++) {
        bytes_t zip = build(p, at ? "zip" : "pax", 0, specs, 1);
        source_t s = source_of(zip.data, zip.len);
        int count = -1;

        /* At the very start, or halfway through the entry's data. */
        s.fail_at = at ? 100000 : 0;
        s.err = mine;
        assert_ptr_equal(arca_archive_extract(p, NULL, source_read, &s, collect, collector(p),
                                              &count),
                         mine);
        assert_int_equal(count, 0);
    }
}

/* ---- limits against bombs ------------------------------------------------------------ */

static arca_error_t *extract_limited(apr_pool_t *p, const bytes_t *archive, collect_t *c,
                                     const arca_archive_limits_t *l, int *count)
{
    source_t s = source_of(archive->data, archive->len);

    return arca_archive_extract(p, l, source_read, &s, collect, c, count);
}

static void ratio_bomb_is_refused(void **state)
{
    apr_pool_t *p = *state;
    size_t n = 8 * MiB;
    char *zeros = apr_pcalloc(p, n);
    const spec_t specs[] = {{"zeros", 0, zeros, n, NULL}};
    const arca_archive_limits_t l = {0, 100, 0};
    bytes_t zip = build(p, "zip", 0, specs, 1);
    int count = -1;
    arca_error_t *err;

    /* 8 MiB of zeros deflate to a few KiB: far past 100 times */
    assert_true(zip.len * 100 < n);
    err = extract_limited(p, &zip, collector(p), &l, &count);
    assert_non_null(err);
    assert_int_equal(err->status, 413);
    assert_non_null(strstr(err->message, "ArcaImportMaxRatio"));
    assert_int_equal(count, 0);
    /* the same archive without limits goes through */
    assert_null(extract_limited(p, &zip, collector(p), NULL, &count));
    assert_int_equal(count, 1);
}

static void expanded_limit_counts_unread_data(void **state)
{
    apr_pool_t *p = *state;
    char *big = pattern(p, 300000, 8);
    const spec_t specs[] = {{"a", 0, big, 200000, NULL}, {"b", 0, big, 300000, NULL}};
    const arca_archive_limits_t l = {400000, 0, 0};
    bytes_t tar = build(p, "pax", 0, specs, 2);
    collect_t *c = collector(p);
    int count = -1;
    arca_error_t *err;

    /* the callback reads nothing: the bytes are still counted, not skipped */
    c->read_nothing = 1;
    err = extract_limited(p, &tar, c, &l, &count);
    assert_non_null(err);
    assert_int_equal(err->status, 413);
    assert_non_null(strstr(err->message, "ArcaImportMaxExpanded"));
    assert_int_equal(count, 1);
}

/* A callback that swallows read errors, as the import does for a member it rejects. */
static arca_error_t *swallow(void *baton, const char *name, apr_off_t size,
                             arca_archive_entry_t *e)
{
    char buf[1000];
    apr_size_t got;

    (void)baton, (void)name, (void)size;
    while (arca_archive_entry_read(e, buf, sizeof buf, &got) == ARCA_OK && got > 0)
        ;
    return ARCA_OK;
}

static void crossed_limit_wins_over_the_callback(void **state)
{
    apr_pool_t *p = *state;
    char *big = pattern(p, 300000, 9);
    const spec_t specs[] = {{"a", 0, big, 300000, NULL}, {"b", 0, big, 10, NULL}};
    const arca_archive_limits_t l = {100000, 0, 0};
    bytes_t zip = build(p, "zip", 0, specs, 2);
    source_t s = source_of(zip.data, zip.len);
    int count = -1;
    arca_error_t *err;

    err = arca_archive_extract(p, &l, source_read, &s, swallow, NULL, &count);
    assert_non_null(err);
    assert_int_equal(err->status, 413);
    assert_int_equal(count, 0);
}

static void depth_limit(void **state)
{
    apr_pool_t *p = *state;
    const spec_t specs[] = {{"a/b/c/d.dcm", 0, "x", 1, NULL}};
    const arca_archive_limits_t deep_ok = {0, 0, 4}, too_deep = {0, 0, 3};
    bytes_t zip = build(p, "zip", 0, specs, 1);
    collect_t *c = collector(p);
    int count = -1;
    arca_error_t *err;

    assert_null(extract_limited(p, &zip, c, &deep_ok, &count));
    assert_int_equal(count, 1);
    c = collector(p);
    err = extract_limited(p, &zip, c, &too_deep, &count);
    assert_non_null(err);
    assert_int_equal(err->status, 413);
    assert_non_null(strstr(err->message, "ArcaImportMaxDepth"));
    assert_int_equal(c->n, 0); /* refused before the callback saw it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(zip_round_trip_deflated, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(zip_round_trip_stored, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(zip_utf8_names, dir_setup, dir_teardown),
        cmocka_unit_test(zip_of_nothing),
        cmocka_unit_test_setup_teardown(missing_file_is_404_and_the_zip_goes_on, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(unsafe_zip_names_are_refused, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(failing_stream_gives_an_error, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(failing_stream_at_the_end, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(pool_gone_before_close_writes_nothing_more, dir_setup,
                                        dir_teardown),
        cmocka_unit_test(tar_gz_extraction),
        cmocka_unit_test(plain_tar_and_unread_data),
        cmocka_unit_test(zip_slip_and_links_are_refused),
        cmocka_unit_test(not_an_archive),
        cmocka_unit_test(truncated_archives),
        cmocka_unit_test(entry_callback_error_stops),
        cmocka_unit_test(read_error_is_passed_on),
        cmocka_unit_test(ratio_bomb_is_refused),
        cmocka_unit_test(expanded_limit_counts_unread_data),
        cmocka_unit_test(crossed_limit_wins_over_the_callback),
        cmocka_unit_test(depth_limit),
    };
    return RUN(tests);
}
