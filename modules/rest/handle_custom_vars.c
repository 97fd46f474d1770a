/* /xapi/projects/{p}/customVariables[/{level}/{name}]: a project's typed custom variables.
 * (XNAT defines them through its web forms; this is Arca's REST for the same thing.)
 *   GET                         the definitions (ResultSet: level, name, type, description)
 *   PUT .../{level}/{name}?type=integer[&description=...]   define or change one
 *   DELETE .../{level}/{name}   remove the definition (values stay, untyped) */
#include <httpd.h>
#include <http_protocol.h>

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

int handle_custom_var_put(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project");
    arca_db_t *db;
    arca_error_t *err;

    if ((err = project_db(r, project, &db))
        || (err = arca_field_def_put(db, r->pool, project, route_param(m, "level"),
                                     route_param(m, "name"), arca_http_arg(r, "type"),
                                     arca_http_arg(r, "description"),
                                     arca_http_arg(r, "definition"))))
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
