/* Streaming a query's rows through a cursor (see cursor_stream.h). */
#include <apr_strings.h>

#include "cursor_stream.h"

#define FETCH_ROWS 1000

static arca_error_t *fetch(arca_db_t *db, apr_pool_t *p, PGresult **res)
{
    return arca_db_query(db, p, res, "FETCH " APR_STRINGIFY(FETCH_ROWS) " FROM arca_rows",
                         0, NULL);
}

arca_error_t *arca_cursor_stream(arca_db_t *db, apr_pool_t *p, const char *sql, int nparams,
                                 const char *const *params, const arca_cursor_out_t *o)
{
    apr_pool_t *batch;
    arca_resultset_stream_t *out = NULL;
    const char **row = apr_palloc(p, sizeof(char *) * (apr_size_t)(o->columns->nelts + 1));
    PGresult *res;
    arca_error_t *err;
    int rc = 0;

    apr_pool_create(&batch, p);
    if ((err = arca_db_query(db, p, NULL, apr_pstrcat(p, "DECLARE arca_rows NO SCROLL "
                                                         "CURSOR FOR ", sql, NULL),
                             nparams, params))
        || (err = fetch(db, batch, &res)))
        goto fail;
    /* the first batch is in: from here on the answer is 200 and rows stream out */
    out = arca_resultset_stream_open_total(p, o->fmt, o->title, o->columns, o->total,
                                           o->write, o->baton);
    for (;;) {
        int n = PQntuples(res);
        for (int r = 0; r < n && rc == 0; r++) {
            for (int c = 0; c < o->columns->nelts; c++)
                row[c] = o->keep_nulls && PQgetisnull(res, r, c) ? NULL
                                                                 : PQgetvalue(res, r, c);
            rc = arca_resultset_stream_row(out, row);
        }
        if (rc || n < FETCH_ROWS)
            break;
        apr_pool_clear(batch);
        if ((err = fetch(db, batch, &res)))
            goto fail;
    }
    rc |= arca_resultset_stream_close(out);
    arca_db_rollback(db, p); /* read-only: nothing to commit */
    apr_pool_destroy(batch);
    return rc ? arca_error_create(p, 499, "the client went away") : ARCA_OK;
fail:
    arca_db_rollback(db, p);
    apr_pool_destroy(batch);
    if (out) { /* rows were sent already: the status cannot change any more */
        (void)arca_resultset_stream_close(out);
        return arca_error_create(p, 499, "%s cut short: %s", o->what, err->message);
    }
    return err;
}
