/* The import path: DICOM objects in, de-identified, routed, stored once, and built into
 * sessions (experiments), scans and DICOM resources, all inside the caller's transaction:
 *   bytes -> header (dcmtk, pixel data left in the stream) -> site script, project script
 *   -> route -> temp file in the archive, fsync, rename -> rows.
 * The original bytes are never stored and no original file name is kept: a file is named
 * by its (de-identified) SOP Instance UID, so the same instance arriving twice is one file.
 * On any error the caller rolls back and calls arca_import_abort, which removes the files
 * this import placed. */
#ifndef ARCA_IMPORT_H
#define ARCA_IMPORT_H

#include <apr_tables.h>

#include "archive_stream.h"
#include "db.h"
#include "deid_script.h"

typedef struct arca_import_options_t {
    const char *site_id;       /* accession ID prefix */
    const char *archive;       /* ArcaArchive */
    const char *project;       /* where the data goes (must exist) */
    const char *subject;       /* SUBJECT_ID; NULL: from the object's routing comments */
    const char *session;       /* EXPT_LABEL; NULL: likewise */
    const char *user;          /* for insert_user */
    const arca_deid_program *site_script;    /* NULL: none */
    const arca_deid_program *project_script; /* NULL: none */
    /* the PS3.15 Basic Profile, run after the site's script and before the project's
     * (NULL: off), and the project's secret its UIDs are remapped with */
    const arca_deid_program *basic_profile;
    const char *uid_salt;
    const char *prearchive;    /* set: into the prearchive (ArcaPrearchive) instead */
    const char *timestamp;     /* the prearchive's upload folder, yyyyMMdd_HHmmssSSS */
} arca_import_options_t;

typedef struct arca_import_t arca_import_t;

arca_error_t *arca_import_begin(arca_db_t *db, apr_pool_t *p, const arca_import_options_t *o,
                                arca_import_t **imp);

/* One DICOM object from a stream (a file of an uploaded zip, a C-STORE's dataset). An
 * object that is not DICOM, is truncated or malformed is rejected alone: its database work
 * is rolled back to a savepoint, it is recorded under `name` (arca_import_rejected) and
 * ARCA_OK is returned so that the rest imports. Anything else (a script error, the
 * database, the disk) is returned: the caller rejects the whole upload. */
arca_error_t *arca_import_object(arca_import_t *imp, const char *name, arca_read_fn read,
                                 void *baton);

/* The objects rejected alone: "name: reason" lines (the name is the client's, for its
 * answer only; it is never stored or logged). */
const apr_array_header_t *arca_import_rejected(const arca_import_t *imp);

/* Completes the rows (scan frame counts); call inside the transaction, after the last
 * object. */
arca_error_t *arca_import_finish(arca_import_t *imp);

/* Every DICOM file under a directory (a prearchive session), imported in name order. */
arca_error_t *arca_import_tree(arca_import_t *imp, const char *dir);

/* The sessions this import wrote to, as /data/archive/projects/.../experiments/... URIs (or
 * /data/prearchive/projects/{p}/{timestamp}/{session}), and the number of objects stored. */
const apr_array_header_t *arca_import_sessions(const arca_import_t *imp);
int arca_import_count(const arca_import_t *imp);

/* Removes the files placed so far (after a rollback). */
void arca_import_abort(arca_import_t *imp);

#endif
