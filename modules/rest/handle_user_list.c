/* The site's user list, XNAT's way (any logged-in user, as XNAT by default):
 *   GET /data/users              xdat_user_id, login, firstname, lastname, email
 *   GET /data/users/{login}      the same row for one enabled account, or 404
 * pyxnat's manage.users reads it as CSV; xnatpy's session.users as JSON. */
#include <httpd.h>
#include <http_protocol.h>

#include "arca_http.h"
#include "access/authz.h"
#include "access/user_list.h"
#include "handlers.h"

static int send_users(request_rec *r, const char *login)
{
    const arca_account_t *who;
    arca_resultset_t *rs;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_http_login(r, &who, &db)))
        return arca_http_error(r, err);
    if (!arca_may_list_users(who))
        return arca_http_errorf(r, HTTP_FORBIDDEN, "this account may not list users");
    if ((err = arca_user_list(db, r->pool, login, &rs)))
        return arca_http_error(r, err);
    if (login && rs->rows->nelts == 0)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "no user '%s'", login);
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_HTML);
}

int handle_user_list(request_rec *r, const route_match *m)
{
    return send_users(r, NULL);
}

int handle_user_list_one(request_rec *r, const route_match *m)
{
    return send_users(r, route_param(m, "login"));
}
