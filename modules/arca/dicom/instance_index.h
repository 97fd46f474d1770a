/* The DICOMweb index of an archived instance (arca_instance, sql/0020): its UIDs, number,
 * transfer syntax, frames, where its pixel data lies in its file, and its header as DICOM
 * JSON. The import writes the row right after the file's row; an instance stored before
 * the index existed gets its row the first time DICOMweb needs it (arca_instance_index_file),
 * read once from its file. */
#ifndef ARCA_INSTANCE_INDEX_H
#define ARCA_INSTANCE_INDEX_H

#include "db/db.h"
#include "dicom/dicom.h"

/* The row of the instance `d`, just written (arca_dicom_write) to `path` of the resource
 * `resource_pk` (a scan's), whose file row exists. Replaces a row already there. */
arca_error_t *arca_instance_index_put(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                                      const char *path, arca_dicom_t *d);

/* The same from the stored file `disk_path` (absolute). */
arca_error_t *arca_instance_index_file(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                                       const char *path, const char *disk_path);

#endif
