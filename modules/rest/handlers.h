/* REST handlers, one file per resource. */
#ifndef ARCA_REST_HANDLERS_H
#define ARCA_REST_HANDLERS_H

#include "router.h"

/* handle_version.c */
int handle_version(request_rec *r, const route_match *m);
int handle_build_info(request_rec *r, const route_match *m);

/* handle_session.c */
int handle_session_open(request_rec *r, const route_match *m);
int handle_session_close(request_rec *r, const route_match *m);

/* handle_auth.c */
int handle_auth(request_rec *r, const route_match *m);

/* handle_data.c: the projects > subjects > experiments > ... tree */
int handle_data(request_rec *r, const route_match *m);

/* handle_custom_vars.c */
int handle_custom_vars_list(request_rec *r, const route_match *m);
int handle_custom_var_put(request_rec *r, const route_match *m);
int handle_custom_var_delete(request_rec *r, const route_match *m);

#endif
