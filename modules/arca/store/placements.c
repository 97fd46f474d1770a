/* Undoable placements (see placements.h). */
#include <string.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "store/placements.h"

typedef struct {
    const char *final, *kept;
} replaced_t;

struct arca_placements_t {
    apr_pool_t *pool;
    apr_array_header_t *placed;   /* const char *, in order */
    apr_hash_t *placed_set;       /* the same, to look up */
    apr_array_header_t *replaced; /* replaced_t */
};

arca_placements_t *arca_placements_make(apr_pool_t *p)
{
    arca_placements_t *pl = apr_pcalloc(p, sizeof *pl);

    pl->pool = p;
    pl->placed = apr_array_make(p, 16, sizeof(const char *));
    pl->placed_set = apr_hash_make(p);
    pl->replaced = apr_array_make(p, 4, sizeof(replaced_t));
    return pl;
}

int arca_placements_has(const arca_placements_t *pl, const char *final_path)
{
    return apr_hash_get(pl->placed_set, final_path, APR_HASH_KEY_STRING) != NULL;
}

arca_error_t *arca_placements_put(arca_placements_t *pl, arca_upload_t *up, const char *tmpdir,
                                  const char *final_path, int durable)
{
    const char *final = apr_pstrdup(pl->pool, final_path);
    arca_error_t *err;
    apr_status_t rv;

    /* what is there, unless these placements put it (a file sent twice in one request) */
    if (!arca_placements_has(pl, final)) {
        replaced_t r = {final, apr_psprintf(pl->pool, "%s/arca-replaced-%" APR_PID_T_FMT
                                            "-%pp-%d", tmpdir, getpid(), (void *)pl,
                                            pl->replaced->nelts)};
        apr_finfo_t fi;
        rv = apr_file_link(final, r.kept);
        /* a filesystem without hard links: move it aside (readers miss it a moment) */
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv) && !APR_STATUS_IS_ENOTDIR(rv)
            && apr_stat(&fi, final, APR_FINFO_LINK | APR_FINFO_TYPE, pl->pool) == APR_SUCCESS)
            rv = fi.filetype == APR_DIR ? APR_ENOENT /* a directory: the commit says 409 */
                 : apr_file_rename(final, r.kept, pl->pool);
        if (rv == APR_SUCCESS)
            APR_ARRAY_PUSH(pl->replaced, replaced_t) = r;
        else if (!APR_STATUS_IS_ENOENT(rv) && !APR_STATUS_IS_ENOTDIR(rv)) {
            arca_upload_abort(up);
            return arca_error_create(pl->pool, 500, "cannot keep the file an upload "
                                     "replaces (error %d)", rv);
        }
    }
    if ((err = durable ? arca_upload_commit(up, final, 1) : arca_upload_place(up, final)))
        return err;
    APR_ARRAY_PUSH(pl->placed, const char *) = final;
    apr_hash_set(pl->placed_set, final, APR_HASH_KEY_STRING, final);
    return ARCA_OK;
}

apr_array_header_t *arca_placements_dirs(const arca_placements_t *pl, apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));

    for (int i = 0; i < pl->placed->nelts; i++) {
        const char *f = APR_ARRAY_IDX(pl->placed, i, const char *), *slash = strrchr(f, '/');
        if (slash)
            APR_ARRAY_PUSH(out, const char *) = apr_pstrndup(p, f, (apr_size_t)(slash - f));
    }
    return out;
}

void arca_placements_rollback(arca_placements_t *pl)
{
    for (int i = 0; i < pl->placed->nelts; i++)
        apr_file_remove(APR_ARRAY_IDX(pl->placed, i, const char *), pl->pool);
    for (int i = pl->replaced->nelts - 1; i >= 0; i--) {
        const replaced_t *r = &APR_ARRAY_IDX(pl->replaced, i, replaced_t);
        apr_file_rename(r->kept, r->final, pl->pool);
    }
    apr_array_clear(pl->placed);
    apr_array_clear(pl->replaced);
    pl->placed_set = apr_hash_make(pl->pool);
}

void arca_placements_done(arca_placements_t *pl)
{
    for (int i = 0; i < pl->replaced->nelts; i++)
        apr_file_remove(APR_ARRAY_IDX(pl->replaced, i, replaced_t).kept, pl->pool);
    apr_array_clear(pl->replaced);
    /* committed: a later rollback of the same placements (a long-lived import, committed
     * object by object) must not touch these */
    apr_array_clear(pl->placed);
    pl->placed_set = apr_hash_make(pl->pool);
}
