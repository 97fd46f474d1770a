/* The XML schemas of Arca's data model, as XNAT's XAPI serves them:
 *   GET /xapi/schemas                        ["xnat"] (xnatpy asks with ?format=json)
 *   GET /xapi/schemas/{name}                 the XSD text, e.g. /xapi/schemas/xnat
 *   GET /xapi/schemas/{namespace}/{name}     the same, e.g. /xapi/schemas/xnat/xnat.xsd
 * xnatpy builds its classes at connect() from these. The files are compiled in from
 * schemas/ (embed-xsd.sh), so the server serves exactly what it was built with. Like the
 * rest of /xapi they need a login, which xnatpy has made by then. */
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <jansson.h>

#include "arca_http.h"
#include "handlers.h"
#include "schemas_embedded.h"

int handle_schemas_list(request_rec *r, const route_match *m)
{
    json_t *list = json_array();

    for (int i = 0; i < arca_xsd_count; i++)
        json_array_append_new(list, json_string(arca_xsds[i].name));
    return arca_http_send_json(r, list);
}

/* "xnat" or "xnat.xsd" -> the schema, or NULL. */
static const arca_xsd_t *find_xsd(apr_pool_t *p, const char *name)
{
    apr_size_t n = strlen(name);

    if (n > 4 && strcmp(name + n - 4, ".xsd") == 0)
        name = apr_pstrmemdup(p, name, n - 4);
    for (int i = 0; i < arca_xsd_count; i++)
        if (strcmp(arca_xsds[i].name, name) == 0)
            return &arca_xsds[i];
    return NULL;
}

int handle_schema_get(request_rec *r, const route_match *m)
{
    const char *ns = route_param(m, "namespace"), *name = route_param(m, "name");
    const arca_xsd_t *xsd = find_xsd(r->pool, name);

    /* a namespace, when given, is the schema's own folder: xnat/xnat */
    if (xsd == NULL || (ns && strcmp(ns, xsd->name) != 0))
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no schema '%s%s%s' (this "
                                "server has: /xapi/schemas)", ns ? ns : "", ns ? "/" : "",
                                name);
    return arca_http_send_text(r, "application/xml", xsd->text);
}
