/* fsck, the prearchive: each session waits in {project}/{timestamp}/{folder} with one
 * arca_prearchive row. A folder without its row is an orphan (an import that crashed before
 * its commit, or an archiving that committed but died before removing the folder); a row
 * without its folder is damage. Files are not rows here, so they are not looked at one by
 * one, except to tell whether an orphan folder is still being written. */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "store/filestore.h"
#include "fsck/fsck_internal.h"
#include "base/validate.h"

#define DEPTH 3 /* project / timestamp / folder */
#define PAGE "500"

/* 1 when nothing in the tree changed after the cut-off (stops at the first that did). */
static int tree_settled(fsck_ctx *c, apr_pool_t *p, const char *abs, const apr_finfo_t *top)
{
    apr_pool_t *ep;
    apr_dir_t *d;
    apr_finfo_t fi;
    int settled = arca_fsck_settled(top, c->cutoff);

    if (!settled || top->filetype != APR_DIR || apr_dir_open(&d, abs, p) != APR_SUCCESS)
        return settled;
    apr_pool_create(&ep, p);
    while (settled && apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        const char *child;
        if (strcmp(fi.name, ".") == 0 || strcmp(fi.name, "..") == 0)
            continue;
        apr_pool_clear(ep);
        child = apr_pstrcat(ep, abs, "/", fi.name, NULL);
        if (apr_stat(&fi, child, FSCK_FINFO, ep) == APR_SUCCESS)
            settled = tree_settled(c, ep, child, &fi);
    }
    apr_dir_close(d);
    apr_pool_destroy(ep);
    return settled;
}

/* Whether {project}/{timestamp}/{folder} (rel, split in parts) has its row. */
static arca_error_t *has_row(fsck_ctx *c, apr_pool_t *p, const char *rel, int *yes)
{
    char *parts = apr_pstrdup(p, rel), *last;
    const char *params[3];
    PGresult *res;
    arca_error_t *err;

    *yes = 0;
    params[0] = apr_strtok(parts, "/", &last);
    params[1] = apr_strtok(NULL, "/", &last);
    params[2] = apr_strtok(NULL, "/", &last);
    if (!arca_valid_utf8(rel) || !params[2])
        return ARCA_OK;
    err = arca_db_query(c->db, p, &res, "SELECT 1 FROM arca_prearchive WHERE project = $1 "
                        "AND timestamp = $2 AND folder = $3", 3, params);
    if (!err)
        *yes = PQntuples(res) > 0;
    return err;
}

/* One directory at `depth` (0: the root); *gone says whether it was removed. */
static arca_error_t *walk(fsck_ctx *c, apr_pool_t *p, const char *rel, int depth,
                          const apr_finfo_t *dir_fi, int *gone)
{
    const char *abs = depth ? apr_pstrcat(p, c->root, "/", rel, NULL) : c->root;
    apr_pool_t *ep;
    apr_dir_t *d;
    apr_finfo_t fi;
    int kept = 0;
    apr_status_t rv;
    arca_error_t *err = ARCA_OK;

    *gone = 0;
    if ((rv = apr_dir_open(&d, abs, p)) != APR_SUCCESS) {
        char buf[128];
        if (APR_STATUS_IS_ENOENT(rv))
            return ARCA_OK;
        return arca_error_create(p, 500, "cannot read the prearchive's %s: %s",
                                 depth ? rel : "top directory",
                                 apr_strerror(rv, buf, sizeof buf));
    }
    apr_pool_create(&ep, p);
    while (!err && apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        const char *child;
        int child_gone, row;

        if (strcmp(fi.name, ".") == 0 || strcmp(fi.name, "..") == 0
            || (depth == 0 && strcmp(fi.name, ".tmp") == 0))
            continue;
        apr_pool_clear(ep);
        child = depth ? apr_pstrcat(ep, rel, "/", fi.name, NULL) : apr_pstrdup(ep, fi.name);
        if (apr_stat(&fi, apr_pstrcat(ep, c->root, "/", child, NULL), FSCK_FINFO, ep)
            != APR_SUCCESS)
            continue;
        if (fi.filetype == APR_DIR && fsck_is_other_root(c, &fi)) {
            kept++;
        } else if (fi.filetype != APR_DIR) {
            /* a stray file above the session folders: no import puts one there */
            c->sum->files++;
            if (!arca_fsck_settled(&fi, c->cutoff)) {
                c->sum->recent++;
                kept++;
            } else {
                kept += !fsck_orphan(c, ep, ARCA_FSCK_ORPHAN_FILE, child, &fi, 0);
            }
        } else if (depth + 1 < DEPTH) {
            if (!(err = walk(c, ep, child, depth + 1, &fi, &child_gone)))
                kept += !child_gone;
        } else if (!(err = has_row(c, ep, child, &row)) && !row) {
            if (!tree_settled(c, ep, apr_pstrcat(ep, c->root, "/", child, NULL), &fi)) {
                c->sum->recent++; /* an import may still be receiving it */
                kept++;
            } else {
                kept += !fsck_orphan(c, ep, ARCA_FSCK_ORPHAN_FOLDER, child, &fi, 1);
            }
        } else {
            kept++;
        }
    }
    apr_dir_close(d);
    apr_pool_destroy(ep);
    if (!err && depth && kept == 0 && c->o->remove_orphans
        && arca_fsck_settled(dir_fi, c->cutoff))
        *gone = fsck_prune(c, p, rel);
    return err;
}

/* A row's folder, looked at again after the row is read once more (a DELETE commits before
 * it removes the folder). */
static arca_error_t *check_row(fsck_ctx *c, apr_pool_t *p, PGresult *res, int i)
{
    const char *id = PQgetvalue(res, i, 0);
    const char *rel = apr_pstrcat(p, PQgetvalue(res, i, 1), "/", PQgetvalue(res, i, 2), "/",
                                  PQgetvalue(res, i, 3), NULL);
    arca_fsck_finding_t f = {ARCA_FSCK_MISSING_FOLDER, ARCA_FSCK_REPORTED, c->root_name, rel,
                             NULL, 0, 0, NULL};
    apr_finfo_t fi;
    PGresult *again;
    arca_error_t *err;

    c->sum->rows++;
    if (!arca_safe_relpath(rel)) {
        f.kind = ARCA_FSCK_BAD_PATH;
        fsck_report(c, &f);
        return ARCA_OK;
    }
    if (apr_stat(&fi, apr_pstrcat(p, c->root, "/", rel, NULL), APR_FINFO_TYPE, p)
        == APR_SUCCESS && fi.filetype == APR_DIR)
        return ARCA_OK;
    if ((err = arca_db_query(c->db, p, &again, "SELECT 1 FROM arca_prearchive WHERE id = "
                             "$1::bigint", 1, &id)))
        return err;
    if (PQntuples(again) == 0
        || (apr_stat(&fi, apr_pstrcat(p, c->root, "/", rel, NULL), APR_FINFO_TYPE, p)
            == APR_SUCCESS && fi.filetype == APR_DIR))
        return ARCA_OK;
    fsck_report(c, &f);
    return ARCA_OK;
}

static arca_error_t *rows(fsck_ctx *c, apr_pool_t *p)
{
    return fsck_each_row(c, p, "SELECT id, project, timestamp, folder FROM arca_prearchive "
                         "WHERE id > $1::bigint ORDER BY id LIMIT " PAGE, check_row);
}

arca_error_t *fsck_prearchive(fsck_ctx *c, apr_pool_t *p)
{
    apr_pool_t *wp;
    apr_finfo_t fi;
    int gone;
    arca_error_t *err;

    if ((err = rows(c, p)))
        return err;
    apr_pool_create(&wp, p);
    memset(&fi, 0, sizeof fi);
    err = walk(c, wp, "", 0, &fi, &gone);
    apr_pool_destroy(wp);
    return err;
}
