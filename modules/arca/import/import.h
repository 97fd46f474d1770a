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

#include "access/account.h"
#include "store/archive_stream.h"
#include "db/db.h"
#include "deid/deid_script.h"

/* What an upload does to a session that is already in the archive (XNAT's overwrite=):
 * NONE refuses the upload (409), APPEND adds to the session (an instance already there is
 * replaced: one SOP Instance UID is one instance), DELETE replaces the session's scans. */
typedef enum {
    ARCA_OVERWRITE_NONE = 0,
    ARCA_OVERWRITE_APPEND,
    ARCA_OVERWRITE_DELETE
} arca_overwrite_t;

/* 0, or the policy's enum value + 1 for "none", "append", "delete" (case-insensitive). */
int arca_overwrite_parse(const char *s, arca_overwrite_t *out);


/* How an import runs: the cases that exist. Each fixes how its objects are committed and
 * made durable, and whether the account's rights are checked (the rules are spelled out
 * once, in import.c: mode_rules). */
typedef enum {
    /* many objects of one HTTP request (an archive, a form's files), all in the caller's
     * transaction; arca_import_finish makes their files durable with one sync of the
     * store, before the commit */
    ARCA_IMPORT_UPLOAD = 0,
    /* one object per request (gradual-DICOM, application/dicom): prearchive sessions stay
     * RECEIVING and gather the objects of their study until idle; each file is fsynced as
     * it is placed. Still in the caller's transaction, with arca_import_finish */
    ARCA_IMPORT_GRADUAL,
    /* a DICOM receiver's association: as GRADUAL, but each arca_import_object is its own
     * transaction, opened only when the object writes more than its file's row (a new
     * session or series); an object added to a known series is one autocommitted
     * statement. The caller runs no BEGIN/COMMIT and no arca_import_finish around the
     * objects. Archived files' rows get an empty digest, filled in later by
     * arca_digest_fill (the MD5 is a third of a C-STORE's CPU: the listener answers
     * sooner without it) */
    ARCA_IMPORT_RECEIVER,
    /* the same with the receiver's sync=off, as storescp or Orthanc's SyncStorageArea
     * false: nothing flushed to the disk, no fsync of files or directories (the caller
     * also makes its commits asynchronous). An OS crash or power loss can then lose
     * objects already answered for, and leave rows naming files that did not reach the
     * disk (fsck reports them); a crash of the process alone loses nothing */
    ARCA_IMPORT_RECEIVER_UNSYNCED,
    /* archiving a prearchived session: its files, as UPLOAD, in the caller's transaction;
     * the caller decided who may archive it where (prearchive.h), so no project's rights
     * are checked here */
    ARCA_IMPORT_FROM_PREARCHIVE
} arca_import_mode_t;

typedef struct arca_import_options_t {
    const char *site_id;       /* accession ID prefix */
    const char *archive;       /* ArcaArchive */
    const char *prearchive;    /* ArcaPrearchive (NULL: unroutable data is refused) */
    const char *project;       /* PROJECT_ID; NULL: routed by the objects' headers */
    const char *subject;       /* SUBJECT_ID; NULL: from the object's routing comments */
    const char *session;       /* EXPT_LABEL; NULL: likewise */
    const char *user;          /* for insert_user */
    /* Whose rights decide where objects may go: projects this account may edit (authz.h),
     * asked once per project and import; NULL: anonymous. A project refused (404 when it
     * may not be known to exist, else 403) is not routable: its objects wait in the
     * prearchive, Unassigned; but when `project` names it, the upload fails. Over HTTP
     * (UPLOAD, GRADUAL) an anonymous uploader refused a project it can see is asked to
     * log in instead (401), which fails the upload, as REST answers such a request. */
    const arca_account_t *who;
    const arca_deid_program *site_script;    /* NULL: none */
    /* The project whose Basic Profile and script the objects had already (a prearchived
     * session received for it, archived there): routed to it, they are taken as they are.
     * Routed to any other project, they get its de-identification (import_deid.h) */
    const char *deidentified_for;
    arca_import_mode_t mode;
    /* dest=/prearchive (an upload's or a receiver's): everything waits there, whatever the
     * mode; a destination, not a way of running, hence apart from the mode */
    int to_prearchive;
    arca_overwrite_t overwrite;
    arca_archive_limits_t limits; /* against zip bombs (store/archive_stream.h) */
    /* custom routing (routing_rules.h: arca_routing_rule_t *), after the names above and
     * before XNAT's conventions; NULL: none */
    const apr_array_header_t *routing_rules;
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

/* The last object arca_import_object took, as stored (after de-identification): archived
 * 0 when it went to the prearchive or was not stored. UIDs are at most 64 characters. */
typedef struct arca_import_stored_t {
    int archived;
    char study_uid[65], series_uid[65], sop_uid[65];
} arca_import_stored_t;

const arca_import_stored_t *arca_import_last(const arca_import_t *imp);

/* Every member of an archive (zip, tar, tar.gz) read from a stream, each as
 * arca_import_object, within the options' limits (413 naming the limit). */
arca_error_t *arca_import_archive(arca_import_t *imp, arca_read_fn read, void *baton);

/* Makes the placed files durable; call inside the transaction, after the last object and
 * before the commit. */
arca_error_t *arca_import_finish(arca_import_t *imp);

/* Every DICOM file under a directory (a prearchive session), imported in name order. */
arca_error_t *arca_import_tree(arca_import_t *imp, const char *dir);

/* The sessions this import wrote to, as /data/archive/projects/.../experiments/... URIs (or
 * /data/prearchive/projects/{p}/{timestamp}/{session}), and the number of objects stored. */
const apr_array_header_t *arca_import_sessions(const arca_import_t *imp);
int arca_import_count(const arca_import_t *imp);

/* After a rollback: removes the files placed so far and puts back those they replaced. */
void arca_import_abort(arca_import_t *imp);

/* After the commit: drops the replaced files kept for an abort, and the files of replaced
 * sessions (overwrite=delete) that the upload did not bring again. The import may go on in
 * a new transaction (a DICOM association commits object by object): a later abort then
 * undoes only what was placed after this commit. */
void arca_import_committed(arca_import_t *imp);

#endif
