/* A project's share policy (access/share_policy.h), in the shape of XNAT's project
 * settings:
 *   GET /data/projects/{p}/share_policy            owners or members, as text
 *   PUT /data/projects/{p}/share_policy/{policy}   owners: only its Owners share its
 *       subjects and experiments into other projects; members: its Members too
 * Reading needs read access to the project; changing it, its owners (or an admin). */
#include <httpd.h>
#include <http_protocol.h>

#include "data.h"
#include "handlers.h"
#include "access/share_policy.h"

int handle_share_policy_get(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project"), *policy;
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = data_check_project(r, db, project, ARCA_READ))
        || (err = arca_share_policy_get(db, r->pool, project, &policy)))
        return arca_http_error(r, err);
    return arca_http_send_text(r, "text/plain; charset=utf-8", policy);
}

int handle_share_policy_put(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project"), *policy = route_param(m, "policy");
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = data_check_project(r, db, project, ARCA_MANAGE))
        || (err = arca_share_policy_set(db, r->pool, project, policy)))
        return arca_http_error(r, err);
    return arca_http_send_text(r, "text/plain; charset=utf-8", policy);
}
