/* XNAT's configuration service and its anonymisation views.
 *   GET  /data/config/{tool}/{path}[?contents=true|action=getHistory]   site-wide
 *   PUT  /data/config/{tool}/{path}[?status=enabled|disabled&reason=..]  body: contents
 *   GET|PUT /data/projects/{p}/config/{tool}/{path}                       per project
 *   GET|PUT /xapi/anonymize/site, .../site/enabled[/{true|false}]
 *   GET|PUT /xapi/anonymize/projects/{p}, .../projects/{p}/enabled[/{true|false}]
 *   GET  /xapi/anonymize/default                        the built-in site script
 * Site documents are for site admins; a project's for its owners (read: its members).
 * Anonymisation scripts are checked when stored: one that does not compile is a 400 with
 * the line and reason, and is not stored. A project's anon/basicProfile document, when
 * enabled, turns on the PS3.15 Basic Profile for its imports. The site's anon/basicProfile
 * (on while none is stored) holds the site profile's options; turning it off is logged
 * with the admin's login. */
#include <string.h>
#include <strings.h>

#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "access/audit.h"
#include "model/config_store.h"
#include "import/import_deid.h"
#include "data.h"
#include "deid/deid_script.h"
#include "handlers.h"

#define MAX_CONFIG (1024 * 1024)

/* Site admins for site documents; a project's owners (writing) or readers. */
static arca_error_t *check(request_rec *r, arca_db_t *db, const char *project, int write)
{
    if (project)
        return data_check_project(r, db, project, write ? ARCA_MANAGE : ARCA_READ);
    return arca_http_site_admin(r, "read or change the site's configuration");
}

/* The document's path: the route's segments after `skip`. */
static const char *path_after(request_rec *r, const route_match *m, int skip)
{
    const char *path = NULL;

    for (int i = skip; i < m->nsegments; i++)
        path = path ? apr_pstrcat(r->pool, path, "/", m->segments[i], NULL) : m->segments[i];
    return path;
}

static arca_error_t *read_body(request_rec *r, const char **out)
{
    char *buf;
    apr_size_t len;
    arca_error_t *err = arca_http_read_body(r, MAX_CONFIG, &buf, &len);

    *out = NULL;
    if (err)
        return err->status == 413 ? arca_error_create(r->pool, 413, "a configuration "
                                                      "document is limited to 1 MiB") : err;
    if (strlen(buf) != len)
        return arca_error_create(r->pool, 400, "a configuration document is text (it holds "
                                 "a NUL byte)");
    *out = len ? buf : NULL; /* no body: a status change only */
    return ARCA_OK;
}

static int get_config(request_rec *r, const char *tool, const char *path, const char *project)
{
    arca_config_t *c;
    arca_resultset_t *rs;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db)) || (err = check(r, db, project, 0)))
        return arca_http_error(r, err);
    if (arca_http_flag(r, "contents")) {
        if ((err = arca_config_get(db, r->pool, tool, path, project, &c)))
            return arca_http_error(r, err);
        if (c == NULL || strcmp(c->status, "enabled") != 0)
            return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no %sconfiguration %s/%s",
                                    c ? "enabled " : "", tool, path);
        return arca_http_send_text(r, "text/plain; charset=utf-8", c->contents);
    }
    err = arca_config_history(db, r->pool, tool, path, project,
                              arca_http_arg(r, "action")
                                  && !strcmp(arca_http_arg(r, "action"), "getHistory"), &rs);
    if (err)
        return arca_http_error(r, err);
    if (rs->rows->nelts == 0)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no configuration %s/%s", tool,
                                path);
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_JSON);
}

typedef struct {
    const char *tool, *path, *project, *contents, *status;
    int version;
} config_change;

static arca_error_t *store(request_rec *r, arca_db_t *db, void *baton)
{
    config_change *c = baton;
    arca_error_t *err;

    if (c->contents) {
        err = arca_config_put(db, r->pool, c->tool, c->path, c->project, c->contents,
                              c->status, arca_http_arg(r, "reason"), arca_http_user(r),
                              &c->version);
    } else {
        err = arca_config_set_status(db, r->pool, c->tool, c->path, c->project, c->status);
    }
    if (err)
        return err;
    return arca_audit(db, r->pool, arca_http_user(r), "config_changed",
                      apr_pstrcat(r->pool, c->project ? "/data/projects/" : "",
                                  c->project ? c->project : "", "/config/", c->tool, "/",
                                  c->path, NULL),
                      c->contents ? apr_psprintf(r->pool, "version %d", c->version)
                                  : c->status, r->useragent_ip);
}

/* The site's anon/basicProfile: its options must parse; a status change while none is
 * stored (the default, on) stores the default, with no option, in that status. */
static arca_error_t *site_profile_change(request_rec *r, arca_db_t *db, config_change *c)
{
    arca_config_t *cur;
    unsigned options;
    arca_error_t *err;

    if (c->contents)
        return arca_site_profile_options(r->pool, c->contents, &options);
    if ((err = arca_config_get(db, r->pool, "anon", "basicProfile", NULL, &cur)))
        return err;
    if (cur == NULL)
        c->contents = "none";
    return ARCA_OK;
}

static int put_config(request_rec *r, const char *tool, const char *path, const char *project,
                      const char *status_override)
{
    config_change c = {tool, path, project, NULL, status_override, 0};
    arca_db_t *db;
    arca_error_t *err;

    if (c.status == NULL)
        c.status = arca_http_arg(r, "status");
    if ((err = arca_core.request_db(r, &db)) || (err = check(r, db, project, 1)))
        return arca_http_error(r, err);
    if (status_override == NULL && (err = read_body(r, &c.contents)))
        return arca_http_error(r, err);
    if (c.contents == NULL && c.status == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "send the document as the body, or a "
                                "status");
    /* scripts (anon/script, anon/projects/{p}), not the other anon settings */
    if (c.contents && !strcasecmp(tool, "anon")
        && (!strcmp(path, "script") || !strncmp(path, "projects/", 9))) {
        arca_deid_program *prog;
        if ((err = arca_deid_compile(r->pool, c.contents, strlen(c.contents), &prog)))
            return arca_http_error(r, err);
    }
    if (project == NULL && !strcasecmp(tool, "anon") && !strcmp(path, "basicProfile")
        && (err = site_profile_change(r, db, &c)))
        return arca_http_error(r, err);
    if ((err = data_in_transaction(r, db, store, &c)))
        return arca_http_error(r, err);
    if (project == NULL && !strcasecmp(tool, "anon") && !strcmp(path, "basicProfile")
        && c.status && !strcmp(c.status, "disabled"))
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, ARCA_LOGNO(10550) "site "
                      "de-identification (PS3.15 Basic Profile) turned off by %s",
                      arca_http_user(r) ? arca_http_user(r) : "-");
    return OK;
}

int handle_site_config(request_rec *r, const route_match *m)
{
    const char *path = path_after(r, m, 2);

    if (path == NULL)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: name the document: "
                                "/data/config/{tool}/{path}");
    if (r->method_number == M_GET)
        return get_config(r, route_param(m, "tool"), path, NULL);
    return put_config(r, route_param(m, "tool"), path, NULL, NULL);
}

int handle_project_config(request_rec *r, const route_match *m)
{
    const char *path = path_after(r, m, 4);

    if (path == NULL)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: name the document: "
                                "/data/projects/{project}/config/{tool}/{path}");
    if (r->method_number == M_GET)
        return get_config(r, route_param(m, "tool"), path, route_param(m, "project"));
    return put_config(r, route_param(m, "tool"), path, route_param(m, "project"), NULL);
}

/* ---- /xapi/anonymize -------------------------------------------------------------------- */

/* XNAT keeps the site script at anon/script and a project's at anon/projects/{p}. */
static const char *anon_path(request_rec *r, const char *project)
{
    return project ? apr_pstrcat(r->pool, "projects/", project, NULL) : "script";
}

/* The stored anonymisation script of the site (project NULL) or a project, for reading;
 * *c is NULL when none was stored. */
static arca_error_t *anon_read(request_rec *r, const char *project, arca_config_t **c)
{
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db)) || (err = check(r, db, project, 0)))
        return err;
    return arca_config_get(db, r->pool, "anon", anon_path(r, project), project, c);
}

static int anon_get(request_rec *r, const char *project)
{
    arca_config_t *c;
    arca_error_t *err;

    if ((err = anon_read(r, project, &c)))
        return arca_http_error(r, err);
    if (c == NULL && project == NULL) /* the site's script until an admin sets one */
        return arca_http_send_text(r, "text/plain; charset=utf-8", arca_default_site_script());
    if (c == NULL)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: project '%s' has no "
                                "anonymisation script", project);
    return arca_http_send_text(r, "text/plain; charset=utf-8", c->contents);
}

static int anon_enabled_get(request_rec *r, const char *project)
{
    arca_config_t *c;
    arca_error_t *err;

    if ((err = anon_read(r, project, &c)))
        return arca_http_error(r, err);
    /* the default site script is on until one is stored; a project's is off until set */
    return arca_http_send_text(r, "application/json",
                               (c ? !strcmp(c->status, "enabled") : project == NULL) ? "true"
                                                                                      : "false");
}

int handle_anon_site(request_rec *r, const route_match *m)
{
    if (r->method_number == M_GET)
        return anon_get(r, NULL);
    return put_config(r, "anon", "script", NULL, NULL);
}

int handle_anon_project(request_rec *r, const route_match *m)
{
    const char *p = route_param(m, "project");

    if (r->method_number == M_GET)
        return anon_get(r, p);
    return put_config(r, "anon", anon_path(r, p), p, NULL);
}

static int anon_enabled_put(request_rec *r, const route_match *m, const char *project)
{
    const char *v = route_param(m, "value");

    if (v == NULL)
        v = arca_http_arg(r, "enable");
    if (v == NULL || (strcasecmp(v, "true") && strcasecmp(v, "false")))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "say .../enabled/true or false");
    return put_config(r, "anon", anon_path(r, project), project,
                      strcasecmp(v, "true") == 0 ? "enabled" : "disabled");
}

int handle_anon_site_enabled(request_rec *r, const route_match *m)
{
    return r->method_number == M_GET ? anon_enabled_get(r, NULL)
                                     : anon_enabled_put(r, m, NULL);
}

int handle_anon_project_enabled(request_rec *r, const route_match *m)
{
    const char *p = route_param(m, "project");

    return r->method_number == M_GET ? anon_enabled_get(r, p) : anon_enabled_put(r, m, p);
}

int handle_anon_default(request_rec *r, const route_match *m)
{
    return arca_http_send_text(r, "text/plain; charset=utf-8", arca_default_site_script());
}
