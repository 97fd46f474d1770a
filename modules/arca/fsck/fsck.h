/* Checking the archive against the database after a crash (arcactl fsck).
 *
 * Files are written as: temp file in {root}/.tmp, renamed to the final path, made durable
 * (each file and new directory fsynced, or one syncfs for an upload of many), and the rows
 * are committed after that, at the end of the request. A crash can therefore leave temp
 * files and placed files without rows (orphans), but never a row without its file: a row
 * without its file, or with a file of another size, is damage and is only reported, never
 * "repaired" by deleting the row.
 *
 * Anything changed after the cut-off is left alone, because a running request may still
 * finish it: the cut-off is min-age before now, or the start of the oldest transaction open
 * in the database if that is earlier (an import places its files before it commits). */
#ifndef ARCA_FSCK_H
#define ARCA_FSCK_H

#include <apr_file_info.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "db/db.h"

typedef enum {
    ARCA_FSCK_TEMP_FILE,      /* a temp file of an upload that never finished */
    ARCA_FSCK_ORPHAN_FILE,    /* a file under the archive that no arca_file row names */
    ARCA_FSCK_EMPTY_DIR,      /* a directory left empty, of no resource (pruned) */
    ARCA_FSCK_ORPHAN_FOLDER,  /* a prearchive session folder without its row */
    /* damage, from here on */
    ARCA_FSCK_MISSING_FILE,   /* an arca_file row whose file is not there */
    ARCA_FSCK_WRONG_SIZE,     /* an arca_file row whose file has another size */
    ARCA_FSCK_BAD_PATH,       /* a row whose directory or path would leave the root */
    ARCA_FSCK_UNCHECKABLE,    /* a row's file that cannot be looked at (permissions) */
    ARCA_FSCK_MISSING_FOLDER, /* an arca_prearchive row without its folder */
    ARCA_FSCK_KINDS
} arca_fsck_kind_t;

typedef enum {
    ARCA_FSCK_REPORTED,       /* damage, or an orphan kept (no --remove-orphans) */
    ARCA_FSCK_REMOVED,
    ARCA_FSCK_WOULD_REMOVE,   /* dry run */
    ARCA_FSCK_REMOVE_FAILED
} arca_fsck_action_t;

typedef struct {
    arca_fsck_kind_t kind;
    arca_fsck_action_t action;
    const char *root;         /* "archive" or "prearchive" */
    const char *path;         /* relative to that root */
    const char *resource;     /* the resource's pk, for findings about arca_file rows */
    apr_off_t size, recorded; /* ARCA_FSCK_WRONG_SIZE: on disk, in the row */
    const char *reason;       /* ARCA_FSCK_REMOVE_FAILED, ARCA_FSCK_UNCHECKABLE: why */
} arca_fsck_finding_t;

typedef void (*arca_fsck_report_fn)(void *baton, const arca_fsck_finding_t *f);

typedef struct {
    const char *archive;          /* ArcaArchive (required) */
    const char *prearchive;       /* ArcaPrearchive, or NULL */
    apr_interval_time_t min_age;  /* entries changed more recently are left alone */
    int remove_orphans;           /* remove orphan files, folders and emptied directories */
    int dry_run;                  /* remove nothing, say what would go */
    arca_fsck_report_fn report;   /* called once per finding (may be NULL) */
    void *baton;
    apr_time_t now;               /* 0: the clock; tests move it */
} arca_fsck_options_t;

typedef struct {
    long rows;                      /* arca_file and arca_prearchive rows checked */
    long files;                     /* files found below the roots */
    long found[ARCA_FSCK_KINDS];
    long removed[ARCA_FSCK_KINDS];
    long recent;                    /* left alone: changed after the cut-off */
} arca_fsck_summary_t;

/* Runs every check over the archive (and prearchive): temp files, rows against files,
 * files against rows, prearchive folders against rows. Memory stays flat however many
 * files there are: rows come in keyset pages, directories are read entry by entry and
 * files are looked up in batches. Errors (no such root, the database) stop the run: 500
 * or 503, with the summary as far as it got. */
arca_error_t *arca_fsck(arca_db_t *db, apr_pool_t *p, const arca_fsck_options_t *o,
                        arca_fsck_summary_t *sum);

/* Only the temp files of {root}/.tmp (no database needed). */
arca_error_t *arca_fsck_temp_files(apr_pool_t *p, const arca_fsck_options_t *o,
                                   const char *root_name, const char *root,
                                   apr_time_t cutoff, arca_fsck_summary_t *sum);

/* 1 when the run found damage (missing or wrong-size files, bad rows). */
int arca_fsck_damaged(const arca_fsck_summary_t *sum);

/* The moment after which changes are left alone: now - min_age, or the start of the oldest
 * open transaction (0: none) when that is earlier. */
apr_time_t arca_fsck_cutoff(apr_time_t now, apr_interval_time_t min_age, apr_time_t oldest_xact);

/* 1 when an entry has not changed (content: mtime; name or inode: ctime) after cutoff. */
int arca_fsck_settled(const apr_finfo_t *fi, apr_time_t cutoff);

/* Where a row's file is: {root}/{dir}/{path}; NULL when dir or path is not a safe relative
 * path (it could name something outside the root). */
const char *arca_fsck_row_path(apr_pool_t *p, const char *root, const char *dir,
                               const char *path);

/* A word for a kind, as arcactl prints it ("orphan-file"). */
const char *arca_fsck_kind_name(arca_fsck_kind_t kind);

#endif
