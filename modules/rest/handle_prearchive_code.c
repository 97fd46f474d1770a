/* A project's prearchive setting, XNAT's prearchive_code:
 *   GET /data/projects/{p}/prearchive_code          0, 4 or 5, as text
 *   PUT /data/projects/{p}/prearchive_code/{code}   0: sessions wait in the prearchive;
 *       4: archived once complete; 5: likewise, adding to a session of the same label
 * Reading needs read access to the project; changing it, its owners (or an admin). */
#include <stdlib.h>
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "data.h"
#include "handlers.h"
#include "prearchive/prearchive.h"

int handle_prearchive_code_get(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project");
    arca_db_t *db;
    int code;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = data_check_project(r, db, project, ARCA_READ))
        || (err = arca_prearchive_code_get(db, r->pool, project, &code)))
        return arca_http_error(r, err);
    return arca_http_send_text(r, "text/plain; charset=utf-8", apr_itoa(r->pool, code));
}

int handle_prearchive_code_put(request_rec *r, const route_match *m)
{
    const char *project = route_param(m, "project"), *code = route_param(m, "code");
    arca_db_t *db;
    arca_error_t *err;

    if (code[strspn(code, "0123456789")] != '\0' || strlen(code) > 2)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "prearchive_code '%s': use 0, 4 or 5",
                                code);
    if ((err = arca_core.request_db(r, &db))
        || (err = data_check_project(r, db, project, ARCA_MANAGE))
        || (err = arca_prearchive_code_set(db, r->pool, project, atoi(code))))
        return arca_http_error(r, err);
    return arca_http_send_text(r, "text/plain; charset=utf-8", code);
}
