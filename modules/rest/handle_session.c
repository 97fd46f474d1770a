/* Sessions and tokens, XNAT's way.
 *   GET|POST /data/JSESSION      opens a server-side session for the authenticated user
 *                                (or names the one the request came with): the id as text
 *                                and a JSESSIONID cookie; ?CSRF=true adds "; XNAT_CSRF=..."
 *   DELETE /data/JSESSION        ends the session of the request's cookie
 *   GET /data/services/login-redirect[?to=/path]   for a browser that logged in elsewhere
 *                                (a location under AuthType openid-connect): opens (or
 *                                keeps) its session, then 303 to a path of this site
 *   PUT|POST /data/services/auth form username=..&password=.. (or j_username/j_password):
 *                                a session for those credentials (xnatpy logs in so)
 *   GET /data/services/tokens/issue[/user/{u}]    a new alias token (JSON)
 *   GET /data/services/tokens/validate/{alias}/{secret}    {"valid": "<login>"} or 404
 *   GET /data/services/tokens/invalidate/{alias}           {"result": "OK"} */
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <jansson.h>

#include "arca_http.h"
#include "base/validate.h"
#include "access/audit.h"
#include "access/authz.h"
#include "handlers.h"
#include "access/session.h"
#include "access/token.h"

#define TOKEN_LIFETIME (48 * 3600) /* XNAT's default: two days */
#define MAX_FORM 4096                /* a login form */

/* HttpOnly: scripts in pages never see it; SameSite=Lax: other sites' forms and fetches
 * don't carry it (mod_arca_authz's CSRF rule covers older browsers); Secure over HTTPS,
 * so it is never sent in clear. */
static const char *cookie_attributes(request_rec *r)
{
    return strcmp(ap_http_scheme(r), "https") == 0 ? "Path=/; HttpOnly; SameSite=Lax; Secure"
                                                   : "Path=/; HttpOnly; SameSite=Lax";
}

static void set_cookie(request_rec *r, const char *id)
{
    apr_table_addn(r->err_headers_out, "Set-Cookie", apr_psprintf(r->pool,
                   "JSESSIONID=%s; %s", id, cookie_attributes(r)));
}

static int send_session(request_rec *r, const char *id, const char *csrf)
{
    set_cookie(r, id);
    return arca_http_send_text(r, "text/plain; charset=utf-8",
                               arca_http_flag(r, "CSRF")
                                   ? apr_pstrcat(r->pool, id, "; XNAT_CSRF=", csrf, NULL) : id);
}

static int open_for(request_rec *r, const char *login)
{
    const char *id, *csrf;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = arca_session_open(db, r->pool, login, &id, &csrf)))
        return arca_http_error(r, err);
    return send_session(r, id, csrf);
}

int handle_session_open(request_rec *r, const route_match *m)
{
    const char *current = apr_table_get(r->notes, "arca-session");

    if (r->user == NULL)
        return arca_http_errorf(r, HTTP_UNAUTHORIZED, "%s", ARCA_LOGIN_REQUIRED);
    if (current) /* the request came with a live session: that one */
        return send_session(r, current, apr_table_get(r->notes, "arca-session-csrf"));
    return open_for(r, r->user);
}

int handle_session_close(request_rec *r, const route_match *m)
{
    const char *current = apr_table_get(r->notes, "arca-session");
    arca_db_t *db;
    arca_error_t *err;

    if (current && ((err = arca_core.request_db(r, &db))
                    || (err = arca_session_close(db, r->pool, current))))
        return arca_http_error(r, err);
    apr_table_addn(r->err_headers_out, "Set-Cookie", apr_psprintf(r->pool,
                   "JSESSIONID=; %s; Max-Age=0", cookie_attributes(r)));
    return OK;
}

/* The end of a login made by another httpd module (the login page's institution button):
 * the browser carries that module's own session, which only its location knows, so it
 * gets an Arca session cookie for the whole API and is sent back to the pages. The target
 * is checked first (no open redirect: a path of this site only), so a bad one opens
 * nothing. */
int handle_login_redirect(request_rec *r, const route_match *m)
{
    const char *to = arca_http_arg(r, "to");
    const char *id = apr_table_get(r->notes, "arca-session"), *csrf;
    arca_db_t *db;
    arca_error_t *err;

    if (to == NULL)
        to = "/";
    if (!arca_valid_local_path(to))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "to: give a path of this site, "
                                "starting with a single '/'");
    if (r->user == NULL)
        return arca_http_errorf(r, HTTP_UNAUTHORIZED, "%s", ARCA_LOGIN_REQUIRED);
    if (id == NULL) { /* no live session yet */
        if ((err = arca_core.request_db(r, &db))
            || (err = arca_session_open(db, r->pool, r->user, &id, &csrf)))
            return arca_http_error(r, err);
    }
    set_cookie(r, id);
    apr_table_setn(r->headers_out, "Location", to);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_SEE_OTHER;
}

/* Form login. The location must let unauthenticated requests through (the shipped
 * configuration does, for this path only); the credentials are checked here. */
int handle_services_auth(request_rec *r, const route_match *m)
{
    apr_table_t *form = NULL;
    const char *login, *password;
    APR_OPTIONAL_FN_TYPE(arca_password_policy) *get_policy =
        APR_RETRIEVE_OPTIONAL_FN(arca_password_policy);
    arca_password_policy_t policy = {5, 300, 0}; /* without mod_arca_authz: its defaults */
    arca_login_result_t result;
    arca_account_t *account;
    arca_db_t *db;
    arca_error_t *err;
    const char *why;
    char *buf;
    apr_size_t len;

    if ((err = arca_http_read_body(r, MAX_FORM, &buf, &len)))
        return arca_http_error(r, err);
    form = arca_http_parse_query(r->pool, buf);
    login = apr_table_get(form, "username");
    if (login == NULL)
        login = apr_table_get(form, "j_username");
    password = apr_table_get(form, "password");
    if (password == NULL)
        password = apr_table_get(form, "j_password");
    if (login == NULL || password == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "send username and password as a form");
    if (get_policy)
        get_policy(r, &policy);
    if ((err = arca_core.request_db(r, &db)) || (err = arca_db_begin(db, r->pool))
        || (err = arca_account_authenticate(db, r->pool, login, password, &policy,
                                            r->useragent_ip, &result, NULL))
        || (err = arca_db_commit(db, r->pool))) {
        arca_db_rollback(db, r->pool);
        return arca_http_error(r, err);
    }
    /* wrong, unknown, throttled, expired: one answer */
    if (result != ARCA_LOGIN_OK)
        return arca_http_errorf(r, HTTP_UNAUTHORIZED, "%s", ARCA_LOGIN_REQUIRED);
    /* the right password of an account that may not be used opens nothing, as the account
     * gate refuses it everywhere else */
    if ((err = arca_account_find(db, r->pool, login, &account)))
        return arca_http_error(r, err);
    if ((why = arca_unusable_reason(r->pool, account)) != NULL)
        return arca_http_errorf(r, HTTP_FORBIDDEN, "%s", why);
    return open_for(r, login);
}

/* ---- tokens --------------------------------------------------------------------------- */

static int issue(request_rec *r, const char *login)
{
    arca_token_t *t;
    arca_db_t *db;
    arca_error_t *err;
    json_t *j;

    if ((err = arca_core.request_db(r, &db))
        || (err = arca_token_issue(db, r->pool, login, TOKEN_LIFETIME, 0, &t))
        || (err = arca_audit(db, r->pool, arca_http_user(r), "token_issued", login, t->alias,
                             r->useragent_ip)))
        return arca_http_error(r, err);
    j = json_pack("{s:s,s:s,s:s,s:I,s:b,s:I}", "alias", t->alias, "secret", t->secret,
                  "xdatUserId", login, "estimatedExpirationTime", (json_int_t)t->expires_ms,
                  "singleUse", t->single_use, "expirationTime", (json_int_t)t->expires_ms);
    return arca_http_send_json(r, j);
}

int handle_token_issue(request_rec *r, const route_match *m)
{
    if (r->user == NULL)
        return arca_http_errorf(r, HTTP_UNAUTHORIZED, "%s", ARCA_LOGIN_REQUIRED);
    return issue(r, r->user);
}

int handle_token_issue_for(request_rec *r, const route_match *m)
{
    arca_error_t *err = arca_http_site_admin(r, "issue tokens for others");

    if (err)
        return arca_http_error(r, err);
    return issue(r, route_param(m, "user"));
}

int handle_token_validate(request_rec *r, const route_match *m)
{
    arca_token_t *t;
    arca_db_t *db;
    arca_error_t *err;
    json_t *j;

    if ((err = arca_core.request_db(r, &db))
        || (err = arca_token_check(db, r->pool, route_param(m, "alias"),
                                   route_param(m, "secret"), &t)))
        return arca_http_error(r, err);
    if (t == NULL)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no such valid token");
    j = json_pack("{s:s}", "valid", t->login);
    return arca_http_send_json(r, j);
}

int handle_token_invalidate(request_rec *r, const route_match *m)
{
    const arca_account_t *who;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_http_login(r, &who, &db)))
        return arca_http_error(r, err);
    /* a user invalidates their own tokens; an admin anyone's */
    if ((err = arca_token_invalidate(db, r->pool, route_param(m, "alias"),
                                     arca_is_site_admin(who) ? NULL : who->login)))
        return arca_http_error(r, err);
    return arca_http_send_text(r, "application/json", "{\"result\":\"OK\"}");
}
