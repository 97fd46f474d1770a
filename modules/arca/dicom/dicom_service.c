/* The DICOM listener's services (see dicom_service.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <jansson.h>

#include "access/account.h"
#include "base/arca.h"
#include "access/authz.h"
#include "dicom/dicom_query.h"
#include "dicom/dicom_service.h"
#include "import/import.h"
#include "import/import_deid.h"

typedef struct {
    int associations, active, stored, refused;
    apr_time_t last_activity;
    const char *last_error;       /* in the service's pool, replaced under the mutex */
} counters_t;

typedef struct {
    apr_pool_t *pool;
    arca_dicom_site_t site;
    arca_dicom_receiver_t *const *receivers;
    int n;
    counters_t *counters;
    apr_thread_mutex_t *mutex;
    arca_dnet_service_t svc;
} service_t;

/* One association's state; used by its thread only. */
typedef struct {
    service_t *sv;
    const arca_dicom_receiver_t *rcv;
    apr_pool_t *pool;             /* own allocator: threads do not share one */
    arca_db_t *db;
    const arca_account_t *who;
    int may_store;                /* the user may write to the receiver's project */
    const arca_deid_program *site_script;
    apr_pool_t *imp_pool;
    arca_import_t *imp;           /* archive: goes on over the association */
} assoc_t;

static void say(service_t *sv, int level, int logno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void say(service_t *sv, int level, int logno, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (sv->site.log)
        sv->site.log(sv->site.log_baton, level, logno, buf);
}

/* ---- status file ------------------------------------------------------------------------ */

/* Called with the mutex held. Written to a temp file and renamed: readers see a whole one. */
static void write_status(service_t *sv)
{
    json_t *all = json_array();
    char *text;
    apr_pool_t *p;
    apr_file_t *f;
    const char *tmp;

    if (sv->site.status_file == NULL)
        return;
    for (int i = 0; i < sv->n; i++) {
        const counters_t *c = &sv->counters[i];
        char when[APR_RFC822_DATE_LEN] = "";
        if (c->last_activity)
            apr_rfc822_date(when, c->last_activity);
        json_array_append_new(all, json_pack("{s:s, s:i, s:i, s:i, s:i, s:s, s:s?}",
            "aeTitle", sv->receivers[i]->ae_title, "associations", c->associations,
            "activeAssociations", c->active, "stored", c->stored, "refused", c->refused,
            "lastActivity", when, "lastError", c->last_error));
    }
    text = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    apr_pool_create(&p, NULL);
    tmp = apr_pstrcat(p, sv->site.status_file, ".tmp", NULL);
    if (text && apr_file_open(&f, tmp, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                              APR_FPROT_OS_DEFAULT, p) == APR_SUCCESS) {
        apr_file_puts(text, f);
        apr_file_close(f);
        apr_file_rename(tmp, sv->site.status_file, p);
    }
    free(text);
    apr_pool_destroy(p);
}

static void count(assoc_t *as, int associations, int active, int stored, int refused,
                  const char *error)
{
    service_t *sv = as->sv;
    counters_t *c = &sv->counters[as->rcv->index];

    apr_thread_mutex_lock(sv->mutex);
    c->associations += associations;
    c->active += active;
    c->stored += stored;
    c->refused += refused;
    c->last_activity = apr_time_now();
    if (error) /* a few per failure at most: the pool's growth is bounded by failures */
        c->last_error = apr_pstrdup(sv->pool, error);
    if (associations || active || error)
        write_status(sv);
    apr_thread_mutex_unlock(sv->mutex);
}

/* ---- associations ----------------------------------------------------------------------- */

static int on_accept(void *baton, void *receiver, const char *calling, const char *peer,
                     const char **why)
{
    const arca_dicom_receiver_t *rcv = receiver;

    if (rcv->callers == NULL)
        return 1;
    for (int i = 0; i < rcv->callers->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(rcv->callers, i, const char *), calling) == 0)
            return 1;
    *why = "calling AE title not allowed (ArcaDicomReceiver callers=)";
    return 0;
}

/* The connection and the user, on first need (an echo needs neither). */
static arca_error_t *ready(assoc_t *as)
{
    arca_account_t *who = NULL;
    arca_error_t *err;
    int allowed = 1, visible;

    if (as->db)
        return ARCA_OK;
    if ((err = arca_db_open(as->pool, as->sv->site.conninfo, &as->db)))
        return err;
    /* sync=off: the commit does not wait for the database's log to reach the disk either */
    if (as->rcv->no_sync && (err = arca_db_query(as->db, as->pool, NULL,
                                                 "SET synchronous_commit = off", 0, NULL)))
        return err;
    if (as->rcv->user && (err = arca_account_find(as->db, as->pool, as->rcv->user, &who)))
        return err;
    if (as->rcv->user && who == NULL)
        say(as->sv, ARCA_DNET_ERR, 10350, "ArcaDicomReceiver %s: user '%s' has no account; "
             "serving as anonymous", as->rcv->ae_title, as->rcv->user);
    as->who = who;
    if (as->rcv->project
        && (err = arca_can_project(as->db, as->pool, who, as->rcv->project, ARCA_EDIT,
                                   &allowed, &visible)))
        return err;
    as->may_store = allowed && !arca_is_disabled(who);
    return ARCA_OK;
}

static arca_error_t *on_open(void *baton, arca_dnet_assoc_t *a)
{
    service_t *sv = baton;
    assoc_t *as;
    apr_pool_t *p;

    if (arca_pool_create_own(&p, NULL) != APR_SUCCESS) /* the association's thread's */
        return arca_error_create(sv->pool, 500, "out of memory");
    as = apr_pcalloc(p, sizeof *as);
    as->sv = sv;
    as->rcv = a->receiver;
    as->pool = p;
    a->state = as;
    count(as, 1, 1, 0, 0, NULL);
    return ARCA_OK;
}

static void drop_import(assoc_t *as)
{
    if (as->imp_pool)
        apr_pool_destroy(as->imp_pool);
    as->imp_pool = NULL;
    as->imp = NULL;
}

static void on_close(arca_dnet_assoc_t *a, int released)
{
    assoc_t *as = a->state;

    drop_import(as);
    count(as, 0, -1, 0, 0, NULL);
    apr_pool_destroy(as->pool); /* closes the connection */
}

/* ---- C-STORE ----------------------------------------------------------------------------- */

typedef struct {
    const char *data;
    apr_size_t len;
} mem_reader;

static arca_error_t *mem_read(void *baton, const void **data, apr_size_t *len)
{
    mem_reader *m = baton;

    *data = m->data;
    *len = m->len;
    m->len = 0; /* all of it at once, then the end */
    return ARCA_OK;
}

static arca_error_t *begin_import(assoc_t *as)
{
    arca_import_options_t o;
    apr_time_exp_t t;

    if (as->imp)
        return ARCA_OK;
    apr_pool_create(&as->imp_pool, as->pool);
    memset(&o, 0, sizeof o);
    o.site_id = as->sv->site.site_id;
    o.archive = as->sv->site.archive;
    o.prearchive = as->sv->site.prearchive;
    o.project = as->rcv->project;
    o.user = as->rcv->user ? as->rcv->user : "";
    o.who = as->who; /* the receiver's user=: its rights decide where objects may go */
    o.site_script = as->site_script;
    /* objects in transactions of their own, digests taken by the listener's digest
     * thread (digest_fill.h), prearchive sessions RECEIVING until idle */
    o.mode = as->rcv->no_sync ? ARCA_IMPORT_RECEIVER_UNSYNCED : ARCA_IMPORT_RECEIVER;
    o.to_prearchive = as->rcv->to_prearchive;
    o.overwrite = ARCA_OVERWRITE_APPEND;
    o.routing_rules = as->rcv->routing;
    apr_time_exp_gmt(&t, apr_time_now());
    o.timestamp = apr_psprintf(as->imp_pool, "%04d%02d%02d_%02d%02d%02d%03d", t.tm_year + 1900,
                               t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                               t.tm_usec / 1000);
    return arca_import_begin(as->db, as->imp_pool, &o, &as->imp);
}

/* One object, committed before the answer. The import goes on over the association when
 * storing to the archive (its sessions and series are looked up once); into the
 * prearchive each object looks its RECEIVING session up again, which keeps the session's
 * lastmod fresh and never writes into one the sweeper has taken. */
static arca_error_t *store_one(assoc_t *as, const void *data, apr_size_t len, int *bad)
{
    mem_reader m = {data, len};
    int rejected, count;
    arca_error_t *err;

    if ((err = begin_import(as)))
        return err;
    rejected = arca_import_rejected(as->imp)->nelts;
    count = arca_import_count(as->imp);
    /* the import runs the object's transaction itself (ARCA_IMPORT_RECEIVER): one statement
     * for an object of a known series, BEGIN .. COMMIT when it opens a session or series */
    if ((err = arca_import_object(as->imp, NULL, mem_read, &m))) {
        arca_import_abort(as->imp);
        return err;
    }
    if (arca_import_count(as->imp) == count) {
        /* rejected alone (not DICOM, malformed): nothing of it was kept */
        *bad = arca_import_rejected(as->imp)->nelts > rejected;
        return ARCA_OK;
    }
    arca_import_committed(as->imp);
    return ARCA_OK;
}

static unsigned on_store(arca_dnet_assoc_t *a, const char *sop_class, const char *sop_uid,
                         const void *data, apr_size_t len)
{
    assoc_t *as = a->state;
    int bad = 0;
    arca_error_t *err = ready(as);

    if (!err && !as->site_script && (err = arca_import_site_script(as->db, as->pool,
                                                                   &as->site_script)))
        err = arca_error_create(as->pool, err->status, "%s", err->message);
    if (!err && !as->may_store) {
        say(as->sv, ARCA_DNET_WARNING, 10351, "C-STORE from %s (%s) refused: the receiver's "
             "user may not write to project %s", a->calling_ae, a->peer, as->rcv->project);
        count(as, 0, 0, 0, 1, "not authorized to write to the receiver's project");
        return ARCA_DIMSE_REFUSED_NOT_AUTHORIZED;
    }
    /* two associations opening the same subject or session at once: the second meets
     * the first's rows (409, or a deadlock) once it commits, and finds them when it tries
     * again */
    for (int attempt = 0; !err && attempt < 3; attempt++) {
        err = store_one(as, data, len, &bad);
        /* a deadlock between two such transactions is the same race seen earlier */
        if (!err || err->status != 409) /* db.c: a unique clash, a deadlock */
            break;
        drop_import(as);
        err = ARCA_OK;
        if (attempt == 2)
            err = arca_error_create(as->pool, 409, "the session is being written by another "
                                    "association");
    }
    if (!as->rcv->to_prearchive && !err && !bad)
        ; /* the archive import goes on */
    else
        drop_import(as);
    if (err || bad) {
        const char *why = err ? err->message : "not a DICOM object the archive can read";
        say(as->sv, ARCA_DNET_WARNING, 10352, "C-STORE from %s (%s) of a %s object failed: "
             "%s", a->calling_ae, a->peer, sop_class, why);
        count(as, 0, 0, 0, 1, why);
        if (err && err->status == 503)
            drop_import(as), as->db = NULL; /* reconnect next time */
        return bad ? ARCA_DIMSE_CANNOT_UNDERSTAND
                   : err->status == 507 || err->status == 413 ? ARCA_DIMSE_OUT_OF_RESOURCES
                                                              : ARCA_DIMSE_PROCESSING_FAILURE;
    }
    count(as, 0, 0, 1, 0, NULL);
    return ARCA_DIMSE_SUCCESS;
}

/* ---- C-FIND, C-MOVE, C-GET -------------------------------------------------------------- */

static unsigned on_find(arca_dnet_assoc_t *a, arca_dnet_model_t model, const char *level,
                        const arca_dnet_key_t *keys, int n, arca_dnet_match_fn match,
                        void *ctx)
{
    assoc_t *as = a->state;
    apr_pool_t *p;
    arca_error_t *err = ready(as);

    apr_pool_create(&p, as->pool);
    if (!err)
        err = arca_dicom_find(as->db, p, as->who, level, keys, n, match, ctx);
    if (err)
        say(as->sv, ARCA_DNET_WARNING, 10353, "C-FIND from %s (%s) failed: %s", a->calling_ae,
             a->peer, err->message);
    apr_pool_destroy(p);
    return !err ? ARCA_DIMSE_SUCCESS : err->status == 400 ? ARCA_DIMSE_IDENTIFIER_MISMATCH
                                                         : ARCA_DIMSE_OUT_OF_RESOURCES;
}

static unsigned on_locate(arca_dnet_assoc_t *a, arca_dnet_model_t model, const char *level,
                          const arca_dnet_key_t *keys, int n, apr_pool_t *p,
                          apr_array_header_t **files)
{
    assoc_t *as = a->state;
    arca_error_t *err = ready(as);

    if (!err)
        err = arca_dicom_locate(as->db, p, as->who, as->sv->site.archive, level, keys, n,
                                files);
    if (err)
        say(as->sv, ARCA_DNET_WARNING, 10354, "retrieve from %s (%s) failed: %s",
             a->calling_ae, a->peer, err->message);
    return !err ? ARCA_DIMSE_SUCCESS : err->status == 400 ? ARCA_DIMSE_IDENTIFIER_MISMATCH
                                                         : ARCA_DIMSE_MOVE_OUT_OF_RESOURCES;
}

arca_error_t *arca_dicom_service_make(apr_pool_t *p, const arca_dicom_site_t *site,
                                      arca_dicom_receiver_t *const *receivers, int n,
                                      arca_dnet_service_t **out)
{
    service_t *sv = apr_pcalloc(p, sizeof *sv);

    sv->pool = p;
    sv->site = *site;
    sv->receivers = receivers;
    sv->n = n;
    sv->counters = apr_pcalloc(p, sizeof *sv->counters * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        receivers[i]->index = i;
    if (apr_thread_mutex_create(&sv->mutex, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS)
        return arca_error_create(p, 500, "cannot create a mutex");
    sv->svc.baton = sv;
    sv->svc.accept = on_accept;
    sv->svc.open = on_open;
    sv->svc.store = on_store;
    sv->svc.find = on_find;
    sv->svc.locate = on_locate;
    sv->svc.close = on_close;
    sv->svc.log = site->log;
    sv->svc.baton = sv;
    write_status(sv);
    *out = &sv->svc;
    return ARCA_OK;
}
