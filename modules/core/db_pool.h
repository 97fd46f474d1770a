/* Each child process keeps its own pool of PostgreSQL connections (apr_reslist: thread
 * safe, bounded, idle connections expire). */
#ifndef ARCA_DB_POOL_H
#define ARCA_DB_POOL_H

#include <httpd.h>

#include "core_config.h"

/* Creates the pools of this child, one per distinct ArcaDatabase. */
void arca_db_pool_child_init(apr_pool_t *pchild, server_rec *s);

/* Takes a connection for the request; it goes back when the request's pool is cleaned. */
arca_error_t *arca_db_pool_acquire(request_rec *r, arca_db_t **db);

/* Takes a connection outside any request (the prearchive's sweeper); it goes back when
 * `p` is cleaned. 503 when none can be had. */
arca_error_t *arca_db_pool_lease(server_rec *s, apr_pool_t *p, arca_db_t **db);

#endif
