/* The entry point of the /data tree: resolve, then dispatch on what the path names. */
#include <httpd.h>
#include <http_log.h>
#include <string.h>

#include <apr_strings.h>

#include "data.h"
#include "filestore.h"
#include "handlers.h"
#include "listing.h"

extern module AP_MODULE_DECLARE_DATA arca_rest_module;
APLOG_USE_MODULE(arca_rest);

int handle_data(request_rec *r, const route_match *m)
{
    arca_db_t *db;
    arca_location_t loc;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = arca_locate(db, r->pool, m->segments, m->nsegments, &loc)))
        return arca_http_error(r, err);
    if (loc.share_project)
        return data_share(r, db, &loc);
    if (loc.kind == ARCA_KIND_FILE)
        return data_files(r, db, &loc);
    if (loc.kind == ARCA_KIND_RESOURCE)
        return data_resource(r, db, &loc);
    return data_object(r, db, &loc);
}

int data_send_listing(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    arca_listing_query_t q = {loc, arca_http_args(r)};
    arca_resultset_t *rs;
    arca_format_t fmt;
    arca_error_t *err;

    if ((err = arca_http_format(r, ARCA_FORMAT_HTML, &fmt))
        || (err = arca_listing(db, r->pool, &q, &rs)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_HTML);
}

arca_error_t *data_in_transaction(request_rec *r, arca_db_t *db, data_txn_fn body,
                                  void *baton)
{
    arca_error_t *err = arca_db_begin(db, r->pool);

    if (err)
        return err;
    if ((err = body(r, db, baton)) == ARCA_OK && (err = arca_db_commit(db, r->pool)) == ARCA_OK)
        return ARCA_OK;
    arca_db_rollback(db, r->pool);
    return err;
}

void data_remove_dirs(request_rec *r, const apr_array_header_t *dirs)
{
    const arca_site_t *site = arca_core.site_get(r);

    if (site->archive == NULL)
        return;
    for (int i = 0; i < dirs->nelts; i++) {
        const char *rel = APR_ARRAY_IDX(dirs, i, const char *);
        arca_error_t *err;
        if (!arca_safe_relpath(rel))
            continue; /* never follow a path out of the archive */
        char *dir = apr_pstrcat(r->pool, site->archive, "/", rel, NULL), *slash;
        err = arca_remove_tree(r->pool, dir);
        if (err) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, ARCA_LOGNO(10110)
                          "could not remove a deleted resource's directory: %s",
                          err->message);
            continue;
        }
        /* then the parents it leaves empty (SCANS/1, RESOURCES, the session...), up to
         * the archive itself; rmdir refuses any that still hold something */
        while ((slash = strrchr(dir, '/')) != NULL && slash > dir + strlen(site->archive)) {
            *slash = '\0';
            if (apr_dir_remove(dir, r->pool) != APR_SUCCESS)
                break;
        }
    }
}
