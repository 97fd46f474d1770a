/* Accounts, XNAT's XAPI way (site admins; a user may read themselves):
 *   GET  /xapi/users                          ["admin", ...]
 *   POST /xapi/users                          {"username","password","firstName",...} -> 201
 *   GET  /xapi/users/current | /xapi/users/{u}          the account as JSON
 *   PUT  /xapi/users/{u}                      the fields given (password too)
 *   GET|PUT /xapi/users/{u}/enabled[/{true|false}], .../verified[/...]
 *   GET  /xapi/users/{u}/roles                ["Administrator", "Non_Expiring"]
 *   PUT|DELETE /xapi/users/{u}/roles/{role}   Administrator, Non_Expiring
 *   GET  /xapi/users/{u}/groups ; PUT|DELETE /xapi/users/{u}/groups/{g}   ALL_DATA_ACCESS
 *        (read everything), ALL_DATA_ADMIN (read, edit, delete everything)
 *   GET  /xapi/users/{u}/projects             project, name, group: the user's project roles
 *   GET  /xapi/audit[?action=..&limit=..]     the audit trail
 * Every change is audited. */
#include <string.h>
#include <strings.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <jansson.h>

#include "arca_http.h"
#include "access/account_view.h"
#include "access/audit.h"
#include "access/authz.h"
#include "access/membership.h"
#include "data.h"
#include "handlers.h"

#define MAX_JSON (64 * 1024)

/* The caller is a site admin, or (self_ok) the user named; *db the connection. */
static arca_error_t *check_admin(request_rec *r, const char *login, int self_ok,
                                 arca_db_t **db)
{
    const arca_account_t *who;
    arca_error_t *err = arca_http_login(r, &who, db);

    if (err)
        return err;
    if (arca_is_site_admin(who) || (self_ok && login && strcmp(login, who->login) == 0))
        return ARCA_OK;
    return arca_error_create(r->pool, HTTP_FORBIDDEN, "only site administrators manage users");
}

static arca_error_t *find(request_rec *r, arca_db_t *db, const char *login,
                          arca_account_t **out)
{
    arca_error_t *err = arca_account_find(db, r->pool, login, out);

    if (!err && *out == NULL)
        return arca_error_create(r->pool, HTTP_NOT_FOUND, "Not Found: no user '%s'", login);
    return err;
}

static int send_account(request_rec *r, arca_db_t *db, const char *login)
{
    arca_account_t *a;
    arca_error_t *err = find(r, db, login, &a);
    json_t *j;

    if (err)
        return arca_http_error(r, err);
    j = arca_account_json(a);
    return arca_http_send_json(r, j);
}

int handle_users_list(request_rec *r, const route_match *m)
{
    apr_array_header_t *logins;
    arca_db_t *db;
    arca_error_t *err;
    json_t *list;

    if ((err = check_admin(r, NULL, 0, &db))
        || (err = arca_account_logins(db, r->pool, &logins)))
        return arca_http_error(r, err);
    list = json_array();
    for (int i = 0; i < logins->nelts; i++)
        json_array_append_new(list, json_string(APR_ARRAY_IDX(logins, i, const char *)));
    return arca_http_send_json(r, list);
}

int handle_user_current(request_rec *r, const route_match *m)
{
    const arca_account_t *who;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_http_login(r, &who, &db)))
        return arca_http_error(r, err);
    return send_account(r, db, who->login);
}

int handle_user_get(request_rec *r, const route_match *m)
{
    const char *login = route_param(m, "user");
    arca_db_t *db;
    arca_error_t *err;

    if ((err = check_admin(r, login, 1, &db)))
        return arca_http_error(r, err);
    return send_account(r, db, login);
}

typedef struct {
    const char *login;
    json_t *body;
    int create;
} user_change;

static const char *json_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The JSON fields of a user, applied (with the account created first if asked). */
static arca_error_t *apply_user(request_rec *r, arca_db_t *db, void *baton)
{
    static const struct { const char *json, *field; int flag; } fields[] = {
        {"firstName", "firstname", 0}, {"lastName", "lastname", 0}, {"email", "email", 0},
        {"enabled", "enabled", 1}, {"verified", "verified", 1},
    };
    user_change *c = baton;
    const char *password = json_str(c->body, "password");
    arca_error_t *err;

    if (c->create) {
        if ((err = arca_account_add(db, r->pool, c->login, password, 0)))
            return err;
    } else if (password && (err = arca_account_set_password(db, r->pool, c->login, password,
                                       apr_table_get(r->notes, "arca-session")))) {
        return err; /* the session making the change stays; the account's others end */
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *v = json_object_get(c->body, fields[i].json);
        const char *value;
        if (v == NULL)
            continue;
        if (fields[i].flag ? !json_is_boolean(v) : !json_is_string(v))
            return arca_error_create(r->pool, 400, "%s must be a %s", fields[i].json,
                                     fields[i].flag ? "boolean" : "string");
        value = fields[i].flag ? (json_is_true(v) ? "t" : "f") : json_string_value(v);
        if ((err = arca_account_set(db, r->pool, c->login, fields[i].field, value)))
            return err;
    }
    return arca_audit(db, r->pool, arca_http_user(r), c->create ? "user_created"
                      : "user_changed", c->login, password ? "password set" : "",
                      r->useragent_ip);
}

int handle_user_create(request_rec *r, const route_match *m)
{
    user_change c = {NULL, NULL, 1};
    arca_db_t *db;
    arca_error_t *err;

    if ((err = check_admin(r, NULL, 0, &db))
        || (err = arca_http_read_json(r, MAX_JSON, &c.body)))
        return arca_http_error(r, err);
    if (!json_is_object(c.body) || (c.login = json_str(c.body, "username")) == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "give the user as a JSON object with "
                                "at least \"username\"");
    if ((err = data_in_transaction(r, db, apply_user, &c)))
        return arca_http_error(r, err);
    r->status = HTTP_CREATED;
    return send_account(r, db, c.login);
}

int handle_user_update(request_rec *r, const route_match *m)
{
    user_change c = {route_param(m, "user"), NULL, 0};
    arca_account_t *a;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = check_admin(r, c.login, 0, &db))
        || (err = find(r, db, c.login, &a))
        || (err = arca_http_read_json(r, MAX_JSON, &c.body)))
        return arca_http_error(r, err);
    if (!json_is_object(c.body))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "give the changes as a JSON object");
    if ((err = data_in_transaction(r, db, apply_user, &c)))
        return arca_http_error(r, err);
    return send_account(r, db, c.login);
}

/* ---- one flag at a time: enabled, verified, roles, groups --------------------------- */

typedef struct {
    const char *login, *field, *value, *action;
} flag_change;

static arca_error_t *apply_flag(request_rec *r, arca_db_t *db, void *baton)
{
    flag_change *c = baton;
    arca_error_t *err = arca_account_set(db, r->pool, c->login, c->field, c->value);

    return err ? err : arca_audit(db, r->pool, arca_http_user(r), c->action, c->login,
                                  apr_pstrcat(r->pool, c->field, "=", c->value, NULL),
                                  r->useragent_ip);
}

static int set_flag(request_rec *r, flag_change *c)
{
    arca_db_t *db;
    arca_error_t *err;

    if ((err = check_admin(r, NULL, 0, &db))
        || (err = data_in_transaction(r, db, apply_flag, c)))
        return arca_http_error(r, err);
    return OK;
}

static int parse_bool(const char *v, const char **out)
{
    if (!strcasecmp(v, "true"))
        *out = "t";
    else if (!strcasecmp(v, "false"))
        *out = "f";
    else
        return 0;
    return 1;
}

int handle_user_flag_get(request_rec *r, const route_match *m)
{
    const char *login = route_param(m, "user"), *flag = route_param(m, "flag");
    arca_account_t *a;
    arca_db_t *db;
    arca_error_t *err;
    int value;

    if (strcmp(flag, "enabled") && strcmp(flag, "verified"))
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found");
    if ((err = check_admin(r, login, 1, &db)) || (err = find(r, db, login, &a)))
        return arca_http_error(r, err);
    arca_account_flag(a, flag, &value);
    return arca_http_send_text(r, "application/json", value ? "true" : "false");
}

int handle_user_flag_put(request_rec *r, const route_match *m)
{
    flag_change c = {route_param(m, "user"), route_param(m, "flag"), NULL, NULL};

    if (strcmp(c.field, "enabled") && strcmp(c.field, "verified"))
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found");
    if (!parse_bool(route_param(m, "value"), &c.value))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "use true or false");
    c.action = strcmp(c.field, "enabled") == 0 ? (c.value[0] == 't' ? "user_enabled"
                                                                     : "user_disabled")
                                               : "user_verified";
    return set_flag(r, &c);
}

static int change_role(request_rec *r, const route_match *m, const char *param, int on)
{
    flag_change c = {route_param(m, "user"), NULL, NULL, on ? "role_added" : "role_removed"};

    if (!arca_account_role_setting(route_param(m, param), on, &c.field, &c.value))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "'%s': use Administrator, Non_Expiring, "
                                "ALL_DATA_ACCESS or ALL_DATA_ADMIN", route_param(m, param));
    return set_flag(r, &c);
}

int handle_user_role_put(request_rec *r, const route_match *m)
{
    return change_role(r, m, "role", 1);
}

int handle_user_role_delete(request_rec *r, const route_match *m)
{
    return change_role(r, m, "role", 0);
}

int handle_user_group_put(request_rec *r, const route_match *m)
{
    return change_role(r, m, "group", 1);
}

int handle_user_group_delete(request_rec *r, const route_match *m)
{
    return change_role(r, m, "group", 0);
}

int handle_user_roles(request_rec *r, const route_match *m)
{
    const char *login = route_param(m, "user");
    arca_account_t *a;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = check_admin(r, login, 1, &db)) || (err = find(r, db, login, &a)))
        return arca_http_error(r, err);
    return arca_http_send_json(r, arca_account_roles_json(a, strstr(r->uri, "/groups")
                                                                 != NULL));
}

int handle_user_projects(request_rec *r, const route_match *m)
{
    const char *login = route_param(m, "user");
    arca_account_t *a;
    arca_resultset_t *rs;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = check_admin(r, login, 1, &db)) || (err = find(r, db, login, &a))
        || (err = arca_account_projects(db, r->pool, login, &rs)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_JSON);
}

int handle_audit(request_rec *r, const route_match *m)
{
    const char *limit = arca_http_arg(r, "limit");
    long n = limit ? atol(limit) : 100;
    arca_resultset_t *rs;
    arca_db_t *db;
    arca_error_t *err;

    if (n < 1 || n > 100000)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "limit must be from 1 to 100000");
    if ((err = check_admin(r, NULL, 0, &db))
        || (err = arca_audit_list(db, r->pool, arca_http_arg(r, "action"), n, &rs)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_JSON);
}
