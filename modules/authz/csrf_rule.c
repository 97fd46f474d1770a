/* The CSRF rule for changes made by a logged-in user (docs/design.md, "CSRF"):
 * - a browser that says the request comes from another site (Sec-Fetch-Site other than
 *   same-origin or none, or an Origin that is not this server) is refused, token or not;
 * - a browser request from this site passes with the token, or with Sec-Fetch-Site
 *   same-origin/none (the browser itself vouches that no other site made it);
 * - a request with neither Origin nor Sec-Fetch-* is not from a current browser (they
 *   all send one of them on a cross-site write): a script holding the cookie, which it
 *   could only have got by logging in itself. It passes, as XNAT lets non-browser
 *   clients skip the token.
 * Basic credentials a browser cached are sent across sites as a cookie is, so the first
 * rule holds for them too; they have no token, so the second does not apply. */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>

#include "csrf_rule.h"

/* Origin is "scheme://host[:port]" of this server: its authority equal to Host, and its
 * scheme ours, or https behind a proxy that ends TLS (only this host serves that). */
static int same_origin(const char *origin, const char *scheme, const char *host)
{
    const char *sep = strstr(origin, "://");
    size_t slen;

    if (sep == NULL || host == NULL || *host == '\0')
        return 0;
    slen = (size_t)(sep - origin);
    if (!((slen == strlen(scheme) && strncasecmp(origin, scheme, slen) == 0)
          || (slen == 5 && strncasecmp(origin, "https", 5) == 0)))
        return 0;
    return strcasecmp(sep + 3, host) == 0;
}

int csrf_exempt(const char *method, const char *uri)
{
    static const char *const logout[] = {"/data/JSESSION", "/data/archive/JSESSION",
                                         "/REST/JSESSION"};

    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0
        || strcmp(method, "OPTIONS") == 0)
        return 1;
    if (strcmp(method, "DELETE") != 0 || uri == NULL)
        return 0;
    for (size_t i = 0; i < sizeof logout / sizeof *logout; i++)
        if (strcmp(uri, logout[i]) == 0)
            return 1;
    return 0;
}

const char *csrf_refusal(apr_pool_t *p, const csrf_request *req)
{
    const char *site = req->sec_fetch_site;
    int browser = site || req->origin || req->other_fetch_metadata;

    if (site && strcasecmp(site, "same-origin") != 0 && strcasecmp(site, "none") != 0)
        return apr_psprintf(p, "this change came from another site (Sec-Fetch-Site: %s) "
                            "with this server's credentials; it is refused", site);
    if (req->origin && !same_origin(req->origin, req->scheme, req->host))
        return "this change came from another site (Origin) with this server's "
               "credentials; it is refused";
    if (!req->session || !browser || req->token_ok || site)
        return NULL;
    return "this change was made from a browser with a session cookie but without the "
           "session's XNAT_CSRF token";
}
