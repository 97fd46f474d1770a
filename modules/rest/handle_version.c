/* What XNAT clients ask first: the server's version. pyxnat reads /data/version as text;
 * xnatpy wants it to start with "1.8" and falls back to XAPI's buildInfo map. */
#include <httpd.h>
#include <apr_strings.h>
#include <jansson.h>

#include "arca_http.h"
#include "handlers.h"
#include "db/schema.h"

int handle_version(request_rec *r, const route_match *m)
{
    return arca_http_send_text(r, "text/plain; charset=utf-8", arca_xnat_compat_version());
}

int handle_build_info(request_rec *r, const route_match *m)
{
    json_t *info = json_pack("{s:s,s:s,s:s,s:s,s:s}",
                             "version", arca_xnat_compat_version(),
                             "buildNumber", arca_version(),
                             "application", "Arca",
                             "arcaVersion", arca_version(),
                             "schemaVersion",
                             apr_itoa(r->pool, arca_schema_known_version()));
    char *text = json_dumps(info, JSON_COMPACT);
    int rc = arca_http_send_text(r, "application/json", text ? text : "{}");

    free(text);
    json_decref(info);
    return rc;
}
