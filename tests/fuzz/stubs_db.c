/* Link-level stand-ins for the database functions that libarca files linked into the
 * search and item XML targets (search_run.c, authz.c, provenance.c) reference but the
 * parsing and SQL-text compile under test never call: those files hold a pure function
 * or table the parsers use beside code that queries. Reaching one of these is a bug in
 * the target, so it aborts. */
#include <stdlib.h>

#include "db/db.h"
#include "format/row_stream.h"

arca_error_t *arca_db_query(arca_db_t *db, apr_pool_t *p, PGresult **res, const char *sql,
                            int nparams, const char *const *params)
{
    abort();
}

arca_error_t *arca_db_exec_script(arca_db_t *db, apr_pool_t *p, const char *sql)
{
    abort();
}

void arca_db_rollback(arca_db_t *db, apr_pool_t *p)
{
    abort();
}

arca_error_t *arca_row_stream(arca_db_t *db, apr_pool_t *p, const char *sql, int nparams,
                              const char *const *params, const arca_row_out_t *o)
{
    abort();
}
