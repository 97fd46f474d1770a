/* The per-child connection pool. A connection broken by a PostgreSQL restart is either
 * repaired by arca_db_query()'s one reconnect or, if the server is still down, dropped
 * when the request ends; the next request opens a fresh one. So the pool heals itself
 * with no httpd restart, and requests in between answer 503. */
#include <httpd.h>
#include <http_log.h>
#include <ap_mpm.h>
#include <apr_strings.h>

#include "db_pool.h"

APLOG_USE_MODULE(arca);

typedef struct {
    const char *conninfo;
    server_rec *server;
    apr_pool_t *pool;
} pool_ctx;

/* The reslist calls this from worker threads at once, outside its lock: each connection
 * lives in a root pool of its own (made from APR's global pool, whose allocator is
 * locked), never in the child's pool, which is not safe to allocate from concurrently. */
static apr_status_t open_conn(void **resource, void *params, apr_pool_t *pool)
{
    pool_ctx *ctx = params;
    apr_pool_t *root;
    arca_db_t *db;
    arca_error_t *err;

    if (apr_pool_create(&root, NULL) != APR_SUCCESS)
        return APR_ENOMEM;
    if ((err = arca_db_open(root, ctx->conninfo, &db))) {
        /* logged by the caller, which has the request */
        apr_pool_destroy(root);
        *resource = NULL;
        return APR_EGENERAL;
    }
    *resource = db;
    return APR_SUCCESS;
}

static apr_status_t close_conn(void *resource, void *params, apr_pool_t *pool)
{
    apr_pool_t *root = apr_pool_parent_get(arca_db_pool(resource));

    arca_db_close(resource);
    apr_pool_destroy(root);
    return APR_SUCCESS;
}

void arca_db_pool_child_init(apr_pool_t *pchild, server_rec *s)
{
    int threads = 1;
    apr_reslist_t *shared = NULL;
    const char *shared_conninfo = NULL;

    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    if (threads < 1)
        threads = 1;
    for (server_rec *vs = s; vs; vs = vs->next) {
        arca_core_conf *conf = arca_core_conf_get(vs);
        pool_ctx *ctx;
        int max;
        apr_status_t rv;

        if (conf->conninfo == NULL)
            continue;
        if (shared && strcmp(shared_conninfo, conf->conninfo) == 0) {
            conf->pool = shared;
            continue;
        }
        ctx = apr_pcalloc(pchild, sizeof *ctx);
        ctx->conninfo = conf->conninfo;
        ctx->server = vs;
        ctx->pool = pchild;
        max = conf->pool_max > 0 ? conf->pool_max : threads;
        /* min 0: a child starting while PostgreSQL is down still starts. */
        rv = apr_reslist_create(&conf->pool, 0, max > 4 ? 4 : max, max,
                                apr_time_from_sec(conf->pool_idle_timeout),
                                open_conn, close_conn, ctx, pchild);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, vs, ARCA_LOGNO(10010)
                         "cannot create the database connection pool");
            conf->pool = NULL;
            continue;
        }
        apr_reslist_cleanup_order_set(conf->pool, APR_RESLIST_CLEANUP_FIRST);
        shared = conf->pool;
        shared_conninfo = conf->conninfo;
    }
}

typedef struct {
    apr_reslist_t *pool;
    arca_db_t *db;
    apr_pool_t *scratch;
} lease_t;

/* Gives the connection back at the end of the request, or drops it if it broke. */
static apr_status_t release_conn(void *data)
{
    lease_t *lease = data;

    arca_db_rollback(lease->db, lease->scratch);
    if (arca_db_usable(lease->db))
        apr_reslist_release(lease->pool, lease->db);
    else
        apr_reslist_invalidate(lease->pool, lease->db);
    return APR_SUCCESS;
}

arca_error_t *arca_db_pool_lease(server_rec *s, apr_pool_t *p, arca_db_t **db)
{
    arca_core_conf *conf = arca_core_conf_get(s);
    void *resource = NULL;
    lease_t *lease;

    *db = NULL;
    if (conf->pool == NULL || apr_reslist_acquire(conf->pool, &resource) != APR_SUCCESS
        || resource == NULL)
        return arca_error_create(p, 503, "the database is unavailable");
    lease = apr_palloc(p, sizeof *lease);
    lease->pool = conf->pool;
    lease->db = resource;
    lease->scratch = p;
    apr_pool_pre_cleanup_register(p, lease, release_conn);
    *db = resource;
    return ARCA_OK;
}

arca_error_t *arca_db_pool_acquire(request_rec *r, arca_db_t **db)
{
    arca_core_conf *conf = arca_core_conf_get(r->server);
    void *resource = NULL;
    lease_t *lease;
    apr_status_t rv;

    *db = NULL;
    if (conf->pool == NULL)
        return arca_error_create(r->pool, 503, "the database is unavailable: no connection "
                                 "pool in this process (see the error log)");
    rv = apr_reslist_acquire(conf->pool, &resource);
    if (rv != APR_SUCCESS || resource == NULL) {
        /* Say why: try once more by hand, which gives libpq's reason for the log. */
        arca_db_t *probe;
        arca_error_t *err = arca_db_open(r->pool, conf->conninfo, &probe);
        if (err == ARCA_OK) {
            arca_db_close(probe);
            err = arca_error_create(r->pool, 503, "the database is unavailable; try again "
                                    "shortly");
        }
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, ARCA_LOGNO(10011)
                      "cannot get a database connection: %s", err->message);
        return arca_error_create(r->pool, 503, "the database is unavailable; try again "
                                 "shortly");
    }
    lease = apr_palloc(r->pool, sizeof *lease);
    lease->pool = conf->pool;
    lease->db = resource;
    lease->scratch = r->pool;
    apr_pool_pre_cleanup_register(r->pool, lease, release_conn);
    *db = resource;
    return ARCA_OK;
}
