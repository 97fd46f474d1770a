/* The /data tree (projects > subjects > experiments > scans > resources > files): one
 * entry point that resolves the path, then a handler per kind of thing addressed. */
#ifndef ARCA_REST_DATA_H
#define ARCA_REST_DATA_H

#include <httpd.h>

#include "arca_http.h"
#include "access/authz.h"
#include "model/locate.h"

/* handle_objects.c: projects, subjects, experiments, scans; and shares */
int data_object(request_rec *r, arca_db_t *db, const arca_location_t *loc);
int data_share(request_rec *r, arca_db_t *db, const arca_location_t *loc);
/* handle_resources.c */
int data_resource(request_rec *r, arca_db_t *db, const arca_location_t *loc);
/* handle_files.c */
int data_files(request_rec *r, arca_db_t *db, const arca_location_t *loc);

/* access.c: may the request's user do what its method means at this location? An error
 * (401, 403, or 404 where the project must not be known to exist) when not. */
arca_error_t *data_check_access(request_rec *r, arca_db_t *db, const arca_location_t *loc,
                                const arca_account_t *who);

/* The part of data_check_access that arca_locate's own 404s go through too: below a
 * project, or an accession ID, the user may not read, every answer is the one a missing
 * project or object gets ("no project 'P'", "no experiment 'E'"; a protected project's
 * 403), so that none tells what exists. */
arca_error_t *data_check_known(request_rec *r, arca_db_t *db, const arca_location_t *loc,
                               const arca_account_t *who);

/* May the request's user do `action` in `project`? (401, 403, or 404 for a project the
 * user may not know of.) */
arca_error_t *data_check_project(request_rec *r, arca_db_t *db, const char *project,
                                 arca_action_t action);

/* The request's Arca account (NULL: anonymous), looked up once. */
const arca_account_t *data_who(request_rec *r);

/* Sends a listing of the location (a collection) in the requested format. */
int data_send_listing(request_rec *r, arca_db_t *db, const arca_location_t *loc);

/* Runs `body` inside one transaction: commits if it returns ARCA_OK, else rolls back. */
typedef arca_error_t *(*data_txn_fn)(request_rec *r, arca_db_t *db, void *baton);
arca_error_t *data_in_transaction(request_rec *r, arca_db_t *db, data_txn_fn body,
                                  void *baton);

/* Reads an XML document sent with a PUT: the raw body (text/xml, application/xml or
 * inbody=true) or the first part of a multipart form (pyxnat's way). *data is NULL when
 * the request carries none. 413 beyond `max` bytes. */
arca_error_t *data_read_document(request_rec *r, apr_size_t max, const char **data,
                                 apr_size_t *len);

/* Removes resource directories (relative to ArcaArchive) after a committed delete. */
void data_remove_dirs(request_rec *r, const apr_array_header_t *dirs);

#endif
