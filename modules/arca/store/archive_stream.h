/* Archives as streams, over libarchive: zips written straight into a response for
 * downloads, and uploaded zip or tar archives read entry by entry for extraction. Neither
 * direction holds a whole file or archive in memory. */
#ifndef ARCA_ARCHIVE_STREAM_H
#define ARCA_ARCHIVE_STREAM_H

#include <apr_pools.h>

#include "base/error.h"
#include "format/resultset.h" /* arca_write_fn */

typedef struct arca_zip_writer_t arca_zip_writer_t;

/* A zip written as it goes to `write` (a non-seekable stream such as an HTTP response), in
 * constant memory. Entries are stored or deflated as `compress` says. If the pool goes before
 * arca_zip_writer_close, the writer is freed without writing anything more. */
arca_error_t *arca_zip_writer_open(apr_pool_t *p, arca_write_fn write, void *baton, int compress,
                                   arca_zip_writer_t **zw);
/* Adds the file at disk_path under `name` (a relative path inside the zip, UTF-8, passing
 * arca_safe_relpath), streamed in 64 KiB chunks; size and mtime from the file. A missing file
 * (404), a directory or a bad name (500) add nothing and the zip can go on; after any other
 * failure (500: the stream failed, a read error) the zip is unusable: stop and close it. */
arca_error_t *arca_zip_add_file(arca_zip_writer_t *zw, const char *name, const char *disk_path);
/* Writes the central directory and frees the writer. After an earlier failure it only frees,
 * and returns a 500 again. Safe to call twice. */
arca_error_t *arca_zip_writer_close(arca_zip_writer_t *zw);

/* Reading an uploaded archive (zip, tar, tar.gz, tgz: detected from the bytes) from a stream.
 * read: fills *buf and *len with the next chunk (len 0 = end); it owns the buffer, which must stay
 * valid until the next call. */
typedef arca_error_t *(*arca_read_fn)(void *baton, const void **buf, apr_size_t *len);

typedef struct arca_archive_entry_t arca_archive_entry_t;

/* Limits on an uploaded archive, against decompression bombs (0: no limit). The import
 * service and a resource's extract=true apply the same ones (ArcaImportMax*). */
typedef struct arca_archive_limits_t {
    apr_off_t max_expanded;   /* bytes of all members together, unpacked */
    int max_ratio;            /* unpacked bytes per byte received, once past 1 MiB */
    int max_depth;            /* directory levels of a member's name */
} arca_archive_limits_t;

/* Reads the current entry's data; *got 0 = end of this entry. A damaged entry: 400. Past a
 * limit of the extraction: 413 naming the directive, and the extraction fails with it
 * whatever on_entry then returns. */
arca_error_t *arca_archive_entry_read(arca_archive_entry_t *e, void *buf, apr_size_t cap,
                                      apr_size_t *got);

/* Called for each regular file, with its path inside the archive already checked by
 * arca_safe_relpath (after stripping a leading "./"): UTF-8 when the archive says so or the
 * bytes are, else the raw bytes. size is -1 when the archive does not say ahead. name and e
 * are valid only during the call; data left unread is skipped. Returning an error stops
 * extraction. */
typedef arca_error_t *(*arca_entry_fn)(void *baton, const char *name, apr_off_t size,
                                       arca_archive_entry_t *e);

/* Directories are skipped; symlinks, hard links, devices and unsafe names (absolute, '..')
 * are refused: 400 naming the entry (zip-slip). Data that is not an archive: 400 "not a zip
 * or tar archive". A truncated archive: 400. An error from `read` or `on_entry` is returned
 * as it is. Returns the number of files on_entry accepted in *count (may be NULL), also on
 * failure; 0 with no error is an empty archive.
 * A zip read as a stream shows only its local headers, which carry no file type: a symlink
 * stored in a zip comes through as a small regular file holding the link's target. That is
 * harmless, as nothing here creates links, but it is not refused. Tar links are.
 * limits (NULL: none) are checked as the bytes come: a member deeper than max_depth is
 * refused before on_entry sees it, and the bytes on_entry leaves unread are read (not
 * skipped) so that a bomb behind a short first member is counted too. Crossing one: 413
 * naming the directive, returned as the extraction's error. */
arca_error_t *arca_archive_extract(apr_pool_t *p, const arca_archive_limits_t *limits,
                                   arca_read_fn read, void *read_baton,
                                   arca_entry_fn on_entry, void *entry_baton, int *count);

#endif
