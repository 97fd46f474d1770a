/* Files one request puts into the archive, undoable until its transaction commits. A file
 * already at a place (the same instance or file uploaded before, its row committed) is not
 * lost when the request fails after replacing it: it is kept as a hard link beside the temp
 * files until the request's end, then put back (rollback) or dropped (done). */
#ifndef ARCA_PLACEMENTS_H
#define ARCA_PLACEMENTS_H

#include <apr_pools.h>

#include "base/error.h"
#include "store/filestore.h"

typedef struct arca_placements_t arca_placements_t;

arca_placements_t *arca_placements_make(apr_pool_t *p);

/* Puts a completed upload at final_path, replacing what is there; tmpdir (the upload's,
 * on the same filesystem) keeps the replaced file. durable: fsync the file and directory
 * (arca_upload_commit); otherwise the caller syncs before its commit (arca_upload_place). */
arca_error_t *arca_placements_put(arca_placements_t *pl, arca_upload_t *up, const char *tmpdir,
                                  const char *final_path, int durable);

/* Whether final_path was put by these placements. */
int arca_placements_has(const arca_placements_t *pl, const char *final_path);

/* After a rollback: removes what was put, and puts back what it replaced. */
/* The directories of the files placed so far (one entry per file), in p: for the caller
 * to prune what a rollback leaves empty (arca_prune_empty_dirs). */
apr_array_header_t *arca_placements_dirs(const arca_placements_t *pl, apr_pool_t *p);

void arca_placements_rollback(arca_placements_t *pl);

/* After the commit: drops the replaced files kept for a rollback, and forgets what was
 * placed (a later rollback undoes only what is placed after this). */
void arca_placements_done(arca_placements_t *pl);

#endif
