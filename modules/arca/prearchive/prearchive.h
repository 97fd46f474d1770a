/* The prearchive: sessions received but not archived yet, each a folder
 * ArcaPrearchive/{project or Unassigned}/{timestamp}/{session} and a row of arca_prearchive
 * with XNAT's status. Finding a session, archiving it (importing its tree into the archive
 * in one transaction, then removing the folder), moving it to another project, deleting,
 * rebuilding its row from its files, and the sweep that completes sessions left RECEIVING.
 * Access rights are the caller's business: nothing here checks who asks, except that the
 * list shows only the sessions the asker may handle.
 *
 * Operations claim a session first by setting a transient status (ARCHIVING, MOVING,
 * DELETING) from a resting one, in its own statement: two operations on one session never
 * run together, the second gets 409. */
#ifndef ARCA_PREARCHIVE_H
#define ARCA_PREARCHIVE_H

#include <apr_tables.h>

#include "access/account.h"
#include "db/db.h"
#include "import/import.h"
#include "format/resultset.h"

#define ARCA_UNASSIGNED "Unassigned" /* the project of sessions that have none yet */

typedef struct arca_prearc_t {
    const char *id;                          /* arca_prearchive.id */
    const char *project, *timestamp, *folder; /* the URL's triple */
    const char *subject, *study_uid, *modality, *scan_date; /* "" when unknown */
    const char *status, *message;
    const char *deidentified_for;            /* whose scripts ran; NULL: the site's only */
    const char *dir;                         /* the folder on disk */
} arca_prearc_t;

/* "/prearchive/projects/{p}/{ts}/{s}" (with or without a leading /data) into its triple:
 * 400 for anything else. */
arca_error_t *arca_prearchive_parse_src(apr_pool_t *p, const char *src, const char **project,
                                        const char **timestamp, const char **folder);

/* The session, 404 if none; `root` is ArcaPrearchive. */
arca_error_t *arca_prearchive_find(arca_db_t *db, apr_pool_t *p, const char *root,
                                   const char *project, const char *timestamp,
                                   const char *folder, arca_prearc_t **out);

/* XNAT's prearchive table (project, timestamp, ..., url, ..., plus `message`): the rows of
 * `project` (NULL: all) that `who` may handle, by the access rules (access/authz.h): those
 * of the projects it may edit, and the Unassigned ones too for a site admin; none for
 * anonymous or a disabled account. arca_prearchive_rows: just the rows of `ids`. */
arca_error_t *arca_prearchive_list(arca_db_t *db, apr_pool_t *p, const char *project,
                                   const arca_account_t *who, PGresult **res);
arca_error_t *arca_prearchive_rows(arca_db_t *db, apr_pool_t *p,
                                   const apr_array_header_t *ids, PGresult **res);

/* Sets any of XNAT's statuses (400 for another word), with the reason for ERROR or
 * CONFLICT ("" otherwise). */
arca_error_t *arca_prearchive_set_status(arca_db_t *db, apr_pool_t *p, arca_prearc_t *s,
                                         const char *status, const char *message);

/* Reads the files' headers again and refreshes the row: modality, scan date, study UID,
 * the subject when the row has none (from 'Subject:' in Patient or Study Comments, never
 * from the patient's name), and the status: READY, or CONFLICT when the project already
 * has a session of this label, or ERROR when no file is readable. Works from any status
 * (it is also how a session stuck in a transient status is freed). */
arca_error_t *arca_prearchive_rebuild(arca_db_t *db, apr_pool_t *p, arca_prearc_t *s);

/* Where an archived session goes. */
typedef struct arca_prearchive_target_t {
    const char *site_id;  /* accession ID prefix */
    const char *archive;  /* ArcaArchive */
    const char *user;     /* insert_user of what is created ("" for the sweeper) */
    const char *project;  /* NULL: the session's project */
    const char *subject;  /* NULL: the session's subject */
    const char *label;    /* NULL: the folder's name */
    /* into an existing session of that label: NONE refuses (CONFLICT), APPEND adds to it,
     * DELETE replaces its scans */
    arca_overwrite_t overwrite;
} arca_prearchive_target_t;

/* Archives the session: 400 when the project is Unassigned or the subject unknown; else
 * claims it (ARCHIVING), then 409 and CONFLICT when the label exists and !overwrite; else
 * imports its files in one transaction that also drops the row, and removes the folder.
 * A failure of the import rolls everything back and leaves the session in ERROR with the
 * reason. *uri: /data/archive/projects/{p}/subjects/{s}/experiments/{e}. The target
 * project must exist (404). */
arca_error_t *arca_prearchive_archive(arca_db_t *db, apr_pool_t *p, arca_prearc_t *s,
                                      const arca_prearchive_target_t *t, const char **uri);

/* Moves the session into another project's folder (or Unassigned): the project must exist
 * (404), and hold no session of the same timestamp and name (409). The status afterwards is
 * READY or CONFLICT, judged in the new project. `root` is ArcaPrearchive. */
arca_error_t *arca_prearchive_move(arca_db_t *db, apr_pool_t *p, const char *root,
                                   arca_prearc_t *s, const char *project);

/* Drops the row, then the folder (and its timestamp folder when left empty). */
arca_error_t *arca_prearchive_delete(arca_db_t *db, apr_pool_t *p, const char *root,
                                     arca_prearc_t *s);

/* Project setting: prearchive_code 0 (sessions wait), 4 (archived when complete), 5
 * (archived when complete, into an existing session of the same label too). */
arca_error_t *arca_prearchive_code_get(arca_db_t *db, apr_pool_t *p, const char *project,
                                       int *code);
arca_error_t *arca_prearchive_code_set(arca_db_t *db, apr_pool_t *p, const char *project,
                                       int code);

/* ---- reading a session's folder (prearchive_read.c) --------------------------------- */

typedef struct arca_prearc_scan_t {
    const char *id;                   /* folder name under SCANS */
    const char *xsi_type;             /* xnat:ctScanData ... from the modality */
    const char *modality, *series_description, *uid; /* from its first file; may be NULL */
    const char *study_uid, *study_date, *study_time, *manufacturer, *model;
    const char *patient_comments, *study_comments;   /* for routing only: never shown */
    apr_array_header_t *resources;    /* arca_prearc_resource_t */
} arca_prearc_scan_t;

typedef struct arca_prearc_resource_t {
    const char *label;                /* DICOM, ... */
    int files;
    apr_off_t size;
} arca_prearc_resource_t;

typedef struct arca_prearc_file_t {
    const char *name;                 /* relative to the resource, or to the session */
    const char *path;                 /* on disk */
    apr_off_t size;
} arca_prearc_file_t;

/* The scans under SCANS/, in natural order (2 before 10), each with its resources and
 * what the first DICOM file of the scan says. 404 when the folder is gone. */
arca_error_t *arca_prearchive_scans(apr_pool_t *p, const arca_prearc_t *s,
                                    apr_array_header_t **scans);

/* The files of one resource of one scan (404 when unknown), or, with scan NULL, every file
 * of the session, named relative to its folder. Sorted by name. */
arca_error_t *arca_prearchive_files(apr_pool_t *p, const arca_prearc_t *s, const char *scan,
                                    const char *resource, apr_array_header_t **files);

/* The session as XNAT's session document (<xnat:CTSession ...> with its scans), written as
 * it goes. */
arca_error_t *arca_prearchive_write_xml(apr_pool_t *p, const arca_prearc_t *s,
                                        const apr_array_header_t *scans, arca_write_fn write,
                                        void *baton);

/* ---- the sweep (prearchive_sweep.c) ------------------------------------------------- */

typedef struct arca_prearchive_sweep_t {
    const char *root;       /* ArcaPrearchive */
    const char *archive, *site_id;
    int idle;               /* seconds without a new object before a session is complete */
} arca_prearchive_sweep_t;

typedef struct arca_prearchive_swept_t {
    int built, archived, failed; /* sessions made READY/CONFLICT, archived, in ERROR */
} arca_prearchive_swept_t;

/* If no other process is sweeping (a PostgreSQL advisory lock), completes every session
 * RECEIVING with no object for `idle` seconds: rebuilt to READY or CONFLICT, then archived
 * when its project's prearchive_code says so. `stop` (may be NULL) is polled between
 * sessions. *busy is 1 when another process holds the lock. */
arca_error_t *arca_prearchive_sweep(arca_db_t *db, apr_pool_t *p,
                                    const arca_prearchive_sweep_t *cfg,
                                    volatile const int *stop, arca_prearchive_swept_t *done,
                                    int *busy);

#endif
