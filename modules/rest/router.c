/* Path routing: split into segments, strip the mount prefix, match against the table. */
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "log_redact.h"
#include "router.h"

#define MAX_SEGMENTS 64

typedef struct {
    const char *ns; /* "data" or "xapi" */
    int n;
    const char *seg[MAX_SEGMENTS];
} split_path;

/* httpd resolves "/a/%2e%2e/b" to "/b" before a handler sees r->uri, so a client's dot
 * segments would silently address something else (PUT .../subjects/%2e%2e is a PUT on the
 * project). The path as sent is checked instead: any "." or ".." segment, encoded or not,
 * and the request is refused. */
static int has_dot_segment(request_rec *r)
{
    const char *raw = r->unparsed_uri;
    const char *end = raw ? raw + strcspn(raw, "?#") : NULL;
    char *path, *state = NULL, *tok;

    if (raw == NULL)
        return 0;
    path = apr_pstrmemdup(r->pool, raw, (apr_size_t)(end - raw));
    for (tok = apr_strtok(path, "/", &state); tok; tok = apr_strtok(NULL, "/", &state)) {
        ap_unescape_url_keep2f(tok, 1);
        if (strcmp(tok, ".") == 0 || strcmp(tok, "..") == 0)
            return 1;
    }
    return 0;
}

/* Splits the path (r->uri as sent: see log_redact.h) into decoded segments. Returns 0 for
 * a path that is not ours or that decodes to something unsafe (a NUL, a '/' inside a
 * segment, "." or ".."). */
static int split(request_rec *r, split_path *sp)
{
    char *path = apr_pstrdup(r->pool, arca_request_path(r)), *state = NULL, *tok;
    const char *raw[MAX_SEGMENTS + 3];
    int n = 0, skip;

    for (tok = apr_strtok(path, "/", &state); tok; tok = apr_strtok(NULL, "/", &state)) {
        if (n == MAX_SEGMENTS + 2)
            return 0;
        raw[n++] = tok;
    }
    if (n == 0)
        return 0;
    if (strcmp(raw[0], "xapi") == 0) {
        sp->ns = "xapi";
        skip = 1;
    } else if (strcmp(raw[0], "data") == 0 || strcmp(raw[0], "REST") == 0) {
        sp->ns = "data";
        skip = (n > 1 && strcmp(raw[1], "archive") == 0) ? 2 : 1;
    } else {
        return 0;
    }
    sp->n = 0;
    for (int i = skip; i < n; i++) {
        char *seg = apr_pstrdup(r->pool, raw[i]);
        if (ap_unescape_url(seg) != OK || strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
            return 0;
        sp->seg[sp->n++] = seg;
    }
    return 1;
}

static int match(apr_pool_t *p, const route *rt, const split_path *sp, route_match *m)
{
    const char *colon = strchr(rt->pattern, ':');
    char *pat, *state = NULL, *tok;
    int i = 0;

    if (strncmp(rt->pattern, sp->ns, (size_t)(colon - rt->pattern)) != 0
        || strlen(sp->ns) != (size_t)(colon - rt->pattern))
        return 0;
    m->nparams = 0;
    m->segments = sp->seg;
    m->nsegments = sp->n;
    pat = apr_pstrdup(p, colon + 1);
    for (tok = apr_strtok(pat, "/", &state); tok; tok = apr_strtok(NULL, "/", &state), i++) {
        if (strcmp(tok, "**") == 0)
            return 1;
        if (i >= sp->n)
            return 0;
        if (tok[0] == '{') {
            if (m->nparams == ROUTE_MAX_PARAMS)
                return 0;
            m->names[m->nparams] = apr_pstrndup(p, tok + 1, strlen(tok) - 2);
            m->values[m->nparams++] = sp->seg[i];
        } else if (strcmp(tok, sp->seg[i]) != 0) {
            return 0;
        }
    }
    return i == sp->n;
}

const char *route_param(const route_match *m, const char *name)
{
    for (int i = 0; i < m->nparams; i++)
        if (strcmp(m->names[i], name) == 0)
            return m->values[i];
    return NULL;
}

int rest_dispatch(request_rec *r)
{
    split_path sp;
    route_match m;
    const char *method = r->header_only ? "GET" : r->method;
    const char *allowed = NULL, *nul;

    if ((nul = arca_http_query_nul(r->pool, r->args)) != NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "the parameter '%s' holds a NUL byte "
                                "(%%00), which no value may contain", nul);
    if (has_dot_segment(r))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "path segments '.' and '..' are not "
                                "allowed");
    if (!split(r, &sp))
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: %s", r->uri);
    for (const route *rt = rest_routes; rt->method; rt++) {
        if (!match(r->pool, rt, &sp, &m))
            continue;
        if (strcmp(rt->method, method) == 0)
            return rt->handler(r, &m);
        allowed = allowed ? apr_pstrcat(r->pool, allowed, ", ", rt->method, NULL)
                          : rt->method;
    }
    if (allowed) {
        apr_table_setn(r->headers_out, "Allow", allowed);
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "%s is not allowed on %s "
                                "(allowed: %s)", r->method, r->uri, allowed);
    }
    return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: %s", r->uri);
}
