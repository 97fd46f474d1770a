/* /xapi/projects/{p}/customVariables[/{level}/{name}]: a project's typed custom variables.
 * (XNAT defines them through its web forms; this is Arca's REST for the same thing.)
 *   GET                         the definitions (ResultSet: level, name, type, description,
 *                               definition, required, options)
 *   PUT .../{level}/{name}?type=integer[&description=..&required=true&options=a,b]
 *       or with a JSON body {"type": .., "required": true, "options": ["a", "b"]}
 *                               define or change one
 *   DELETE .../{level}/{name}   remove the definition (values stay, untyped) */
#include <httpd.h>
#include <http_protocol.h>
#include <jansson.h>

#include "arca_http.h"
#include "data.h"
#include "model/field_defs.h"
#include "handlers.h"

/* The request's connection, once the project is known to exist and the user may read its
 * definitions (GET) or, to change them, is among its owners. */
static arca_error_t *project_db(request_rec *r, const char *project, arca_db_t **db)
{
    arca_error_t *err = arca_core.request_db(r, db);

    return err ? err : data_check_project(r, *db, project, r->method_number == M_GET
                                                           ? ARCA_READ : ARCA_MANAGE);
}

/* One handler per route and method, as routes.c names them, each opening the project with
 * project_db and calling its one libarca function: the shape repeats by design. */
int handle_custom_vars_list(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project");
    arca_resultset_t *rs;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = project_db(r, project, &db))
        || (err = arca_field_defs_list(db, r->pool, project, &rs)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_JSON);
}

#define MAX_DEFINITION (1024 * 1024)

/* The definition from the query, or from a JSON body when the request sends one. */
static arca_error_t *definition_of(request_rec *r, const route_match *m, arca_field_def_t *d)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    const char *options = arca_http_arg(r, "options");
    json_t *body;
    arca_error_t *err;

    d->level = route_param(m, "level");
    d->name = route_param(m, "name");
    d->type = arca_http_arg(r, "type");
    d->description = arca_http_arg(r, "description");
    d->definition = arca_http_arg(r, "definition");
    d->required = arca_http_flag(r, "required");
    d->options = options ? arca_field_options_split(r->pool, options) : NULL;
    if (type == NULL || ap_strcasestr(type, "json") == NULL)
        return ARCA_OK;
    if ((err = arca_http_read_json(r, MAX_DEFINITION, &body)))
        return err;
    return arca_field_def_from_json(r->pool, body, d);
}

int handle_custom_var_put(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project");
    arca_field_def_t def = {0};
    arca_db_t *db;
    arca_error_t *err;

    if ((err = project_db(r, project, &db))
        || (err = definition_of(r, m, &def))
        || (err = arca_field_def_put(db, r->pool, project, &def)))
        return arca_http_error(r, err);
    return OK;
}

int handle_custom_var_delete(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project");
    arca_db_t *db;
    arca_error_t *err;

    if ((err = project_db(r, project, &db))
        || (err = arca_field_def_delete(db, r->pool, project, route_param(m, "level"),
                                        route_param(m, "name"))))
        return arca_http_error(r, err);
    return OK;
}
