/* A query's rows as a ResultSet: streamed out as PostgreSQL produces them, so that any
 * number of rows goes out in constant memory (listings and searches), or whole, for the
 * short answers built before they are sent. */
#ifndef ARCA_ROW_STREAM_H
#define ARCA_ROW_STREAM_H

#include "db/db.h"
#include "format/resultset.h"

typedef struct arca_row_out_t {
    arca_format_t fmt;
    const char *title;                  /* the ResultSet's title */
    const apr_array_header_t *columns;  /* const char *: one per column of the query */
    long total;                         /* totalRecords known before the rows; -1: none */
    int keep_nulls;                     /* NULL values go out as NULL (else as "") */
    const char *what;                   /* "listing", "results": in a late error's text */
    arca_write_fn write;
    void *baton;
} arca_row_out_t;

/* Runs `sql` in the caller's open transaction, streams its rows, and rolls the transaction
 * back (it only read), whatever happens. The statement runs whole rather than through a
 * cursor, which PostgreSQL never gives parallel workers: a search over millions of rows
 * may use them. An error before the first row is returned as it is (nothing was written:
 * the answer can still say so); once rows went out, a failure is 499 "{what} cut short:
 * reason", and a client that went away 499. */
arca_error_t *arca_row_stream(arca_db_t *db, apr_pool_t *p, const char *sql, int nparams,
                              const char *const *params, const arca_row_out_t *o);

/* Runs `sql` and gives its rows as a whole ResultSet titled `title`, in `p`. */
arca_error_t *arca_query_resultset(arca_db_t *db, apr_pool_t *p, const char *title,
                                   const char *sql, int nparams, const char *const *params,
                                   arca_resultset_t **out);

#endif
