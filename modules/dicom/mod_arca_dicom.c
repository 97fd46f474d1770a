/* mod_arca_dicom: Arca's DICOM network services. The listener is a daemon that httpd
 * starts, supervises and stops, the way mod_cgid runs its own: forked from the parent in
 * post_config, restarted when it dies (after a pause that grows while it keeps dying at
 * once), killed when the configuration pool goes (stop, restart), and gone by itself
 * when its parent is. It binds its ports first, then drops to httpd's User. The protocol
 * is libarca's (dicom_net.h, dicom_service.h); this file only wires it into httpd. */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_core.h>
#include <http_main.h>
#include <ap_listen.h>
#include <apr_signal.h>
#include <mpm_common.h>
#include <unixd.h>
#include <apr_thread_proc.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "dicom_config.h"
#include "store/digest_fill.h"
#include "dicom/dicom_net.h"
#include "dicom_scp_rest.h"
#include "dicom/dicom_service.h"

APLOG_USE_MODULE(arca_dicom);

/* the parent's: what a restart of the daemon needs */
static apr_pool_t *daemon_pool;
static server_rec *daemon_server;
static apr_time_t daemon_started;
static int quick_deaths;
static int start_delay;               /* seconds the next daemon waits before it binds */
static volatile int stopping;

const char *dicom_status_file(apr_pool_t *p)
{
    return ap_runtime_dir_relative(p, "arca-dicom/status.json");
}

/* ---- the daemon ---------------------------------------------------------------------- */

static void on_signal(int sig)
{
    stopping = 1;
}

/* httpd's logging needs a thread it knows (its thread-local "current thread"): the
 * association threads are libarca's, and the daemon's main thread is a fork's copy of
 * the parent's. Once the listener runs, its lines wait in a small queue that the watcher
 * thread, made by httpd, writes out. */
#define LOG_QUEUE 256
typedef struct {
    int level;
    char msg[600];
} queued_line;
static queued_line log_queue[LOG_QUEUE];
static int log_head, log_count, log_dropped;
static apr_thread_mutex_t *log_mutex;

static void log_line(void *baton, int level, int logno, const char *msg)
{
    if (log_mutex == NULL) {
        ap_log_error(APLOG_MARK, level, 0, baton, "ARCA%05d: %s", logno, msg);
        return;
    }
    apr_thread_mutex_lock(log_mutex);
    if (log_count < LOG_QUEUE) {
        queued_line *q = &log_queue[(log_head + log_count++) % LOG_QUEUE];
        q->level = level;
        snprintf(q->msg, sizeof q->msg, "ARCA%05d: %s", logno, msg);
    } else {
        log_dropped++;
    }
    apr_thread_mutex_unlock(log_mutex);
}

static void drain_log(server_rec *s)
{
    queued_line line;
    int dropped;

    for (;;) {
        apr_thread_mutex_lock(log_mutex);
        if (log_count == 0) {
            dropped = log_dropped;
            log_dropped = 0;
            apr_thread_mutex_unlock(log_mutex);
            break;
        }
        line = log_queue[log_head];
        log_head = (log_head + 1) % LOG_QUEUE;
        log_count--;
        apr_thread_mutex_unlock(log_mutex);
        ap_log_error(APLOG_MARK, line.level, 0, s, "%s", line.msg);
    }
    if (dropped)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, ARCA_LOGNO(10309)
                     "DICOM listener: %d log lines dropped (too many at once)", dropped);
}

typedef struct {
    server_rec *s;
    pid_t parent;
} watcher_t;

/* Writes the queued log lines, and stops the listener when the parent has gone (killed
 * hard: nobody else would). */
static void *APR_THREAD_FUNC watch(apr_thread_t *t, void *data)
{
    watcher_t *w = data;
    int ticks = 0;

    while (!stopping) {
        drain_log(w->s);
        if (++ticks % 5 == 0 && getppid() != w->parent)
            stopping = 1;
        apr_sleep(apr_time_from_msec(100));
    }
    drain_log(w->s);
    return NULL;
}

static void *APR_THREAD_FUNC take_digests(apr_thread_t *t, void *data)
{
    arca_digester_run(data);
    return NULL;
}

static void daemon_main(server_rec *s, apr_pool_t *p)
{
    dicom_conf *conf = dicom_conf_get(s);
    APR_OPTIONAL_FN_TYPE(arca_server_site) *server_site =
        APR_RETRIEVE_OPTIONAL_FN(arca_server_site);
    arca_dnet_listener_cfg_t *ls;
    arca_dnet_config_t cfg;
    arca_dicom_site_t site;
    const arca_site_t *arca;
    arca_dnet_service_t *svc;
    arca_dnet_t *net;
    pid_t parent = getppid();
    apr_thread_t *watcher, *digester = NULL;
    arca_digester_t dg;
    watcher_t *w;
    apr_status_t rv;
    arca_error_t *err;

    apr_signal(SIGTERM, on_signal);
    apr_signal(SIGINT, on_signal);
    /* httpd signals its process group on restarts; the parent ends us itself */
    apr_signal(SIGHUP, SIG_IGN);
    apr_signal(SIGUSR1, SIG_IGN);
    apr_signal(SIGWINCH, SIG_IGN);
    apr_signal(SIGPIPE, SIG_IGN);
    ap_close_listeners();
    for (int i = 0; i < start_delay * 10 && !stopping && getppid() == parent; i++)
        apr_sleep(apr_time_from_msec(100));
    memset(&cfg, 0, sizeof cfg);
    cfg.nlisteners = conf->receivers->nelts;
    cfg.listeners = ls = apr_pcalloc(p, sizeof *ls * (size_t)cfg.nlisteners);
    for (int i = 0; i < cfg.nlisteners; i++) {
        arca_dicom_receiver_t *r = APR_ARRAY_IDX(conf->receivers, i, arca_dicom_receiver_t *);
        ls[i].ae_title = r->ae_title;
        ls[i].host = r->host;
        ls[i].port = r->port;
        ls[i].receiver = r;
    }
    cfg.peers = (const arca_dnet_peer_t *)conf->peers->elts;
    cfg.npeers = conf->peers->nelts;
    cfg.max_associations = conf->max_associations;
    cfg.max_per_peer = conf->max_per_peer;
    cfg.timeout = conf->timeout;
    cfg.artim_timeout = conf->artim_timeout;
    cfg.max_object = (apr_size_t)conf->max_object;
    if ((err = arca_dnet_bind(p, &cfg, &net))) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, ARCA_LOGNO(10301) "DICOM listener: %s",
                     err->message);
        return;
    }
    if (ap_run_drop_privileges(p, s)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, ARCA_LOGNO(10302)
                     "DICOM listener: cannot drop privileges");
        return;
    }
    memset(&site, 0, sizeof site);
    arca = server_site(s, &site.conninfo);
    site.site_id = arca->site_id;
    site.archive = arca->archive;
    site.prearchive = arca->prearchive;
    site.status_file = dicom_status_file(p);
    site.log = log_line;
    site.log_baton = s;
    if ((err = arca_dicom_service_make(p, &site, (arca_dicom_receiver_t *const *)
                                       conf->receivers->elts, conf->receivers->nelts, &svc)))
        return;
    for (int i = 0; i < cfg.nlisteners; i++)
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, ARCA_LOGNO(10303)
                     "DICOM listener: %s on %s:%d (pid %d)", ls[i].ae_title, ls[i].host,
                     ls[i].port, (int)getpid());
    w = apr_palloc(p, sizeof *w);
    w->s = s;
    w->parent = parent;
    if (apr_thread_mutex_create(&log_mutex, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS
        || ap_thread_create(&watcher, NULL, watch, w, p) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, ARCA_LOGNO(10399) "DICOM listener: cannot "
                     "start its watcher thread");
        return;
    }
    /* the digests of what is received into the archive, taken when cores are idle */
    dg = (arca_digester_t){site.conninfo, site.archive, &stopping, log_line, s};
    if (site.archive && ap_thread_create(&digester, NULL, take_digests, &dg, p) != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, ARCA_LOGNO(10362) "DICOM listener: "
                     "cannot start its digest thread: received files keep an empty digest");
    if ((err = arca_dnet_serve(net, svc, &stopping, 3)))
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, ARCA_LOGNO(10308) "DICOM listener: %s",
                     err->message);
    stopping = 1;
    if (digester)
        apr_thread_join(&rv, digester);
    apr_thread_join(&rv, watcher);
    log_mutex = NULL;
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, ARCA_LOGNO(10304)
                 "DICOM listener stopped (pid %d)", (int)getpid());
}

/* ---- supervision (in httpd's parent) -------------------------------------------------- */

static int start_daemon(void);

static void daemon_maintenance(int reason, void *data, apr_wait_t status)
{
    apr_proc_t *proc = data;

    switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST:
        apr_proc_other_child_unregister(data);
        if (stopping)
            break;
        /* dying within a minute of its start, again and again: wait longer each time */
        if (apr_time_now() - daemon_started < apr_time_from_sec(60))
            quick_deaths++;
        else
            quick_deaths = 0;
        start_delay = quick_deaths <= 1 ? 0 : quick_deaths > 6 ? 60 : 1 << (quick_deaths - 1);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, daemon_server, ARCA_LOGNO(10305)
                     "DICOM listener (pid %d) died; restarting it%s", (int)proc->pid,
                     start_delay ? apr_psprintf(daemon_pool, " in %d s", start_delay) : "");
        start_daemon();
        break;
    case APR_OC_REASON_RESTART:
    case APR_OC_REASON_UNREGISTER:
        break;
    }
}

static int start_daemon(void)
{
    apr_proc_t *proc = apr_palloc(daemon_pool, sizeof *proc);
    apr_status_t rv = apr_proc_fork(proc, daemon_pool);

    daemon_started = apr_time_now();
    if (rv == APR_INCHILD) {
        apr_pool_t *p;
        apr_pool_create(&p, daemon_pool);
        daemon_main(daemon_server, p);
        _exit(0); /* the parent's cleanups are not ours to run */
    }
    if (rv != APR_INPARENT) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, daemon_server, ARCA_LOGNO(10306)
                     "cannot fork the DICOM listener");
        return DECLINED;
    }
    apr_pool_note_subprocess(daemon_pool, proc, APR_KILL_AFTER_TIMEOUT);
    apr_proc_other_child_register(proc, daemon_maintenance, proc, NULL, daemon_pool);
    return OK;
}

/* The status directory, writable by the daemon once it runs as httpd's User. */
static void status_dir(apr_pool_t *p, server_rec *s)
{
    const char *dir = ap_runtime_dir_relative(p, "arca-dicom");

    apr_dir_make(dir, APR_FPROT_OS_DEFAULT, p);
    if (geteuid() == 0 && chown(dir, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0)
        ap_log_error(APLOG_MARK, APLOG_WARNING, errno, s, ARCA_LOGNO(10307)
                     "cannot hand %s to httpd's User: no receiver status", dir);
}

static int dicom_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                             server_rec *s)
{
    dicom_conf *conf = dicom_conf_get(s);

    /* httpd reads its configuration twice at start; fork only on the real pass */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    if (conf->receivers->nelts == 0)
        return OK;
    if (APR_RETRIEVE_OPTIONAL_FN(arca_server_site) == NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, ARCA_LOGNO(10300)
                     "mod_arca_dicom needs mod_arca, loaded before it");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    daemon_pool = pconf;
    daemon_server = s;
    quick_deaths = 0;
    start_delay = 0;
    stopping = 0;
    status_dir(pconf, s);
    return start_daemon();
}

static void dicom_optional_fns(void)
{
    arca_core_api_retrieve();
}

static void dicom_register_hooks(apr_pool_t *p)
{
    static const char *const after[] = {"mod_arca.c", NULL};

    arca_http_init(&arca_dicom_module);
    ap_hook_post_config(dicom_post_config, after, NULL, APR_HOOK_MIDDLE);
    ap_hook_optional_fn_retrieve(dicom_optional_fns, NULL, NULL,
                                 APR_HOOK_MIDDLE);
    ap_hook_handler(dicom_scp_handler, NULL, NULL, APR_HOOK_FIRST);
}

module AP_MODULE_DECLARE_DATA arca_dicom_module = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    dicom_create_server_conf,
    NULL,
    dicom_directives,
    dicom_register_hooks,
    AP_MODULE_FLAG_NONE
};
