/* Routing of XNAT-style REST paths. The mount prefixes XNAT clients use (/data,
 * /data/archive, /REST) are stripped first, so a route names the rest of the path once;
 * /xapi routes keep their prefix, since XAPI is its own namespace. */
#ifndef ARCA_REST_ROUTER_H
#define ARCA_REST_ROUTER_H

#include <httpd.h>

#define ROUTE_MAX_PARAMS 8

typedef struct route_match {
    int nparams;
    const char *names[ROUTE_MAX_PARAMS];
    const char *values[ROUTE_MAX_PARAMS]; /* URL-decoded path segments */
    const char *const *segments;          /* all segments after the prefix (decoded) */
    int nsegments;
} route_match;

typedef int (*route_handler)(request_rec *r, const route_match *m);

typedef struct route {
    const char *method;  /* "GET" (also answers HEAD), "PUT", ... */
    const char *pattern; /* "data:projects/{project}" or "xapi:siteConfig/buildInfo";
                          * a final "**" matches any number of further segments */
    route_handler handler;
} route;

/* The table, in routes.c. Ends with a {NULL} entry. */
extern const route rest_routes[];

/* Routes the request: runs the handler, or answers 404 (no such path) or 405 (path known,
 * method not). Returns what the handler returned. */
int rest_dispatch(request_rec *r);

/* A named parameter of the match, or NULL. */
const char *route_param(const route_match *m, const char *name);

#endif
