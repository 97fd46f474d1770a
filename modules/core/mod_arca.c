/* mod_arca: Arca's core module. It reads the site's directives, checks at start-up that
 * the database holds the schema this build knows, keeps each child's PostgreSQL pool,
 * maps the authenticated user to an Arca account, and exports all of that to the other
 * Arca modules as optional functions (mod_arca.h). It serves no URL itself. */
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_filter.h>
#include <apr_strings.h>

#include "core_config.h"
#include "db_pool.h"
#include "db/schema.h"
#include "sweeper.h"

APLOG_USE_MODULE(arca);

typedef struct {
    arca_db_t *db;
    int account_looked_up;
    const arca_account_t *account;
} request_state;

static request_state *state_of(request_rec *r)
{
    request_state *st = ap_get_module_config(r->request_config, &arca_module);

    if (st == NULL) {
        st = apr_pcalloc(r->pool, sizeof *st);
        ap_set_module_config(r->request_config, &arca_module, st);
    }
    return st;
}

/* ---- optional functions --------------------------------------------------------------- */

static const arca_site_t *arca_site_get(request_rec *r)
{
    return &arca_core_conf_get(r->server)->site;
}

static const arca_site_t *arca_server_site(server_rec *s, const char **conninfo)
{
    arca_core_conf *conf = arca_core_conf_get(s);

    *conninfo = conf->conninfo;
    return &conf->site;
}

static arca_error_t *arca_request_db(request_rec *r, arca_db_t **db)
{
    request_state *st = state_of(r);
    arca_error_t *err;

    if (st->db == NULL && (err = arca_db_pool_acquire(r, &st->db)))
        return err;
    *db = st->db;
    return ARCA_OK;
}

static arca_error_t *arca_request_account(request_rec *r, const arca_account_t **account)
{
    request_state *st = state_of(r);
    arca_account_t *found = NULL;
    arca_db_t *db;
    arca_error_t *err;

    if (!st->account_looked_up && r->user != NULL) {
        if ((err = arca_request_db(r, &db)) || (err = arca_account_find(db, r->pool, r->user,
                                                                   &found)))
            return err;
        st->account = found;
    }
    st->account_looked_up = 1;
    *account = st->account;
    return ARCA_OK;
}

static void arca_request_set_account(request_rec *r, const arca_account_t *account)
{
    request_state *st = state_of(r);

    st->account = account;
    st->account_looked_up = 1;
}

/* ---- 503 for requests failed by a provider because the database is down --------------- */

static apr_status_t unavailable_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;

    if (r->status == HTTP_INTERNAL_SERVER_ERROR) {
        r->status = HTTP_SERVICE_UNAVAILABLE;
        r->status_line = ap_get_status_line(HTTP_SERVICE_UNAVAILABLE);
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
        ap_set_content_type(r, "text/plain; charset=utf-8");
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void insert_unavailable_filter(request_rec *r)
{
    if (apr_table_get(r->notes, ARCA_NOTE_DB_UNAVAILABLE))
        ap_add_output_filter("ARCA_UNAVAILABLE", NULL, r, r->connection);
}

/* ---- start-up -------------------------------------------------------------------------- */

static int check_dir(server_rec *s, const char *directive, const char *path)
{
    apr_finfo_t fi;
    apr_pool_t *p = s->process->pconf;

    if (path == NULL)
        return OK;
    if (apr_stat(&fi, path, APR_FINFO_TYPE, p) != APR_SUCCESS || fi.filetype != APR_DIR) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, ARCA_LOGNO(10003)
                     "%s %s: no such directory; create it, writable by the server's User",
                     directive, path);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* Refuses to start on a database this build does not know: one line saying what to do. */
static int check_schema(apr_pool_t *ptemp, server_rec *s, const char *conninfo)
{
    arca_db_t *db;
    arca_error_t *err = arca_db_open(ptemp, conninfo, &db);

    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, ARCA_LOGNO(10002)
                     "Arca cannot start: %s", err->message);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    err = arca_schema_check(db, ptemp);
    arca_db_close(db);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, ARCA_LOGNO(10004)
                     "Arca cannot start: %s", err->message);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int arca_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *s)
{
    const char *checked = NULL;
    int rc;

    for (server_rec *vs = s; vs; vs = vs->next)
        arca_core_conf_defaults(arca_core_conf_get(vs));
    /* httpd reads its configuration twice at start; connect only on the real pass. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    if (arca_core_conf_get(s)->conninfo == NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, ARCA_LOGNO(10001)
                     "mod_arca is loaded but ArcaDatabase is not set");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (server_rec *vs = s; vs; vs = vs->next) {
        arca_core_conf *conf = arca_core_conf_get(vs);

        if ((rc = check_dir(vs, "ArcaArchive", conf->site.archive)) != OK
            || (rc = check_dir(vs, "ArcaPrearchive", conf->site.prearchive)) != OK)
            return rc;
        if (checked && strcmp(checked, conf->conninfo) == 0)
            continue;
        if ((rc = check_schema(ptemp, vs, conf->conninfo)) != OK)
            return rc;
        checked = conf->conninfo;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, ARCA_LOGNO(10005)
                 "Arca %s ready, schema version %d", arca_version(),
                 arca_schema_known_version());
    return OK;
}

static void arca_child_init(apr_pool_t *pchild, server_rec *s)
{
    arca_db_pool_child_init(pchild, s);
    arca_sweeper_child_init(pchild, s); /* after the pool: it takes connections from it */
}

static void arca_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(arca_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(arca_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(insert_unavailable_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter("ARCA_UNAVAILABLE", unavailable_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
    APR_REGISTER_OPTIONAL_FN(arca_site_get);
    APR_REGISTER_OPTIONAL_FN(arca_server_site);
    APR_REGISTER_OPTIONAL_FN(arca_request_db);
    APR_REGISTER_OPTIONAL_FN(arca_request_account);
    APR_REGISTER_OPTIONAL_FN(arca_request_set_account);
}

module AP_MODULE_DECLARE_DATA arca_module = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    arca_core_create_server_conf,
    arca_core_merge_server_conf,
    arca_core_directives,
    arca_register_hooks,
    AP_MODULE_FLAG_NONE
};
