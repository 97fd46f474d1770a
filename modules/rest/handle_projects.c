/* /data/projects: the project list, with XNAT's default columns. */
#include <httpd.h>

#include "arca_http.h"
#include "handlers.h"

int handle_projects_list(request_rec *r, const route_match *m)
{
    arca_db_t *db;
    PGresult *res;
    arca_format_t fmt;
    arca_error_t *err;

    /* Check the format before any work, so a bad one is a 400 and not a wasted query. */
    if ((err = arca_http_format(r, ARCA_FORMAT_HTML, &fmt))
        || (err = arca_core.request_db(r, &db))
        || (err = arca_db_query(db, r->pool, &res,
                                "SELECT id AS \"ID\", secondary_id AS \"secondary_ID\", name, "
                                "description, pi_firstname, pi_lastname, "
                                "'/data/projects/' || id AS \"URI\" "
                                "FROM arca_project ORDER BY id", 0, NULL)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, arca_resultset_from_pg(r->pool, "Projects", res),
                                    ARCA_FORMAT_HTML);
}
