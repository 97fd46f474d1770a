/* The rows of arca_file: one per file in a resource, naming its path inside the resource's
 * directory, its size and digest, and XNAT's format, content and tags.
 *
 * They live in store/, not model/, because a row is the record of a file the store has
 * put on disk, and the two go together: a file is put in place (placements.h) before its
 * row is written and is durable before the row commits; a row is deleted before its file
 * is removed; a digest left out for speed is filled in later (digest_fill.h). So no row
 * names a missing file. Rows are created and replaced only here: the import and resource
 * uploads both go through arca_file_row_put. (Listings, searches and fsck read them with
 * queries of their own; deleting an object deletes its rows with it.) */
#ifndef ARCA_FILE_ROWS_H
#define ARCA_FILE_ROWS_H

#include <apr_tables.h>

#include "db/db.h"
#include "model/locate.h"

typedef struct arca_file_row_t {
    const char *resource_pk;
    const char *path;           /* relative to the resource's directory; may hold '/' */
    apr_off_t size;
    const char *digest;         /* MD5, hex; "" when taken later */
    const char *format, *content, *tags; /* NULL is "" */
} arca_file_row_t;

/* What writing a row over one already there (same resource and path) does. */
typedef enum {
    /* A resource upload: the row is replaced whole (size, digest, format, content, tags,
     * date). */
    ARCA_FILE_ROW_UPLOAD,
    /* A DICOM instance the import stores: a new row adds one to its scan's frame count; an
     * instance received again takes the new size, digest and date and keeps its format,
     * content and tags. One round trip, prepared once per connection: it is the cost of
     * every object the DICOM receiver stores. */
    ARCA_FILE_ROW_INSTANCE
} arca_file_row_mode_t;

/* Writes the row of a file just put in place. */
arca_error_t *arca_file_row_put(arca_db_t *db, apr_pool_t *p, const arca_file_row_t *row,
                                arca_file_row_mode_t mode);

/* Whether the resource has a row for `path`. */
arca_error_t *arca_file_exists(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                               const char *path, int *exists);

/* Deletes the row of `path` (404 when there is none); the caller removes the file after. */
arca_error_t *arca_file_delete(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                               const char *path);

/* The rows of a resource (arca_file_row_t), by path. */
arca_error_t *arca_resource_files(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                                  apr_array_header_t **rows);

/* A file below an object: its name in a zip of that object, and where it lies. */
typedef struct arca_file_below_t {
    const char *member;         /* ends in resources/{R}/files/{path} */
    const char *disk_path;      /* relative to the archive */
} arca_file_below_t;

/* Every file below the object `loc` names (its resource when it names one, else its owner:
 * project, subject, experiment or scan, and everything under it), with member names laid
 * out like the archive so that no two share a name; sorted by disk path. */
arca_error_t *arca_files_below(arca_db_t *db, apr_pool_t *p, const arca_location_t *loc,
                               apr_array_header_t **files);

/* The first DICOM file of a scan (scan_pk), or with scan_pk NULL of a session's scans
 * (experiment_id): in the scans' order (numeric IDs by number, then the others), its
 * resources labelled DICOM or of format DICOM by label, files by path. *disk_path, relative
 * to the archive, is NULL when there is none. */
arca_error_t *arca_first_dicom_file(arca_db_t *db, apr_pool_t *p, const char *experiment_id,
                                    const char *scan_pk, const char **disk_path);

#endif
