/* Putting files into the archive safely: checks of client-supplied paths and labels that
 * become file and directory names, uploads that appear at their final place atomically
 * and complete (or not at all), and the directory helpers around them. */
#ifndef ARCA_FILESTORE_H
#define ARCA_FILESTORE_H

#include <apr_pools.h>

#include "base/error.h"

/* A path given by a client, relative to a resource: 1-1024 bytes, segments separated by '/',
 * no empty segment, no '.' or '..' segment, no leading '/', no backslash, no NUL or control
 * character (< 0x20, 0x7f), each segment at most 255 bytes. Returns 1 if safe. */
int arca_safe_relpath(const char *path);

/* A label used as a directory name (project ID, subject/session label, scan ID, resource
 * label): 1-64 characters of [A-Za-z0-9_.-], not starting with '.', not "." or "..".
 * Returns 1 if valid. */
int arca_valid_label(const char *label);

typedef struct arca_upload_t arca_upload_t;

/* Starts a new file: a temp file (mode 0664, name unpredictable, O_EXCL) created in tmpdir,
 * which must be on the same filesystem as the final place so the rename is atomic. If the pool
 * is destroyed before arca_upload_commit succeeded, the temp file is removed (pool cleanup).
 * Errors are allocated in p. */
arca_error_t *arca_upload_begin(apr_pool_t *p, const char *tmpdir, arca_upload_t **up);

/* Appends bytes; keeps the running size and MD5. A write error (507 for a full disk or
 * quota, else 500, with the reason) also aborts the upload, so the space is freed at once. */
arca_error_t *arca_upload_write(arca_upload_t *up, const void *data, apr_size_t len);

/* fsyncs the file, closes it, creates the missing parent directories of final_path (mode
 * 02775), then renames it to final_path and fsyncs the parent directory. If final_path
 * exists and !replace: 409, and the temp file is removed. Any failure leaves no temp file
 * behind; the upload cannot be used again after this call, whatever it returned. (Only a
 * failure of the last step, the directory fsync, comes with the file already in place.) */
arca_error_t *arca_upload_commit(arca_upload_t *up, const char *final_path, int replace);

/* arca_upload_commit with replace, minus the two fsyncs: the caller makes the file durable
 * with arca_sync_store before it commits the rows naming it. For imports of many files. */
arca_error_t *arca_upload_place(arca_upload_t *up, const char *final_path);

/* Makes everything written to the filesystem holding `path` (a directory) durable. */
arca_error_t *arca_sync_store(apr_pool_t *p, const char *path);

/* Removes the temp file; safe to call twice, and after a commit (then it does nothing). */
void arca_upload_abort(arca_upload_t *up);

apr_off_t arca_upload_size(const arca_upload_t *up);

/* MD5 of the bytes written so far, as 32 lowercase hex characters; after a commit, of the
 * whole file. Lives in the upload's pool. "" after arca_upload_no_digest. */
const char *arca_upload_md5(const arca_upload_t *up);

/* Writes without the running MD5 (a third of the CPU a C-STORE costs): for a file no row
 * names (the prearchive's), or one whose digest is filled in later (arca_digest_fill).
 * Call before the first write. */
void arca_upload_no_digest(arca_upload_t *up);

/* The MD5 (hex, in p) and size of a file as it is on disk now. */
arca_error_t *arca_file_md5(apr_pool_t *p, const char *path, const char **hex, apr_off_t *size);

/* mkdir -p with mode 02775 for each created level (whatever the umask: the archive is
 * shared by a group); 500 with the path on failure. */
arca_error_t *arca_mkdirs(apr_pool_t *p, const char *dir);

/* Removes dir and then each parent while it is empty (rmdir: one a request fills
 * meanwhile stays), keeping the first `keep` levels below root and root itself; dir must
 * lie below root. For the folders an import that failed had made. */
void arca_prune_empty_dirs(apr_pool_t *p, const char *root, const char *dir, int keep);

/* Removes a directory tree (for DELETE ?removeFiles=true); a missing tree is not an error.
 * Symbolic links are removed, never followed. */
arca_error_t *arca_remove_tree(apr_pool_t *p, const char *dir);

#endif
