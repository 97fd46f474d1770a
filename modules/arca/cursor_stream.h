/* A query's rows streamed out as a ResultSet through a cursor, a batch at a time, so that
 * any number of rows goes out in constant memory: listings and searches. */
#ifndef ARCA_CURSOR_STREAM_H
#define ARCA_CURSOR_STREAM_H

#include "db.h"
#include "resultset.h"

typedef struct arca_cursor_out_t {
    arca_format_t fmt;
    const char *title;                  /* the ResultSet's title */
    const apr_array_header_t *columns;  /* const char *: one per column of the query */
    long total;                         /* totalRecords known before the rows; -1: none */
    int keep_nulls;                     /* NULL values go out as NULL (else as "") */
    const char *what;                   /* "listing", "results": in a late error's text */
    arca_write_fn write;
    void *baton;
} arca_cursor_out_t;

/* Declares a cursor for `sql` in the caller's open transaction, streams its rows, and rolls
 * the transaction back (it only read), whatever happens. An error before the first batch
 * is returned as it is (nothing was written: the answer can still say so); once rows went
 * out, a failure is 499 "{what} cut short: reason", and a client that went away 499. */
arca_error_t *arca_cursor_stream(arca_db_t *db, apr_pool_t *p, const char *sql, int nparams,
                                 const char *const *params, const arca_cursor_out_t *o);

#endif
