/* fsck, files against rows: a file under the archive that no arca_file row names is an
 * orphan (a crash between placing it and committing its row). The tree is read one
 * directory entry at a time; each directory is looked up once as a resource directory,
 * and the files of a resource are looked up in batches, so memory does not grow with the
 * number of files. Directories a removal leaves empty are pruned, except a resource's own. */
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "store/filestore.h"
#include "fsck/fsck_internal.h"
#include "base/validate.h"

#define BATCH 500

typedef struct {
    const char *rel;  /* relative to the root */
    const char *name; /* relative to the resource's directory: arca_file.path */
    apr_finfo_t fi;
} candidate_t;

typedef struct {
    apr_pool_t *pool; /* cleared after each lookup */
    apr_array_header_t *items;
    const char *resource;
} batch_t;

/* An orphan candidate seen as fi: left alone if recent, else reported or removed.
 * Returns 1 if the entry is gone. */
static int orphan(fsck_ctx *c, apr_pool_t *p, const char *rel, const apr_finfo_t *fi)
{
    if (!arca_fsck_settled(fi, c->cutoff)) {
        c->sum->recent++; /* maybe a running import's, not committed yet */
        return 0;
    }
    return fsck_orphan(c, p, ARCA_FSCK_ORPHAN_FILE, rel, fi, 0);
}

/* {"a","b\"c"}: a text[] literal. */
static const char *array_literal(apr_pool_t *p, const apr_array_header_t *items)
{
    size_t n = 3;
    char *s, *o;

    for (int i = 0; i < items->nelts; i++)
        n += 2 * strlen(APR_ARRAY_IDX(items, i, candidate_t).name) + 3;
    o = s = apr_palloc(p, n);
    *o++ = '{';
    for (int i = 0; i < items->nelts; i++) {
        if (i)
            *o++ = ',';
        *o++ = '"';
        for (const char *q = APR_ARRAY_IDX(items, i, candidate_t).name; *q; q++) {
            if (*q == '"' || *q == '\\')
                *o++ = '\\';
            *o++ = *q;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return s;
}

/* Looks the batch up (one query); the ones without a row are orphans. Returns how many
 * entries of the batch are still there. */
static arca_error_t *flush(fsck_ctx *c, batch_t *b, int *kept)
{
    apr_pool_t *p = b->pool;
    const char *params[2] = {b->resource, NULL};
    PGresult *res;
    int n = b->items->nelts, gone = 0;
    arca_error_t *err;

    if (n == 0)
        return ARCA_OK;
    params[1] = array_literal(p, b->items);
    err = arca_db_query(c->db, p, &res,
        "SELECT u.i FROM unnest($2::text[]) WITH ORDINALITY AS u(name, i) WHERE NOT EXISTS "
        "(SELECT 1 FROM arca_file f WHERE f.resource_pk = $1::bigint AND f.path = u.name) "
        "ORDER BY u.i", 2, params);
    if (err)
        return err;
    for (int r = 0; r < PQntuples(res); r++) {
        int i = atoi(PQgetvalue(res, r, 0)) - 1;
        if (i >= 0 && i < n) {
            candidate_t *cd = &APR_ARRAY_IDX(b->items, i, candidate_t);
            gone += orphan(c, p, cd->rel, &cd->fi);
        }
    }
    *kept += n - gone;
    apr_array_clear(b->items);
    apr_pool_clear(p);
    return ARCA_OK;
}

/* The resource whose directory rel is, if any. */
static arca_error_t *resource_at(fsck_ctx *c, apr_pool_t *p, const char *rel, const char **pk)
{
    PGresult *res;
    arca_error_t *err;

    *pk = NULL;
    if (!arca_valid_utf8(rel))
        return ARCA_OK; /* no row can name it */
    err = arca_db_query(c->db, p, &res, "SELECT pk FROM arca_resource WHERE dir = $1", 1, &rel);
    if (!err && PQntuples(res) == 1)
        *pk = PQgetvalue(res, 0, 0);
    return err;
}

/* One directory (rel "" is the root), seen as dir_fi before anything in it was touched;
 * resource/res_off: the resource it lies in and where that one's directory name ends in
 * rel. *gone says whether the directory itself was pruned. */
static arca_error_t *walk(fsck_ctx *c, apr_pool_t *p, const char *rel,
                          const apr_finfo_t *dir_fi, const char *resource, size_t res_off,
                          int *gone)
{
    const char *own = NULL;
    const char *abs = *rel ? apr_pstrcat(p, c->root, "/", rel, NULL) : c->root;
    apr_pool_t *ep;
    apr_dir_t *d;
    apr_finfo_t fi;
    batch_t b;
    int kept = 0;
    apr_status_t rv;
    arca_error_t *err = ARCA_OK;

    *gone = 0;
    if (*rel && (err = resource_at(c, p, rel, &own)))
        return err;
    if (own) {
        resource = own;
        res_off = strlen(rel) + 1;
    }
    rv = apr_dir_open(&d, abs, p);
    if (APR_STATUS_IS_ENOENT(rv))
        return ARCA_OK; /* removed meanwhile */
    if (rv != APR_SUCCESS) {
        char buf[128];
        return arca_error_create(p, 500, "cannot read the %s's %s: %s", c->root_name,
                                 *rel ? rel : "top directory",
                                 apr_strerror(rv, buf, sizeof buf));
    }
    apr_pool_create(&ep, p);
    apr_pool_create(&b.pool, p);
    b.items = apr_array_make(p, BATCH, sizeof(candidate_t));
    b.resource = resource;
    while (!err && apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        const char *child;
        int child_gone;

        if (strcmp(fi.name, ".") == 0 || strcmp(fi.name, "..") == 0
            || (*rel == '\0' && strcmp(fi.name, ".tmp") == 0))
            continue;
        apr_pool_clear(ep);
        child = *rel ? apr_pstrcat(ep, rel, "/", fi.name, NULL) : apr_pstrdup(ep, fi.name);
        if (apr_stat(&fi, apr_pstrcat(ep, c->root, "/", child, NULL), FSCK_FINFO, ep)
            != APR_SUCCESS)
            continue; /* gone meanwhile */
        if (fi.filetype == APR_DIR) {
            if (fsck_is_other_root(c, &fi))
                kept++;
            else if (!(err = walk(c, ep, child, &fi, resource, res_off, &child_gone)))
                kept += !child_gone;
            continue;
        }
        c->sum->files++;
        if (resource == NULL || !arca_safe_relpath(child + res_off)
            || !arca_valid_utf8(child)) {
            /* in no resource's directory, or a name no row can hold */
            kept += !orphan(c, ep, child, &fi);
            continue;
        }
        {
            candidate_t *cd = apr_array_push(b.items);
            cd->rel = apr_pstrdup(b.pool, child);
            cd->name = cd->rel + res_off;
            cd->fi = fi;
            cd->fi.pool = b.pool;
            cd->fi.name = cd->fi.fname = NULL;
        }
        if (b.items->nelts >= BATCH)
            err = flush(c, &b, &kept);
    }
    apr_dir_close(d);
    if (!err)
        err = flush(c, &b, &kept);
    apr_pool_destroy(b.pool);
    apr_pool_destroy(ep);
    /* (reported without remove_orphans too: it once asked for it, and empty session
     * folders went unseen) */
    if (!err && *rel && !own && kept == 0 && arca_fsck_settled(dir_fi, c->cutoff))
        *gone = fsck_prune(c, p, rel);
    return err;
}

arca_error_t *fsck_orphans(fsck_ctx *c, apr_pool_t *p)
{
    apr_pool_t *wp;
    apr_finfo_t fi;
    int gone;
    arca_error_t *err;

    apr_pool_create(&wp, p);
    memset(&fi, 0, sizeof fi);
    err = walk(c, wp, "", &fi, NULL, 0, &gone);
    apr_pool_destroy(wp);
    return err;
}
