/* A PostgreSQL connection as libarca uses it: parameterised queries whose results live in
 * a pool, errors turned into arca_error_t, and one transparent reconnect when the server
 * went away between two uses of a pooled connection (a PostgreSQL restart). */
#ifndef ARCA_DB_H
#define ARCA_DB_H

#include <libpq-fe.h>
#include <apr_pools.h>

#include "base/error.h"

typedef struct arca_db_t arca_db_t;

/* Opens a connection. The connection owns a sub-pool of `parent`; arca_db_close() (or
 * destroying `parent`) closes it. On failure *out is NULL and the error is 503 when the
 * server cannot be reached, 500 when the conninfo itself is wrong. */
arca_error_t *arca_db_open(apr_pool_t *parent, const char *conninfo, arca_db_t **out);
void arca_db_close(arca_db_t *db);

/* The pool the connection lives in (a subpool of the one given to arca_db_open). */
apr_pool_t *arca_db_pool(arca_db_t *db);

/* False once the connection is known to be broken; a pool should then drop it. */
int arca_db_usable(const arca_db_t *db);

/* Runs one statement with text parameters (NULL entries are SQL NULL). The result is
 * cleared when `p` is destroyed. If the connection turns out to be dead and no
 * transaction is open, it reconnects once and runs the statement again. Errors: 503 when
 * the database is unavailable, 409 on a unique violation, 400 on invalid data, else 500. */
arca_error_t *arca_db_query(arca_db_t *db, apr_pool_t *p, PGresult **res,
                            const char *sql, int nparams, const char *const *params);

/* The same for a statement run many times on one connection (the per-object statements of
 * an import): prepared once per connection under `name` (a fixed name per `sql`), so
 * PostgreSQL parses and plans it once rather than each time. */
arca_error_t *arca_db_query_prepared(arca_db_t *db, apr_pool_t *p, PGresult **res,
                                     const char *name, const char *sql, int nparams,
                                     const char *const *params);

/* Runs one statement and hands its rows to `row` one at a time as they arrive (libpq's
 * single-row mode), so any number of rows passes in constant memory; unlike a cursor, the
 * statement runs whole, and PostgreSQL may give it parallel workers. `row` returns non-zero
 * to stop: the statement is then cancelled and the connection drained for its next use.
 * An error is returned whether it came before the first row or after some; the caller
 * knows which. Never reconnects (a stream is meant to run in a transaction). */
typedef int (*arca_db_row_fn)(void *baton, const PGresult *row);
arca_error_t *arca_db_stream(arca_db_t *db, apr_pool_t *p, const char *sql, int nparams,
                             const char *const *params, arca_db_row_fn row, void *baton);

/* Runs a script of several statements without parameters (migrations). */
arca_error_t *arca_db_exec_script(arca_db_t *db, apr_pool_t *p, const char *sql);

arca_error_t *arca_db_begin(arca_db_t *db, apr_pool_t *p);
arca_error_t *arca_db_commit(arca_db_t *db, apr_pool_t *p);
/* Rolls back if a transaction is open; never fails (a dead connection has no transaction). */
void arca_db_rollback(arca_db_t *db, apr_pool_t *p);

/* The PostgreSQL error text of the last failure, for the server log only (may name data). */
const char *arca_db_last_detail(const arca_db_t *db);

#endif
