/* Two project settings XNAT clients read, which Arca has one fixed answer for:
 *   GET /data/projects/{p}/quarantine_code   0: sessions are archived without quarantine
 *   GET /data/projects/{p}/current_arc       arc001: the archive folder sessions go into
 * as text, with read access to the project. */
#include <httpd.h>
#include <http_protocol.h>

#include "data.h"
#include "handlers.h"

static int send_setting(request_rec *r, const route_match *m, const char *value)
{
    arca_db_t *db;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = data_check_project(r, db, route_param(m, "project"), ARCA_READ)))
        return arca_http_error(r, err);
    return arca_http_send_text(r, "text/plain; charset=utf-8", value);
}

int handle_quarantine_code_get(request_rec *r, const route_match *m)
{
    return send_setting(r, m, "0");
}

int handle_current_arc_get(request_rec *r, const route_match *m)
{
    return send_setting(r, m, "arc001");
}
