/* What XNAT clients ask first: the server's version.
 *   GET /data/version                    404, as in XNAT 1.7 and later
 *   GET /xapi/siteConfig/buildInfo       {"version": "1.8.10", "buildNumber": ..., ...}
 *   GET /xapi/siteConfig/buildInfo/{p}   one of those values as text
 * XNAT 1.6 answered /data/version with text; clients take a 200 there for a 1.6 server
 * (NRG's test client does), pyxnat's version() then returns the bytes rather than the
 * buildInfo map, and xnatpy fails over to buildInfo on any error. So Arca answers as a
 * current XNAT. The 404's text must not say "Not Found": pyxnat takes those words for a
 * failed connection instead of falling back to buildInfo. */
#include <httpd.h>
#include <apr_strings.h>
#include <jansson.h>

#include "arca_http.h"
#include "handlers.h"
#include "db/schema.h"

int handle_version(request_rec *r, const route_match *m)
{
    return arca_http_errorf(r, HTTP_NOT_FOUND, "there is no /data/version since XNAT 1.7; "
                            "ask /xapi/siteConfig/buildInfo for the version");
}

static json_t *build_info(request_rec *r)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
                     "version", arca_xnat_compat_version(),
                     "buildNumber", arca_version(),
                     "commit", arca_version(),
                     "application", "Arca",
                     "arcaVersion", arca_version(),
                     "schemaVersion", apr_itoa(r->pool, arca_schema_known_version()));
}

int handle_build_info(request_rec *r, const route_match *m)
{
    return arca_http_send_json(r, build_info(r));
}

int handle_build_info_property(request_rec *r, const route_match *m)
{
    const char *name = route_param(m, "property");
    json_t *info = build_info(r), *v = json_object_get(info, name);
    int rc = v ? arca_http_send_text(r, "text/plain; charset=utf-8",
                                     apr_pstrdup(r->pool, json_string_value(v)))
               : arca_http_errorf(r, HTTP_NOT_FOUND, "no build property '%s'", name);

    json_decref(info);
    return rc;
}
