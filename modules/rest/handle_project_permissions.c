/* GET /xapi/projects/{p}/permissions: what the caller may do in a project, as authz.c
 * decides it, so the web pages show only the controls the server would accept:
 *   {"project": "P", "read": true, "edit": false, "delete": false, "manage": false}
 * The project answers as any path below it does: 404 when the caller may not know of it,
 * 403 when it is protected (listed, its data hidden). */
#include <httpd.h>
#include <http_protocol.h>
#include <jansson.h>

#include "arca_http.h"
#include "data.h"
#include "handlers.h"

int handle_project_permissions(request_rec *r, const route_match *m)
{
    static const struct { const char *name; arca_action_t action; } actions[] = {
        {"read", ARCA_READ}, {"edit", ARCA_EDIT}, {"delete", ARCA_DELETE},
        {"manage", ARCA_MANAGE},
    };
    const char *project = route_param(m, "project");
    const arca_account_t *who;
    arca_db_t *db;
    arca_error_t *err;
    json_t *j;

    if ((err = arca_core.request_db(r, &db))
        || (err = data_check_project(r, db, project, ARCA_READ)))
        return arca_http_error(r, err);
    who = data_who(r);
    j = json_pack("{s:s}", "project", project);
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        int allowed, visible;
        if ((err = arca_can_project(db, r->pool, who, project, actions[i].action, &allowed,
                                    &visible))) {
            json_decref(j);
            return arca_http_error(r, err);
        }
        json_object_set_new(j, actions[i].name, json_boolean(allowed));
    }
    return arca_http_send_json(r, j);
}
