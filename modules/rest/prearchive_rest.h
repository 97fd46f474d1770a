/* What the prearchive's handlers share. */
#ifndef ARCA_REST_PREARCHIVE_H
#define ARCA_REST_PREARCHIVE_H

#include <httpd.h>

#include "arca_http.h"
#include "prearchive/prearchive.h"

/* May the request's user work in this project's prearchive: edit rights in the project;
 * Unassigned: site admins only. */
arca_error_t *prearchive_check(request_rec *r, arca_db_t *db, const char *project);

/* The request's connection, the check, and the session (404 when there is none). */
arca_error_t *prearchive_open(request_rec *r, arca_db_t **db, const char *project,
                              const char *timestamp, const char *folder, arca_prearc_t **s);

#endif
