/* Safe file writes into the archive. An upload goes to a temp file in a directory on the
 * same filesystem, and only a complete, fsynced file is renamed into place: a reader never
 * sees half a file, and a crash or a dropped connection leaves nothing at the final path. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syncfs */
#endif
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_portable.h>
#include <apr_strings.h>

#include <openssl/evp.h>

#include "store/filestore.h"

#define MD5_DIGEST_BYTES 16

#define RELPATH_MAX 1024
#define SEGMENT_MAX 255
#define LABEL_MAX 64

/* 02775: group-writable and setgid, so everything below stays in the archive's group. */
#define DIR_PERMS (APR_FPROT_GSETID | APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE \
                   | APR_FPROT_GREAD | APR_FPROT_GWRITE | APR_FPROT_GEXECUTE \
                   | APR_FPROT_WREAD | APR_FPROT_WEXECUTE)
#define FILE_MODE 0664

int arca_safe_relpath(const char *path)
{
    size_t n = path ? strlen(path) : 0, seg = 0;

    if (n < 1 || n > RELPATH_MAX)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)path[i];

        if (c == '/' || c == '\0') {
            const char *s = path + i - seg;
            if (seg == 0 || (seg == 1 && s[0] == '.') || (seg == 2 && s[0] == '.' && s[1] == '.'))
                return 0;
            seg = 0;
            continue;
        }
        if (c < 0x20 || c == 0x7f || c == '\\' || ++seg > SEGMENT_MAX)
            return 0;
    }
    return 1;
}

int arca_valid_label(const char *label)
{
    size_t n = label ? strlen(label) : 0;

    /* A leading '.' would hide the directory, and covers "." and "..". */
    if (n < 1 || n > LABEL_MAX || label[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)label[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static arca_error_t *io_error(apr_pool_t *p, apr_status_t rv, const char *what)
{
    char reason[128];

    apr_strerror(rv, reason, sizeof reason);
#ifdef EDQUOT
    if (rv == EDQUOT)
        return arca_error_create(p, 507, "%s: %s", what, reason);
#endif
    return arca_error_create(p, APR_STATUS_IS_ENOSPC(rv) ? 507 : 500, "%s: %s", what, reason);
}

/* Strips trailing slashes (but keeps "/"), so "a/b/" and "a/b" name the same directory. */
static char *trim_slashes(apr_pool_t *p, const char *path)
{
    char *s = apr_pstrdup(p, path);
    size_t n = strlen(s);

    while (n > 1 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

/* The directory holding `path`: "." for a bare name, "/" for a top-level one. */
static char *parent_of(apr_pool_t *p, const char *path)
{
    char *s = trim_slashes(p, path);
    char *slash = strrchr(s, '/');

    if (slash == NULL)
        return apr_pstrdup(p, ".");
    while (slash > s && slash[-1] == '/')
        slash--;
    if (slash == s)
        return apr_pstrdup(p, "/");
    *slash = '\0';
    return s;
}

/* Makes a rename or a new directory entry durable. Some filesystems cannot fsync a
 * directory (EINVAL); there is nothing more to do on those. */
static arca_error_t *sync_dir(apr_pool_t *p, const char *dir)
{
    apr_file_t *f;
    apr_status_t rv = apr_file_open(&f, dir, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);

    if (rv == APR_SUCCESS) {
        rv = apr_file_sync(f);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EINVAL(rv))
        return arca_error_create(p, 500, "cannot sync directory %s", dir);
    return ARCA_OK;
}

/* ---- uploads ---------------------------------------------------------------------------- */

struct arca_upload_t {
    apr_pool_t *pool;
    apr_file_t *file;     /* NULL once closed */
    const char *tmp_path; /* NULL once the temp file is gone (renamed or removed) */
    apr_off_t size;
    EVP_MD_CTX *md5;      /* OpenSSL's MD5: several times APR's speed, which counts at GBs */
    const char *digest;   /* set by a successful commit */
    char *buf;            /* small writes (a DICOM header's elements) gather here */
    apr_size_t buffered;
};

#define UPLOAD_BUFFER (64 * 1024)

static apr_status_t free_md5(void *ctx)
{
    EVP_MD_CTX_free(ctx);
    return APR_SUCCESS;
}

/* A new MD5 context, freed with p; NULL if OpenSSL has none. */
static EVP_MD_CTX *md5_new(apr_pool_t *p)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL)) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    apr_pool_cleanup_register(p, ctx, free_md5, apr_pool_cleanup_null);
    return ctx;
}

static void upload_remove_temp(arca_upload_t *up)
{
    if (up->file) {
        apr_file_close(up->file);
        up->file = NULL;
    }
    if (up->tmp_path) {
        apr_file_remove(up->tmp_path, up->pool);
        up->tmp_path = NULL;
    }
}

static apr_status_t upload_cleanup(void *data)
{
    upload_remove_temp(data);
    return APR_SUCCESS;
}

arca_error_t *arca_upload_begin(apr_pool_t *p, const char *tmpdir, arca_upload_t **up)
{
    arca_upload_t *u;
    unsigned char rnd[8];
    char *tmpl;
    apr_os_file_t fd;
    apr_status_t rv;

    *up = NULL;
    /* mkstemp's six characters are enough against clashes; the extra random bytes make the
     * name unguessable whatever the C library does, and no client text is ever in it. */
    if (apr_generate_random_bytes(rnd, sizeof rnd) != APR_SUCCESS)
        return arca_error_create(p, 500, "no random source for a temporary file name");
    tmpl = apr_psprintf(p, "%s/arca-upload-%02x%02x%02x%02x%02x%02x%02x%02x-XXXXXX",
                        trim_slashes(p, tmpdir), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
                        rnd[5], rnd[6], rnd[7]);

    u = apr_pcalloc(p, sizeof *u);
    u->pool = p;
    rv = apr_file_mktemp(&u->file, tmpl, APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL,
                         p);
    if (rv != APR_SUCCESS)
        return io_error(p, rv, "cannot create a temporary file for the upload");
    u->tmp_path = tmpl;
    /* Registered after the file's own cleanup, so it runs first and still finds it open. */
    apr_pool_cleanup_register(p, u, upload_cleanup, apr_pool_cleanup_null);

    /* mkstemp creates 0600; the archive's files are read by the group. */
    if (apr_os_file_get(&fd, u->file) != APR_SUCCESS || fchmod(fd, FILE_MODE) != 0) {
        rv = errno;
        arca_upload_abort(u);
        return io_error(p, rv, "cannot set the mode of the temporary file");
    }
    if ((u->md5 = md5_new(p)) == NULL) {
        arca_upload_abort(u);
        return arca_error_create(p, 500, "no MD5 digest available");
    }
    u->buf = apr_palloc(p, UPLOAD_BUFFER);
    *up = u;
    return ARCA_OK;
}

static arca_error_t *flush_buffer(arca_upload_t *up)
{
    apr_status_t rv = up->buffered ? apr_file_write_full(up->file, up->buf, up->buffered, NULL)
                                   : APR_SUCCESS;

    up->buffered = 0;
    if (rv == APR_SUCCESS)
        return ARCA_OK;
    arca_upload_abort(up);
    return io_error(up->pool, rv, "cannot store the file");
}

arca_error_t *arca_upload_write(arca_upload_t *up, const void *data, apr_size_t len)
{
    apr_status_t rv;
    arca_error_t *err;

    if (up->file == NULL)
        return arca_error_create(up->pool, 500, "the upload is no longer open");
    if (len == 0)
        return ARCA_OK;
    if (up->md5)
        EVP_DigestUpdate(up->md5, data, len);
    up->size += (apr_off_t)len;
    if (up->buffered + len <= UPLOAD_BUFFER) {
        memcpy(up->buf + up->buffered, data, len);
        up->buffered += len;
        return ARCA_OK;
    }
    if ((err = flush_buffer(up)))
        return err;
    if (len < UPLOAD_BUFFER) {
        memcpy(up->buf, data, len);
        up->buffered = len;
        return ARCA_OK;
    }
    rv = apr_file_write_full(up->file, data, len, NULL);
    if (rv != APR_SUCCESS) {
        arca_upload_abort(up);
        return io_error(up->pool, rv, "cannot store the file");
    }
    return ARCA_OK;
}

static const char *hex_digest(apr_pool_t *p, const unsigned char *d)
{
    static const char hex[] = "0123456789abcdef";
    char *s = apr_palloc(p, 2 * MD5_DIGEST_BYTES + 1);

    for (int i = 0; i < MD5_DIGEST_BYTES; i++) {
        s[2 * i] = hex[d[i] >> 4];
        s[2 * i + 1] = hex[d[i] & 0xf];
    }
    s[2 * MD5_DIGEST_BYTES] = '\0';
    return s;
}

/* Ends `ctx` into `digest`; 0 if that failed (then `digest` is all zeros). */
static int md5_final(EVP_MD_CTX *ctx, unsigned char digest[EVP_MAX_MD_SIZE])
{
    unsigned int n = 0;

    if (EVP_DigestFinal_ex(ctx, digest, &n) && n == MD5_DIGEST_BYTES)
        return 1;
    memset(digest, 0, EVP_MAX_MD_SIZE);
    return 0;
}

/* The MD5 of what was written so far (the running digest goes on); "" when not kept. */
static const char *md5_hex(const arca_upload_t *up)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    EVP_MD_CTX *copy;

    if (up->md5 == NULL)
        return "";
    copy = EVP_MD_CTX_new();
    if (copy == NULL || !EVP_MD_CTX_copy_ex(copy, up->md5) || !md5_final(copy, digest))
        memset(digest, 0, sizeof digest);
    EVP_MD_CTX_free(copy);
    return hex_digest(up->pool, digest);
}

/* Puts the temp file at final_path only if nothing is there. link() fails atomically on an
 * existing name, where a check before rename() would race with another upload. */
static apr_status_t place_new(apr_pool_t *p, const char *tmp, const char *final, int *exists)
{
    apr_finfo_t fi;
    apr_status_t rv = apr_file_link(tmp, final);

    *exists = 0;
    if (rv == APR_SUCCESS) {
        apr_file_remove(tmp, p);
        return APR_SUCCESS;
    }
    if (APR_STATUS_IS_EEXIST(rv)) {
        *exists = 1;
        return rv;
    }
    if (rv != EPERM && rv != ENOTSUP && rv != EOPNOTSUPP && rv != ENOSYS)
        return rv;
    /* A filesystem without hard links (some network shares): check, then rename. */
    if (apr_stat(&fi, final, APR_FINFO_LINK | APR_FINFO_TYPE, p) == APR_SUCCESS) {
        *exists = 1;
        return APR_EEXIST;
    }
    return apr_file_rename(tmp, final, p);
}

static arca_error_t *make_dirs(apr_pool_t *p, const char *dir, int durable);

/* The commit, with the fsyncs (durable) or without them (the caller syncs the filesystem
 * before it commits rows naming the file). */
static arca_error_t *put_in_place(arca_upload_t *up, const char *final_path, int replace,
                                  int durable)
{
    apr_pool_t *p = up->pool;
    const char *dir;
    arca_error_t *err;
    apr_status_t rv;
    int exists = 0;

    if (up->file == NULL)
        return arca_error_create(p, 500, "the upload is no longer open");
    if ((err = flush_buffer(up)))
        return err;
    /* On network filesystems a full disk may only show at fsync or close. */
    rv = durable ? apr_file_sync(up->file) : APR_SUCCESS;
    if (rv == APR_SUCCESS) {
        rv = apr_file_close(up->file);
        up->file = NULL;
    }
    if (rv != APR_SUCCESS) {
        arca_upload_abort(up);
        return io_error(p, rv, "cannot store the file");
    }

    dir = parent_of(p, final_path);
    err = make_dirs(p, dir, durable);
    if (err) {
        arca_upload_abort(up);
        return err;
    }

    if (replace)
        rv = apr_file_rename(up->tmp_path, final_path, p);
    else
        rv = place_new(p, up->tmp_path, final_path, &exists);
    if (rv != APR_SUCCESS) {
        arca_upload_abort(up);
        if (exists)
            return arca_error_create(p, 409, "a file of that name already exists");
        if (rv == EISDIR || rv == ENOTEMPTY || APR_STATUS_IS_EEXIST(rv))
            return arca_error_create(p, 409, "a directory of that name already exists");
        return io_error(p, rv, "cannot store the file");
    }
    up->tmp_path = NULL;
    apr_pool_cleanup_kill(p, up, upload_cleanup);
    up->digest = md5_hex(up);
    return durable ? sync_dir(p, dir) : ARCA_OK;
}

arca_error_t *arca_upload_commit(arca_upload_t *up, const char *final_path, int replace)
{
    return put_in_place(up, final_path, replace, 1);
}

arca_error_t *arca_upload_place(arca_upload_t *up, const char *final_path)
{
    return put_in_place(up, final_path, 1, 0);
}

arca_error_t *arca_sync_store(apr_pool_t *p, const char *path)
{
    apr_file_t *f;
    apr_os_file_t fd;
    apr_status_t rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_XTHREAD, 0, p);

    if (rv != APR_SUCCESS)
        return io_error(p, rv, "cannot make the stored files durable");
#ifdef __linux__
    /* one journal flush for the whole upload, where an fsync per file and directory would
     * cost one each */
    apr_os_file_get(&fd, f);
    rv = syncfs(fd) == 0 ? APR_SUCCESS : errno;
#else
    (void)fd;
    sync();
    rv = APR_SUCCESS;
#endif
    apr_file_close(f);
    return rv == APR_SUCCESS ? ARCA_OK : io_error(p, rv, "cannot make the stored files durable");
}

void arca_upload_abort(arca_upload_t *up)
{
    if (up == NULL)
        return;
    upload_remove_temp(up);
}

apr_off_t arca_upload_size(const arca_upload_t *up)
{
    return up->size;
}

const char *arca_upload_md5(const arca_upload_t *up)
{
    return up->digest ? up->digest : md5_hex(up);
}

void arca_upload_no_digest(arca_upload_t *up)
{
    apr_pool_cleanup_run(up->pool, up->md5, free_md5);
    up->md5 = NULL;
}

arca_error_t *arca_file_md5(apr_pool_t *p, const char *path, const char **hex, apr_off_t *size)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    apr_file_t *f;
    apr_size_t got;
    char *buf;
    EVP_MD_CTX *md5;
    apr_status_t rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, p);

    if (rv != APR_SUCCESS)
        return io_error(p, rv, "cannot read a stored file");
    if ((md5 = md5_new(p)) == NULL) {
        apr_file_close(f);
        return arca_error_create(p, 500, "no MD5 digest available");
    }
    buf = apr_palloc(p, UPLOAD_BUFFER);
    *size = 0;
    do {
        got = UPLOAD_BUFFER;
        rv = apr_file_read(f, buf, &got);
        EVP_DigestUpdate(md5, buf, got);
        *size += (apr_off_t)got;
    } while (rv == APR_SUCCESS);
    apr_file_close(f);
    if (!APR_STATUS_IS_EOF(rv))
        return io_error(p, rv, "cannot read a stored file");
    if (!md5_final(md5, digest))
        return arca_error_create(p, 500, "MD5 failed");
    *hex = hex_digest(p, digest);
    return ARCA_OK;
}
/* ---- directories ------------------------------------------------------------------------- */

/* A directory just made: mkdir honours the umask and drops the setgid bit, so set the mode
 * explicitly; then record the new entry durably in its parent (unless the caller makes
 * the store durable some other way, or not at all). */
static arca_error_t *finish_new_dir(apr_pool_t *p, const char *dir, int durable)
{
    if (apr_file_perms_set(dir, DIR_PERMS) != APR_SUCCESS)
        return arca_error_create(p, 500, "cannot set the mode of directory %s", dir);
    return durable ? sync_dir(p, parent_of(p, dir)) : ARCA_OK;
}

static arca_error_t *dir_error(apr_pool_t *p, const char *dir, apr_status_t rv)
{
    char reason[128];

    /* a client's path that needs a folder where it already put a file: its conflict */
    if (APR_STATUS_IS_ENOTDIR(rv))
        return arca_error_create(p, 409, "a file is in the way: that path would put a "
                                 "folder where a file already is");
    apr_strerror(rv, reason, sizeof reason);
    return arca_error_create(p, 500, "cannot create directory %s: %s", dir, reason);
}

static arca_error_t *ensure_dir(apr_pool_t *p, const char *dir)
{
    apr_finfo_t fi;
    apr_status_t rv = apr_stat(&fi, dir, APR_FINFO_TYPE, p);

    if (rv != APR_SUCCESS)
        return dir_error(p, dir, rv);
    if (fi.filetype != APR_DIR)
        return dir_error(p, dir, APR_ENOTDIR);
    return ARCA_OK;
}

static arca_error_t *make_dirs(apr_pool_t *p, const char *dir, int durable)
{
    char *d = trim_slashes(p, dir);
    /* Optimistic: the directory, or at least its parent, usually exists already. */
    apr_status_t rv = apr_dir_make(d, DIR_PERMS, p);

    if (APR_STATUS_IS_ENOENT(rv)) { /* the parent first, then this one again */
        char *parent = parent_of(p, d);
        arca_error_t *err;

        if (strcmp(parent, d) == 0 || strcmp(parent, ".") == 0)
            return dir_error(p, d, rv);
        if ((err = make_dirs(p, parent, durable)))
            return err;
        rv = apr_dir_make(d, DIR_PERMS, p);
    }
    if (rv == APR_SUCCESS)
        return finish_new_dir(p, d, durable);
    /* EEXIST also when another request made it a moment ago. */
    if (APR_STATUS_IS_EEXIST(rv))
        return ensure_dir(p, d);
    return dir_error(p, d, rv);
}

arca_error_t *arca_mkdirs(apr_pool_t *p, const char *dir)
{
    return make_dirs(p, dir, 1);
}

static arca_error_t *remove_error(apr_pool_t *p, const char *path, apr_status_t rv)
{
    char reason[128];

    apr_strerror(rv, reason, sizeof reason);
    return arca_error_create(p, 500, "cannot remove %s: %s", path, reason);
}

/* Empties a directory, depth first. Entries are typed without following links (lstat), so
 * a symlink inside the tree is removed, never the files it points to. Each level has its own
 * pool, so errors go to errp, which outlives them all. */
static arca_error_t *remove_contents(apr_pool_t *errp, apr_pool_t *p, const char *dir)
{
    apr_pool_t *dp, *ep;
    apr_dir_t *d;
    apr_finfo_t fi;
    arca_error_t *err = ARCA_OK;
    apr_status_t rv;

    apr_pool_create(&dp, p);
    rv = apr_dir_open(&d, dir, dp);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(dp);
        return APR_STATUS_IS_ENOENT(rv) ? ARCA_OK : remove_error(errp, dir, rv);
    }
    apr_pool_create(&ep, dp);
    for (;;) {
        const char *path;

        rv = apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d);
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE)
            break;
        if (strcmp(fi.name, ".") == 0 || strcmp(fi.name, "..") == 0)
            continue;
        apr_pool_clear(ep);
        path = apr_pstrcat(ep, dir, "/", fi.name, NULL);
        if (!(fi.valid & APR_FINFO_TYPE)
            && apr_stat(&fi, path, APR_FINFO_LINK | APR_FINFO_TYPE, ep) != APR_SUCCESS)
            fi.filetype = APR_UNKFILE;
        if (fi.filetype == APR_DIR) {
            err = remove_contents(errp, ep, path);
            if (err)
                break;
            rv = apr_dir_remove(path, ep);
        } else {
            rv = apr_file_remove(path, ep);
        }
        /* Gone already: someone else is removing the same tree. */
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
            err = remove_error(errp, path, rv);
            break;
        }
    }
    if (!err && rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv))
        err = remove_error(errp, dir, rv);
    apr_dir_close(d);
    apr_pool_destroy(dp);
    return err;
}

void arca_prune_empty_dirs(apr_pool_t *p, const char *root, const char *dir, int keep)
{
    size_t n = strlen(root);
    char *d = apr_pstrdup(p, dir), *slash;

    if (strncmp(d, root, n) != 0 || d[n] != '/')
        return;
    for (;;) {
        int depth = 0;
        for (const char *c = d + n; *c; c++)
            depth += *c == '/';
        if (depth <= keep || apr_dir_remove(d, p) != APR_SUCCESS)
            return;
        if ((slash = strrchr(d, '/')) == NULL)
            return;
        *slash = '\0';
    }
}

arca_error_t *arca_remove_tree(apr_pool_t *p, const char *dir)
{
    apr_finfo_t fi;
    apr_status_t rv = apr_stat(&fi, dir, APR_FINFO_LINK | APR_FINFO_TYPE, p);
    arca_error_t *err;

    if (APR_STATUS_IS_ENOENT(rv))
        return ARCA_OK;
    if (rv != APR_SUCCESS)
        return remove_error(p, dir, rv);
    if (fi.filetype != APR_DIR) {
        /* A link to a directory goes, not what it points to. */
        rv = apr_file_remove(dir, p);
    } else {
        err = remove_contents(p, p, dir);
        if (err)
            return err;
        rv = apr_dir_remove(dir, p);
    }
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv))
        return remove_error(p, dir, rv);
    return ARCA_OK;
}
