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

/* Why this thread's last open_conn failed (libpq's reason, never the connection string,
 * which may hold a password). apr_reslist_acquire() opens a connection in the thread that
 * asks for it but hands back only a status, so the reason waits here for that thread. */
static _Thread_local char open_error[256];

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
        apr_cpystrn(open_error, err->message, sizeof open_error); /* see take() */
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

/* Takes a connection from the pool, given back when p is cleaned. On failure *why is the
 * reason a connection could not be opened, or NULL if none was tried. */
static apr_status_t take(apr_reslist_t *pool, apr_pool_t *p, arca_db_t **db,
                         const char **why)
{
    void *resource = NULL;
    lease_t *lease;
    apr_status_t rv;

    *why = NULL;
    open_error[0] = '\0';
    rv = apr_reslist_acquire(pool, &resource);
    if (rv != APR_SUCCESS || resource == NULL) {
        if (open_error[0])
            *why = apr_pstrdup(p, open_error);
        return rv != APR_SUCCESS ? rv : APR_EGENERAL;
    }
    lease = apr_palloc(p, sizeof *lease);
    lease->pool = pool;
    lease->db = resource;
    lease->scratch = p;
    apr_pool_pre_cleanup_register(p, lease, release_conn);
    *db = resource;
    return APR_SUCCESS;
}

arca_error_t *arca_db_pool_lease(server_rec *s, apr_pool_t *p, arca_db_t **db)
{
    arca_core_conf *conf = arca_core_conf_get(s);
    const char *why;

    *db = NULL;
    if (conf->pool == NULL)
        return arca_error_create(p, 503, "the database is unavailable: no connection pool "
                                 "in this process");
    if (take(conf->pool, p, db, &why) != APR_SUCCESS)
        return arca_error_create(p, 503, "%s", why ? why : "the database is unavailable");
    return ARCA_OK;
}

arca_error_t *arca_db_pool_acquire(request_rec *r, arca_db_t **db)
{
    arca_core_conf *conf = arca_core_conf_get(r->server);
    const char *why;
    apr_status_t rv;

    *db = NULL;
    if (conf->pool == NULL)
        return arca_error_create(r->pool, 503, "the database is unavailable: no connection "
                                 "pool in this process (see the error log)");
    if ((rv = take(conf->pool, r->pool, db, &why)) != APR_SUCCESS) {
        /* libpq's reason goes to the log only: it names hosts and users */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, ARCA_LOGNO(10011)
                      "cannot get a database connection: %s",
                      why ? why : "the connection pool gave none");
        return arca_error_create(r->pool, 503, "the database is unavailable; try again "
                                 "shortly");
    }
    return ARCA_OK;
}
