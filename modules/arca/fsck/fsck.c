/* arcactl fsck (see fsck.h): the rules every pass shares, the temp-file sweep, and the run
 * over both roots. */
#include <string.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "store/filestore.h"
#include "fsck/fsck_internal.h"

static const char *const kind_names[ARCA_FSCK_KINDS] = {
    [ARCA_FSCK_TEMP_FILE] = "temp-file",
    [ARCA_FSCK_ORPHAN_FILE] = "orphan-file",
    [ARCA_FSCK_EMPTY_DIR] = "empty-dir",
    [ARCA_FSCK_ORPHAN_FOLDER] = "orphan-folder",
    [ARCA_FSCK_MISSING_FILE] = "missing-file",
    [ARCA_FSCK_WRONG_SIZE] = "wrong-size",
    [ARCA_FSCK_BAD_PATH] = "bad-path",
    [ARCA_FSCK_UNCHECKABLE] = "uncheckable",
    [ARCA_FSCK_MISSING_FOLDER] = "missing-folder",
};

const char *arca_fsck_kind_name(arca_fsck_kind_t kind)
{
    return kind < ARCA_FSCK_KINDS ? kind_names[kind] : "?";
}

int arca_fsck_damaged(const arca_fsck_summary_t *sum)
{
    for (int k = ARCA_FSCK_MISSING_FILE; k < ARCA_FSCK_KINDS; k++)
        if (sum->found[k])
            return 1;
    return 0;
}

apr_time_t arca_fsck_cutoff(apr_time_t now, apr_interval_time_t min_age, apr_time_t oldest_xact)
{
    apr_time_t cutoff = now - (min_age > 0 ? min_age : 0);

    return oldest_xact > 0 && oldest_xact < cutoff ? oldest_xact : cutoff;
}

int arca_fsck_settled(const apr_finfo_t *fi, apr_time_t cutoff)
{
    /* ctime too: a rename into place keeps the temp file's mtime but sets the ctime */
    return fi->mtime <= cutoff && fi->ctime <= cutoff;
}

const char *arca_fsck_row_path(apr_pool_t *p, const char *root, const char *dir,
                               const char *path)
{
    if (!arca_safe_relpath(dir) || !arca_safe_relpath(path))
        return NULL;
    return apr_pstrcat(p, root, "/", dir, "/", path, NULL);
}

arca_error_t *fsck_each_row(fsck_ctx *c, apr_pool_t *p, const char *sql, fsck_row_fn check)
{
    char last[32] = "0"; /* a bigint: the key survives the page's result */
    const char *key = last;
    apr_pool_t *pp, *rp;
    arca_error_t *err = ARCA_OK;

    apr_pool_create(&pp, p);
    apr_pool_create(&rp, p);
    for (;;) {
        PGresult *res;
        int n;

        apr_pool_clear(pp);
        err = arca_db_query(c->db, pp, &res, sql, 1, &key);
        if (err || (n = PQntuples(res)) == 0)
            break;
        for (int i = 0; i < n && !err; i++) {
            apr_pool_clear(rp);
            err = check(c, rp, res, i);
        }
        if (err)
            break;
        apr_cpystrn(last, PQgetvalue(res, n - 1, 0), sizeof last);
    }
    apr_pool_destroy(pp);
    apr_pool_destroy(rp);
    return err;
}

void fsck_report(fsck_ctx *c, const arca_fsck_finding_t *f)
{
    c->sum->found[f->kind]++;
    if (f->action == ARCA_FSCK_REMOVED)
        c->sum->removed[f->kind]++;
    if (c->o->report)
        c->o->report(c->o->baton, f);
}

int fsck_is_other_root(const fsck_ctx *c, const apr_finfo_t *fi)
{
    return c->skip_valid && fi->filetype == APR_DIR && fi->device == c->skip_dev
           && fi->inode == c->skip_ino;
}

static const char *reason_of(apr_pool_t *p, apr_status_t rv)
{
    char buf[128];

    return apr_pstrdup(p, apr_strerror(rv, buf, sizeof buf));
}

/* A name in .tmp for something about to be removed. */
static const char *aside_name(fsck_ctx *c, apr_pool_t *p)
{
    unsigned char r[8];

    if (apr_generate_random_bytes(r, sizeof r) != APR_SUCCESS)
        return NULL;
    return apr_psprintf(p, "%s/arca-fsck-%02x%02x%02x%02x%02x%02x%02x%02x", c->tmpdir, r[0],
                        r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
}

static int same_entry(const apr_finfo_t *a, const apr_finfo_t *b)
{
    return a->inode == b->inode && a->device == b->device;
}

static int remove_now(apr_pool_t *p, const char *path, int is_tree, const char **reason)
{
    arca_error_t *err;
    apr_status_t rv;

    if (is_tree) {
        if ((err = arca_remove_tree(p, path))) {
            *reason = err->message;
            return 0;
        }
    } else if ((rv = apr_file_remove(path, p)) != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        *reason = reason_of(p, rv);
        return 0;
    }
    return 1;
}

/* Removes what is at abs, if it is still the entry judged (fi). A request may put a new
 * file at the same name meanwhile (the same instance imported again after the crash):
 * moving the entry aside into .tmp first and checking its inode there means that file is
 * never the one removed. Returns 1 removed, 0 failed (*reason), -1 changed meanwhile (left
 * in place). */
static int remove_entry(fsck_ctx *c, apr_pool_t *p, const char *abs, const apr_finfo_t *fi,
                        int is_tree, const char **reason)
{
    const char *aside = c->tmpdir ? aside_name(c, p) : NULL;
    apr_finfo_t now;
    apr_status_t rv;

    if (aside == NULL) {
        /* no .tmp (no upload was ever made under this root): check, then remove */
        rv = apr_stat(&now, abs, APR_FINFO_LINK | APR_FINFO_IDENT, p);
        if (rv != APR_SUCCESS || !same_entry(&now, fi))
            return -1;
        return remove_now(p, abs, is_tree, reason);
    }
    if ((rv = apr_file_rename(abs, aside, p)) != APR_SUCCESS) {
        if (APR_STATUS_IS_ENOENT(rv))
            return -1; /* gone already: someone else tidied it */
        *reason = reason_of(p, rv);
        return 0;
    }
    if (apr_stat(&now, aside, APR_FINFO_LINK | APR_FINFO_IDENT, p) == APR_SUCCESS
        && !same_entry(&now, fi)) {
        /* not what was judged: put it back (unless yet another one is there now) */
        if (is_tree)
            apr_file_rename(aside, abs, p);
        else {
            apr_file_link(aside, abs);
            apr_file_remove(aside, p);
        }
        return -1;
    }
    return remove_now(p, aside, is_tree, reason);
}

int fsck_orphan(fsck_ctx *c, apr_pool_t *p, arca_fsck_kind_t kind, const char *rel,
                const apr_finfo_t *fi, int is_tree)
{
    arca_fsck_finding_t f = {kind, ARCA_FSCK_REPORTED, c->root_name, rel, NULL, 0, 0, NULL};
    int gone = 0;

    if (c->o->remove_orphans && c->o->dry_run) {
        f.action = ARCA_FSCK_WOULD_REMOVE;
    } else if (c->o->remove_orphans) {
        const char *abs = apr_pstrcat(p, c->root, "/", rel, NULL);
        int r = remove_entry(c, p, abs, fi, is_tree, &f.reason);
        if (r < 0) {
            c->sum->recent++; /* it changed: someone is at work there */
            return 0;
        }
        f.action = r ? ARCA_FSCK_REMOVED : ARCA_FSCK_REMOVE_FAILED;
        gone = r;
    }
    fsck_report(c, &f);
    return gone;
}

/* A directory that ended up empty (its orphans removed, or never filled, like the session
 * folders a cut import left): reported always; removed with remove_orphans, but only while
 * it is empty (rmdir), so a file a request puts there meanwhile stays. Returns whether it
 * is gone, or would be when nothing is removed, so that a tree of empty directories is
 * reported up to its top. */
int fsck_prune(fsck_ctx *c, apr_pool_t *p, const char *rel)
{
    arca_fsck_finding_t f = {ARCA_FSCK_EMPTY_DIR, ARCA_FSCK_REPORTED, c->root_name, rel,
                             NULL, 0, 0, NULL};
    apr_status_t rv;
    char buf[128];

    if (c->o->remove_orphans && c->o->dry_run) {
        f.action = ARCA_FSCK_WOULD_REMOVE;
    } else if (c->o->remove_orphans) {
        rv = apr_dir_remove(apr_pstrcat(p, c->root, "/", rel, NULL), p);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
            if (APR_STATUS_IS_ENOTEMPTY(rv) || APR_STATUS_IS_EEXIST(rv))
                return 0; /* something arrived */
            f.action = ARCA_FSCK_REMOVE_FAILED;
            f.reason = apr_pstrdup(p, apr_strerror(rv, buf, sizeof buf));
        } else {
            f.action = ARCA_FSCK_REMOVED;
        }
    }
    fsck_report(c, &f);
    return f.action != ARCA_FSCK_REMOVE_FAILED;
}

arca_error_t *arca_fsck_temp_files(apr_pool_t *p, const arca_fsck_options_t *o,
                                   const char *root_name, const char *root,
                                   apr_time_t cutoff, arca_fsck_summary_t *sum)
{
    fsck_ctx c = {NULL, o, sum, cutoff, root_name, root, NULL, 0, 0, 0};
    const char *tmpdir = apr_pstrcat(p, root, "/.tmp", NULL);
    apr_pool_t *ep;
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv = apr_dir_open(&d, tmpdir, p);

    if (APR_STATUS_IS_ENOENT(rv))
        return ARCA_OK; /* no upload has been made yet */
    if (rv != APR_SUCCESS)
        return arca_error_create(p, 500, "cannot read %s: %s", tmpdir, reason_of(p, rv));
    apr_pool_create(&ep, p);
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        arca_fsck_finding_t f = {ARCA_FSCK_TEMP_FILE, ARCA_FSCK_REPORTED, root_name, NULL,
                                 NULL, 0, 0, NULL};
        const char *abs;

        if (strcmp(fi.name, ".") == 0 || strcmp(fi.name, "..") == 0)
            continue;
        apr_pool_clear(ep);
        f.path = apr_pstrcat(ep, ".tmp/", fi.name, NULL);
        abs = apr_pstrcat(ep, tmpdir, "/", fi.name, NULL);
        /* nothing but files is made there; anything else is not ours to judge */
        if (apr_stat(&fi, abs, FSCK_FINFO, ep) != APR_SUCCESS || fi.filetype == APR_DIR)
            continue;
        sum->files++;
        /* a live upload writes its temp file all along: a recent one may be in use */
        if (!arca_fsck_settled(&fi, cutoff)) {
            sum->recent++;
            continue;
        }
        if (o->dry_run)
            f.action = ARCA_FSCK_WOULD_REMOVE;
        else if ((rv = apr_file_remove(abs, ep)) == APR_SUCCESS || APR_STATUS_IS_ENOENT(rv))
            f.action = ARCA_FSCK_REMOVED;
        else {
            f.action = ARCA_FSCK_REMOVE_FAILED;
            f.reason = reason_of(ep, rv);
        }
        fsck_report(&c, &f);
    }
    apr_dir_close(d);
    apr_pool_destroy(ep);
    return ARCA_OK;
}

/* When the oldest transaction still open in the database began (0: none, or the server
 * does not show it to us): an import may commit the files it placed until it ends. */
static arca_error_t *oldest_transaction(arca_db_t *db, apr_pool_t *p, apr_time_t *out)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "SELECT (extract(epoch FROM min(xact_start)) * 1000000)::bigint FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend'", 0, NULL);

    *out = 0;
    if (err)
        return err;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        *out = (apr_time_t)apr_atoi64(PQgetvalue(res, 0, 0));
    return ARCA_OK;
}

static arca_error_t *root_dir(apr_pool_t *p, const char *name, const char *dir,
                              apr_finfo_t *fi)
{
    apr_status_t rv = apr_stat(fi, dir, APR_FINFO_TYPE | APR_FINFO_IDENT, p);

    if (rv != APR_SUCCESS)
        return arca_error_create(p, 500, "the %s %s cannot be read: %s", name, dir,
                                 reason_of(p, rv));
    if (fi->filetype != APR_DIR)
        return arca_error_create(p, 500, "the %s %s is not a directory", name, dir);
    return ARCA_OK;
}

/* A context for one root; the other root is skipped if it lies inside it. */
static arca_error_t *root_ctx(fsck_ctx *c, apr_pool_t *p, const char *name, const char *dir,
                              const apr_finfo_t *other)
{
    apr_finfo_t fi;

    c->root_name = name;
    c->root = dir;
    c->tmpdir = apr_pstrcat(p, dir, "/.tmp", NULL);
    c->skip_valid = other != NULL;
    if (other) {
        c->skip_dev = other->device;
        c->skip_ino = other->inode;
    }
    /* Orphans are moved aside into .tmp before removal. It is not created here: made by
     * an admin's fsck it would belong to the admin, and httpd could not write to it. */
    if (apr_stat(&fi, c->tmpdir, APR_FINFO_LINK | APR_FINFO_TYPE, p) != APR_SUCCESS
        || fi.filetype != APR_DIR)
        c->tmpdir = NULL;
    return ARCA_OK;
}

arca_error_t *arca_fsck(arca_db_t *db, apr_pool_t *p, const arca_fsck_options_t *o,
                        arca_fsck_summary_t *sum)
{
    fsck_ctx c;
    apr_finfo_t afi, pfi;
    apr_time_t xact;
    arca_error_t *err;

    memset(sum, 0, sizeof *sum);
    memset(&c, 0, sizeof c);
    c.db = db;
    c.o = o;
    c.sum = sum;
    if (o->archive == NULL)
        return arca_error_create(p, 400, "say where the archive is");
    if ((err = root_dir(p, "archive", o->archive, &afi))
        || (o->prearchive && (err = root_dir(p, "prearchive", o->prearchive, &pfi)))
        || (err = oldest_transaction(db, p, &xact)))
        return err;
    c.cutoff = arca_fsck_cutoff(o->now ? o->now : apr_time_now(), o->min_age, xact);

    if ((err = arca_fsck_temp_files(p, o, "archive", o->archive, c.cutoff, sum))
        || (err = root_ctx(&c, p, "archive", o->archive, o->prearchive ? &pfi : NULL))
        || (err = fsck_rows(&c, p))
        || (err = fsck_orphans(&c, p)))
        return err;
    if (o->prearchive == NULL)
        return ARCA_OK;
    if ((err = arca_fsck_temp_files(p, o, "prearchive", o->prearchive, c.cutoff, sum))
        || (err = root_ctx(&c, p, "prearchive", o->prearchive, &afi)))
        return err;
    return fsck_prearchive(&c, p);
}
