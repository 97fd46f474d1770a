/* Zip out, zip/tar in, streamed through libarchive's callback interfaces: libarchive never
 * sees a file name on disk or seeks, so downloads go straight into a response and uploads
 * are read straight off the request body. */
#include <errno.h>
#include <locale.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <archive.h>
#include <archive_entry.h>

#include "store/archive_stream.h"
#include "store/filestore.h"

#define CHUNK (64 * 1024)
#define SHOWN_NAME_MAX 200
#define RATIO_FLOOR (1024 * 1024) /* small archives may expand as they like */

/* An entry name for a message: it came from a client and the message reaches the log, so
 * no control characters and a bounded length. */
static const char *shown(apr_pool_t *p, const char *name)
{
    size_t n;
    char *s;

    if (name == NULL)
        return "(unreadable name)";
    n = strlen(name);
    s = apr_pstrmemdup(p, name, n > SHOWN_NAME_MAX ? SHOWN_NAME_MAX : n);
    for (char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return n > SHOWN_NAME_MAX ? apr_pstrcat(p, s, "...", NULL) : s;
}

static const char *why(apr_pool_t *p, struct archive *a)
{
    const char *s = archive_error_string(a);

    return s ? shown(p, s) : "unknown error";
}

/* ---- zip out --------------------------------------------------------------------------- */

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static int valid_utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    while (*s) {
        unsigned c = *s++;
        int more;
        unsigned min, cp;

        if (c < 0x80)
            continue;
        if (c >= 0xc2 && c <= 0xdf)
            more = 1, min = 0x80, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            more = 2, min = 0x800, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            more = 3, min = 0x10000, cp = c & 0x07;
        else
            return 0;
        while (more--) {
            if ((*s & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (*s++ & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    return 1;
}

struct arca_zip_writer_t {
    apr_pool_t *pool;
    struct archive *a; /* NULL once freed */
    arca_write_fn write;
    void *baton;
    int failed;        /* the zip is broken: only freeing is left */
    int write_failed;  /* because the stream refused bytes (the client went away) */
    int discard;       /* freeing without a close: the stream may be gone, write nothing */
    char *buf;
};

static la_ssize_t zw_write(struct archive *a, void *data, const void *buf, size_t len)
{
    arca_zip_writer_t *zw = data;

    if (zw->discard)
        return (la_ssize_t)len;
    if (zw->write(zw->baton, buf, len) != 0) {
        zw->write_failed = 1;
        archive_set_error(a, EIO, "the output stream failed");
        return -1;
    }
    return (la_ssize_t)len;
}

/* libarchive's free closes an open archive, which writes the central directory: by then
 * the baton may point to a finished request, so nothing may reach the callback. */
static void zw_free(arca_zip_writer_t *zw)
{
    zw->discard = 1;
    if (zw->a) {
        archive_write_free(zw->a);
        zw->a = NULL;
    }
}

static apr_status_t zw_cleanup(void *data)
{
    zw_free(data);
    return APR_SUCCESS;
}

static arca_error_t *zw_error(arca_zip_writer_t *zw, const char *name)
{
    zw->failed = 1;
    if (zw->write_failed)
        return arca_error_create(zw->pool, 500, "the zip could not be sent");
    return arca_error_create(zw->pool, 500, "cannot add %s to the zip: %s",
                             shown(zw->pool, name), why(zw->pool, zw->a));
}

arca_error_t *arca_zip_writer_open(apr_pool_t *p, arca_write_fn write, void *baton, int compress,
                                   arca_zip_writer_t **zw)
{
    arca_zip_writer_t *w = apr_pcalloc(p, sizeof *w);

    *zw = NULL;
    w->pool = p;
    w->write = write;
    w->baton = baton;
    w->buf = apr_palloc(p, CHUNK);
    w->a = archive_write_new();
    if (w->a == NULL)
        return arca_error_create(p, 500, "cannot start a zip");
    apr_pool_cleanup_register(p, w, zw_cleanup, apr_pool_cleanup_null);

    /* Blocks of CHUNK bytes keep the writes to the stream few and large; the last one is
     * not padded (tar's habit), or unzip would see junk after the end record. Names are
     * UTF-8 and flagged so, whatever the process locale is. */
    if (archive_write_set_format_zip(w->a) != ARCHIVE_OK
        || (compress ? archive_write_zip_set_compression_deflate(w->a)
                     : archive_write_zip_set_compression_store(w->a)) != ARCHIVE_OK
        || archive_write_set_options(w->a, "zip:hdrcharset=UTF-8") != ARCHIVE_OK
        || archive_write_set_bytes_per_block(w->a, CHUNK) != ARCHIVE_OK
        || archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK
        || archive_write_open(w->a, w, NULL, zw_write, NULL) != ARCHIVE_OK) {
        arca_error_t *err = arca_error_create(p, 500, "cannot start a zip: %s", why(p, w->a));
        zw_free(w);
        apr_pool_cleanup_kill(p, w, zw_cleanup);
        return err;
    }
    *zw = w;
    return ARCA_OK;
}

arca_error_t *arca_zip_add_file(arca_zip_writer_t *zw, const char *name, const char *disk_path)
{
    apr_pool_t *fp;
    apr_file_t *f;
    apr_finfo_t fi;
    struct archive_entry *entry;
    arca_error_t *err = ARCA_OK;
    apr_off_t left;
    apr_status_t rv;
    int r;

    if (zw->a == NULL || zw->failed)
        return arca_error_create(zw->pool, 500, "the zip has failed already");
    /* Names are built by the server, never taken from a client; an unsafe one is a bug here,
     * and must not become a zip-slip for whoever unpacks the download. Names are flagged
     * UTF-8, and one that is not would make Python's zipfile refuse the whole zip. */
    if (!arca_safe_relpath(name))
        return arca_error_create(zw->pool, 500, "unsafe name for a zip entry: %s",
                                 shown(zw->pool, name));
    if (!valid_utf8(name))
        return arca_error_create(zw->pool, 500, "a zip entry name is not UTF-8: %s",
                                 shown(zw->pool, name));

    /* Per file, so a zip of many files does not grow the writer's pool. */
    apr_pool_create(&fp, zw->pool);
    rv = apr_file_open(&f, disk_path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT,
                       fp);
    if (rv == APR_SUCCESS)
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_MTIME | APR_FINFO_TYPE, f);
    if (rv != APR_SUCCESS || fi.filetype != APR_REG) {
        apr_pool_destroy(fp);
        if (APR_STATUS_IS_ENOENT(rv))
            return arca_error_create(zw->pool, 404, "the file %s is missing",
                                     shown(zw->pool, name));
        return arca_error_create(zw->pool, 500, "cannot read the file %s",
                                 shown(zw->pool, name));
    }

    entry = archive_entry_new();
    archive_entry_set_pathname_utf8(entry, name);
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, fi.size);
    archive_entry_set_mtime(entry, (time_t)apr_time_sec(fi.mtime),
                            (long)apr_time_usec(fi.mtime) * 1000);
    r = archive_write_header(zw->a, entry);
    archive_entry_free(entry);
    if (r < ARCHIVE_WARN) {
        err = zw_error(zw, name);
        goto done;
    }

    /* Exactly the size announced in the header: files are replaced by rename, never
     * rewritten in place, so a change under us is a fault, not a race to allow for. */
    for (left = fi.size; left > 0;) {
        apr_size_t n = left < CHUNK ? (apr_size_t)left : CHUNK;

        rv = apr_file_read(f, zw->buf, &n);
        if (rv != APR_SUCCESS) {
            zw->failed = 1;
            err = arca_error_create(zw->pool, 500,
                                    APR_STATUS_IS_EOF(rv) ? "the file %s shrank while being zipped"
                                                          : "cannot read the file %s",
                                    shown(zw->pool, name));
            goto done;
        }
        if (archive_write_data(zw->a, zw->buf, n) != (la_ssize_t)n) {
            err = zw_error(zw, name);
            goto done;
        }
        left -= (apr_off_t)n;
    }
    if (archive_write_finish_entry(zw->a) < ARCHIVE_WARN)
        err = zw_error(zw, name);
done:
    apr_pool_destroy(fp);
    return err;
}

arca_error_t *arca_zip_writer_close(arca_zip_writer_t *zw)
{
    arca_error_t *err = ARCA_OK;

    if (zw->a && !zw->failed && archive_write_close(zw->a) != ARCHIVE_OK) {
        err = zw->write_failed
                  ? arca_error_create(zw->pool, 500, "the zip could not be sent")
                  : arca_error_create(zw->pool, 500, "cannot finish the zip: %s",
                                      why(zw->pool, zw->a));
        zw->failed = 1;
    } else if (zw->failed) {
        err = arca_error_create(zw->pool, 500, "the zip could not be completed");
    }
    if (zw->a) {
        zw_free(zw);
        apr_pool_cleanup_kill(zw->pool, zw, zw_cleanup);
    }
    return err;
}

/* ---- zip and tar in --------------------------------------------------------------------- */

/* libarchive converts entry names from the archive's charset (UTF-8 for flagged zips and
 * pax) to the locale's, and fails on any non-ASCII name in the "C" locale httpd runs in.
 * Its calls therefore run with a UTF-8 LC_CTYPE, set for this thread only and only around
 * them, so nothing else in the process sees a change. Without C.UTF-8 on the system, such
 * names are refused as unreadable. */
typedef struct {
    locale_t utf8; /* (locale_t)0 if unavailable */
    locale_t saved;
} ctype_t;

static void utf8_enter(ctype_t *c)
{
    c->saved = c->utf8 ? uselocale(c->utf8) : (locale_t)0;
}

static void utf8_leave(ctype_t *c)
{
    if (c->utf8)
        uselocale(c->saved);
}

typedef struct {
    arca_read_fn read;
    void *baton;
    arca_error_t *err; /* the stream's own failure, reported instead of libarchive's view */
    int eof;
    apr_off_t received; /* archive bytes read, for the ratio */
} source_t;

/* What an extraction has unpacked so far, against its limits. */
typedef struct {
    const arca_archive_limits_t *limits; /* NULL: none */
    apr_off_t expanded;
    arca_error_t *crossed;               /* the limit crossed, once one is */
    char *drain_buf;                     /* for what on_entry leaves unread */
} meter_t;

struct arca_archive_entry_t {
    apr_pool_t *pool;
    struct archive *a;
    source_t *src;
    ctype_t *ctype;
    meter_t *meter;
    const char *name;
};

static la_ssize_t src_read(struct archive *a, void *data, const void **buf)
{
    source_t *s = data;
    const void *b = NULL;
    apr_size_t n = 0;

    *buf = NULL;
    /* libarchive may ask again after the end; the stream is not asked twice. */
    if (s->err)
        return -1;
    if (s->eof)
        return 0;
    s->err = s->read(s->baton, &b, &n);
    if (s->err) {
        archive_set_error(a, EIO, "reading the upload failed");
        return -1;
    }
    if (n == 0)
        s->eof = 1;
    s->received += (apr_off_t)n;
    *buf = b;
    return (la_ssize_t)n;
}

/* The one check of the size limits, as each unpacked chunk is handed over. */
static arca_error_t *count_expanded(arca_archive_entry_t *e, apr_size_t n)
{
    meter_t *m = e->meter;
    const arca_archive_limits_t *l = m->limits;

    if (m->crossed)
        return m->crossed;
    m->expanded += (apr_off_t)n;
    if (l == NULL)
        return ARCA_OK;
    if (l->max_expanded && m->expanded > l->max_expanded)
        m->crossed = arca_error_create(e->pool, 413, "the archive unpacks to more than %"
                                       APR_OFF_T_FMT " bytes (ArcaImportMaxExpanded): refused",
                                       l->max_expanded);
    else if (l->max_ratio && m->expanded > RATIO_FLOOR
             && m->expanded / l->max_ratio > e->src->received)
        m->crossed = arca_error_create(e->pool, 413, "the archive unpacks to more than %d "
                                       "times its size (ArcaImportMaxRatio): refused as a "
                                       "decompression bomb", l->max_ratio);
    return m->crossed;
}

static arca_error_t *check_depth(apr_pool_t *p, const arca_archive_limits_t *l,
                                 const char *name)
{
    int depth = 1;

    for (const char *c = name; *c; c++)
        depth += *c == '/';
    if (l && l->max_depth && depth > l->max_depth)
        return arca_error_create(p, 413, "a member of the archive is %d folders deep, more "
                                 "than %d (ArcaImportMaxDepth): refused", depth, l->max_depth);
    return ARCA_OK;
}

/* What on_entry left unread, read through the meter rather than skipped by libarchive. */
static arca_error_t *drain(arca_archive_entry_t *e)
{
    apr_size_t got;
    arca_error_t *err;

    if (e->meter->drain_buf == NULL)
        e->meter->drain_buf = apr_palloc(e->pool, CHUNK);
    do {
        if ((err = arca_archive_entry_read(e, e->meter->drain_buf, CHUNK, &got)))
            return err;
    } while (got > 0);
    return ARCA_OK;
}

arca_error_t *arca_archive_entry_read(arca_archive_entry_t *e, void *buf, apr_size_t cap,
                                      apr_size_t *got)
{
    la_ssize_t r;

    utf8_enter(e->ctype);
    r = archive_read_data(e->a, buf, cap);
    utf8_leave(e->ctype);
    *got = 0;
    if (r < 0) {
        if (e->src->err)
            return e->src->err;
        return arca_error_create(e->pool, 400, "the archive entry %s cannot be read: %s",
                                 shown(e->pool, e->name), why(e->pool, e->a));
    }
    *got = (apr_size_t)r;
    return count_expanded(e, *got);
}

/* What is wrong with one entry, or NULL if it is a file to hand over. */
static arca_error_t *check_entry(apr_pool_t *p, struct archive_entry *entry, const char *name,
                                 const char **rel)
{
    const char *r = name;

    if (archive_entry_hardlink(entry) != NULL || archive_entry_filetype(entry) != AE_IFREG)
        return arca_error_create(p, 400,
                                 "the archive entry %s is a link or a special file, "
                                 "which cannot be stored",
                                 shown(p, name));
    if (r && strncmp(r, "./", 2) == 0)
        r += 2;
    if (r == NULL || !arca_safe_relpath(r))
        return arca_error_create(p, 400, "the archive entry %s has an unsafe name",
                                 shown(p, name));
    *rel = r;
    return ARCA_OK;
}

arca_error_t *arca_archive_extract(apr_pool_t *p, const arca_archive_limits_t *limits,
                                   arca_read_fn read, void *read_baton,
                                   arca_entry_fn on_entry, void *entry_baton, int *count)
{
    source_t src = {read, read_baton, NULL, 0, 0};
    meter_t meter = {limits, 0, NULL, NULL};
    ctype_t ctype = {newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), (locale_t)0};
    struct archive *a;
    struct archive_entry *entry;
    arca_error_t *err = ARCA_OK;
    int files = 0, r;

    if (count)
        *count = 0;
    utf8_enter(&ctype);
    a = archive_read_new();
    if (a == NULL) {
        err = arca_error_create(p, 500, "cannot start reading an archive");
        goto done;
    }
    /* Only these: no raw or empty format, so anything else is refused rather than taken
     * as one file; the streamable zip reader because a request body cannot seek. */
    archive_read_support_format_zip_streamable(a);
    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);

    if (archive_read_open(a, &src, NULL, src_read, NULL) != ARCHIVE_OK) {
        err = src.err ? src.err : arca_error_create(p, 400, "not a zip or tar archive");
        goto done;
    }
    for (;;) {
        const char *name, *rel = NULL;
        arca_archive_entry_t e;
        apr_off_t size;

        r = archive_read_next_header(a, &entry);
        if (src.err) {
            err = src.err;
            break;
        }
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            if (archive_format(a) == 0)
                err = arca_error_create(p, 400, "not a zip or tar archive");
            else
                err = arca_error_create(p, 400, "the archive is damaged or truncated: %s",
                                        why(p, a));
            break;
        }
        if (archive_entry_filetype(entry) == AE_IFDIR)
            continue;
        /* UTF-8 if the archive says or the bytes are; else the raw bytes (old tarballs). */
        name = archive_entry_pathname_utf8(entry);
        if (name == NULL)
            name = archive_entry_pathname(entry);
        err = check_entry(p, entry, name, &rel);
        if (!err)
            err = check_depth(p, limits, rel);
        if (err)
            break;

        size = archive_entry_size_is_set(entry) ? (apr_off_t)archive_entry_size(entry) : -1;
        e.pool = p;
        e.a = a;
        e.src = &src;
        e.ctype = &ctype;
        e.meter = &meter;
        e.name = rel;
        utf8_leave(&ctype);
        err = on_entry(entry_baton, rel, size, &e);
        if (!err && limits)
            err = drain(&e);
        utf8_enter(&ctype);
        /* a limit crossed is the upload's failure, whatever on_entry made of it */
        if (meter.crossed)
            err = meter.crossed;
        if (err)
            break;
        files++;
    }
done:
    if (a)
        archive_read_free(a);
    utf8_leave(&ctype);
    if (ctype.utf8)
        freelocale(ctype.utf8);
    if (count)
        *count = files;
    return err;
}
