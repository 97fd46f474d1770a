/* What the parts of arcactl fsck share (fsck.c, fsck_rows.c, fsck_orphans.c,
 * fsck_prearchive.c). */
#ifndef ARCA_FSCK_INTERNAL_H
#define ARCA_FSCK_INTERNAL_H

#include "fsck/fsck.h"

/* Read with lstat: what a directory entry is, its size, when it changed, which inode. */
#define FSCK_FINFO (APR_FINFO_LINK | APR_FINFO_TYPE | APR_FINFO_SIZE | APR_FINFO_MTIME \
                    | APR_FINFO_CTIME | APR_FINFO_IDENT)

typedef struct {
    arca_db_t *db;
    const arca_fsck_options_t *o;
    arca_fsck_summary_t *sum;
    apr_time_t cutoff;
    const char *root_name;   /* "archive" or "prearchive" */
    const char *root;        /* its directory */
    const char *tmpdir;      /* {root}/.tmp, where files are moved aside before removal */
    int skip_valid;          /* the other root, when it lies inside this one */
    apr_dev_t skip_dev;
    apr_ino_t skip_ino;
} fsck_ctx;

/* Counts a finding and hands it to the caller's report function. */
void fsck_report(fsck_ctx *c, const arca_fsck_finding_t *f);

/* An orphan (a file, or with is_tree a folder) at {root}/{rel}, seen as fi: removed when
 * asked to (or said to be, in a dry run), else reported. Returns 1 if it is gone. */
int fsck_orphan(fsck_ctx *c, apr_pool_t *p, arca_fsck_kind_t kind, const char *rel,
                const apr_finfo_t *fi, int is_tree);

/* Removes the directory {root}/{rel} if it is empty (with --remove-orphans, after the
 * caller checked it has not changed since the cut-off); reports it. Returns 1 if gone. */
int fsck_prune(fsck_ctx *c, apr_pool_t *p, const char *rel);

/* 1 when the directory entry is the other root, which has its own checks. */
int fsck_is_other_root(const fsck_ctx *c, const apr_finfo_t *fi);

/* Every row of `sql` (one $1 parameter: the last key seen, a bigint; the key is column 0;
 * `sql` ends with "ORDER BY key LIMIT n"), page by page so that memory stays flat, each
 * row handed to `check` with a pool cleared between rows. Stops at the first error. */
typedef arca_error_t *(*fsck_row_fn)(fsck_ctx *c, apr_pool_t *p, PGresult *res, int i);
arca_error_t *fsck_each_row(fsck_ctx *c, apr_pool_t *p, const char *sql, fsck_row_fn check);

/* The passes over one root. */
arca_error_t *fsck_rows(fsck_ctx *c, apr_pool_t *p);
arca_error_t *fsck_orphans(fsck_ctx *c, apr_pool_t *p);
arca_error_t *fsck_prearchive(fsck_ctx *c, apr_pool_t *p);

#endif
