/* REST handlers, one file per resource. */
#ifndef ARCA_REST_HANDLERS_H
#define ARCA_REST_HANDLERS_H

#include "router.h"

/* handle_version.c */
int handle_version(request_rec *r, const route_match *m);
int handle_build_info(request_rec *r, const route_match *m);

/* handle_auth.c */
int handle_auth(request_rec *r, const route_match *m);

/* handle_projects.c */
int handle_projects_list(request_rec *r, const route_match *m);

#endif
