/* The sweeper thread. Every child runs one, so that sessions complete whichever children
 * live; an advisory lock in the database (prearchive_sweep.c) lets one sweep at a time.
 * It serves the main server's configuration: its database, ArcaPrearchive and
 * ArcaPrearchiveIdle. */
#include <httpd.h>
#include <http_log.h>
#include <apr_thread_cond.h>
#include <apr_thread_proc.h>

#include "core_config.h"
#include "db_pool.h"
#include "prearchive/prearchive.h"
#include "sweeper.h"

APLOG_USE_MODULE(arca);

#if APR_HAS_THREADS

typedef struct {
    server_rec *server;
    arca_prearchive_sweep_t cfg;
    apr_interval_time_t every;
    apr_pool_t *pool;            /* the thread's, with an allocator of its own */
    apr_thread_t *thread;
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *wake;
    volatile int stop;
    int failing;                 /* the last sweep failed (log changes, not every failure) */
} sweeper_t;

static void sweep_once(sweeper_t *sw)
{
    apr_pool_t *p;
    arca_db_t *db;
    arca_prearchive_swept_t done = {0};
    int busy = 0;
    arca_error_t *err;

    apr_pool_create(&p, sw->pool);
    err = arca_db_pool_lease(sw->server, p, &db);
    if (!err)
        err = arca_prearchive_sweep(db, p, &sw->cfg, &sw->stop, &done, &busy);
    if (err && !sw->failing)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sw->server, ARCA_LOGNO(10031)
                     "prearchive sweep failed (retrying every %d s): %s",
                     (int)apr_time_sec(sw->every), err->message);
    else if (!err && sw->failing)
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, sw->server, ARCA_LOGNO(10032)
                     "prearchive sweep works again");
    sw->failing = err != ARCA_OK;
    if (!err && !busy && (done.built || done.archived || done.failed))
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, sw->server, ARCA_LOGNO(10033)
                     "prearchive sweep: %d session(s) complete, %d archived, %d in error",
                     done.built, done.archived, done.failed);
    apr_pool_destroy(p); /* gives the connection back */
}

static void *APR_THREAD_FUNC run(apr_thread_t *thread, void *data)
{
    sweeper_t *sw = data;

    for (;;) {
        apr_thread_mutex_lock(sw->mutex);
        if (!sw->stop)
            apr_thread_cond_timedwait(sw->wake, sw->mutex, sw->every);
        apr_thread_mutex_unlock(sw->mutex);
        if (sw->stop)
            break;
        sweep_once(sw);
    }
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* A pre-cleanup: it runs before pchild's sub-pools (the thread's among them) are
 * destroyed, and before the connection pool goes. A sweep under way ends after its
 * current session. */
static apr_status_t stop_sweeper(void *data)
{
    sweeper_t *sw = data;
    apr_status_t rv;

    apr_thread_mutex_lock(sw->mutex);
    sw->stop = 1;
    apr_thread_cond_signal(sw->wake);
    apr_thread_mutex_unlock(sw->mutex);
    apr_thread_join(&rv, sw->thread);
    return APR_SUCCESS;
}

void arca_sweeper_child_init(apr_pool_t *pchild, server_rec *s)
{
    arca_core_conf *conf = arca_core_conf_get(s);
    sweeper_t *sw;
    apr_status_t rv;

    if (conf->site.prearchive == NULL || conf->site.archive == NULL || conf->pool == NULL)
        return;
    sw = apr_pcalloc(pchild, sizeof *sw);
    sw->server = s;
    sw->cfg.root = conf->site.prearchive;
    sw->cfg.archive = conf->site.archive;
    sw->cfg.site_id = conf->site.site_id;
    sw->cfg.idle = conf->site.prearchive_idle;
    /* a few times per idle time, between one and five seconds */
    sw->every = apr_time_from_sec(sw->cfg.idle / 2 < 1 ? 1 : sw->cfg.idle / 2 > 5 ? 5
                                  : sw->cfg.idle / 2);
    /* the thread allocates on its own: pchild's allocator is not for sharing */
    rv = arca_pool_create_own(&sw->pool, pchild);
    if (rv == APR_SUCCESS
        && (rv = apr_thread_mutex_create(&sw->mutex, APR_THREAD_MUTEX_DEFAULT, pchild))
               == APR_SUCCESS
        && (rv = apr_thread_cond_create(&sw->wake, pchild)) == APR_SUCCESS)
        rv = apr_thread_create(&sw->thread, NULL, run, sw, sw->pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, ARCA_LOGNO(10030)
                     "cannot start the prearchive sweeper: sessions received object by "
                     "object stay RECEIVING");
        return;
    }
    apr_pool_pre_cleanup_register(pchild, sw, stop_sweeper);
}

#else

void arca_sweeper_child_init(apr_pool_t *pchild, server_rec *s)
{
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, ARCA_LOGNO(10030)
                 "APR without threads: no prearchive sweeper; sessions received object by "
                 "object stay RECEIVING");
}

#endif
