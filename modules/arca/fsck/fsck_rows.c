/* fsck, rows against files: every arca_file row's file exists with the recorded size. Rows
 * come in keyset pages (by pk), each page a fresh snapshot, so no transaction stays open
 * over a long run and memory holds one page. */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "fsck/fsck_internal.h"

#define PAGE "1000"

enum { ROW_OK, ROW_MISSING, ROW_WRONG_SIZE, ROW_UNCHECKABLE, ROW_RECENT };

/* What the disk says about one row's file (stat follows links: a link to the bytes is
 * fine as long as they are there). */
static int judge(fsck_ctx *c, apr_pool_t *p, const char *abs, apr_off_t recorded,
                 apr_finfo_t *fi, const char **reason)
{
    char buf[128];
    apr_status_t rv = apr_stat(fi, abs, APR_FINFO_TYPE | APR_FINFO_SIZE | APR_FINFO_MTIME
                               | APR_FINFO_CTIME, p);

    if (APR_STATUS_IS_ENOENT(rv) || APR_STATUS_IS_ENOTDIR(rv))
        return ROW_MISSING;
    if (rv != APR_SUCCESS) {
        *reason = apr_pstrdup(p, apr_strerror(rv, buf, sizeof buf));
        return ROW_UNCHECKABLE;
    }
    if (fi->filetype != APR_REG)
        return ROW_MISSING;
    if (fi->size == recorded)
        return ROW_OK;
    /* an overwrite in progress puts the new file in place before its row commits */
    return arca_fsck_settled(fi, c->cutoff) ? ROW_WRONG_SIZE : ROW_RECENT;
}

/* A finding is confirmed against the row as it is now: a file deleted (or replaced) by a
 * request that committed after this page was read is no damage. */
static arca_error_t *confirm(fsck_ctx *c, apr_pool_t *p, const char *pk, const char *abs,
                             int *verdict, apr_finfo_t *fi, apr_off_t *recorded,
                             const char **reason)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(c->db, p, &res, "SELECT size FROM arca_file WHERE pk = "
                                      "$1::bigint", 1, &pk);

    if (err)
        return err;
    if (PQntuples(res) == 0) {
        *verdict = ROW_OK; /* deleted meanwhile */
        return ARCA_OK;
    }
    *recorded = (apr_off_t)apr_atoi64(PQgetvalue(res, 0, 0));
    *verdict = judge(c, p, abs, *recorded, fi, reason);
    return ARCA_OK;
}

static arca_error_t *check_row(fsck_ctx *c, apr_pool_t *p, PGresult *res, int i)
{
    const char *pk = PQgetvalue(res, i, 0), *resource = PQgetvalue(res, i, 1);
    const char *dir = PQgetvalue(res, i, 2), *path = PQgetvalue(res, i, 3);
    apr_off_t recorded = (apr_off_t)apr_atoi64(PQgetvalue(res, i, 4));
    const char *abs = arca_fsck_row_path(p, c->root, dir, path);
    arca_fsck_finding_t f = {ARCA_FSCK_BAD_PATH, ARCA_FSCK_REPORTED, c->root_name,
                             apr_pstrcat(p, dir, "/", path, NULL), resource, 0, recorded, NULL};
    apr_finfo_t fi;
    int verdict;
    arca_error_t *err;

    c->sum->rows++;
    if (abs == NULL) {
        fsck_report(c, &f);
        return ARCA_OK;
    }
    verdict = judge(c, p, abs, recorded, &fi, &f.reason);
    if (verdict != ROW_OK && verdict != ROW_RECENT
        && (err = confirm(c, p, pk, abs, &verdict, &fi, &f.recorded, &f.reason)))
        return err;
    switch (verdict) {
    case ROW_OK:
        return ARCA_OK;
    case ROW_RECENT:
        c->sum->recent++;
        return ARCA_OK;
    case ROW_MISSING:
        f.kind = ARCA_FSCK_MISSING_FILE;
        break;
    case ROW_WRONG_SIZE:
        f.kind = ARCA_FSCK_WRONG_SIZE;
        f.size = fi.size;
        break;
    default:
        f.kind = ARCA_FSCK_UNCHECKABLE;
        break;
    }
    fsck_report(c, &f);
    return ARCA_OK;
}

arca_error_t *fsck_rows(fsck_ctx *c, apr_pool_t *p)
{
    return fsck_each_row(c, p, "SELECT f.pk, f.resource_pk, r.dir, f.path, f.size FROM "
                         "arca_file f JOIN arca_resource r ON r.pk = f.resource_pk WHERE "
                         "f.pk > $1::bigint ORDER BY f.pk LIMIT " PAGE, check_row);
}
