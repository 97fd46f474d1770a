/* A query's rows as a ResultSet, streamed as they arrive or whole (see row_stream.h). */
#include <apr_strings.h>

#include "format/row_stream.h"

typedef struct {
    apr_pool_t *pool;
    const arca_row_out_t *o;
    arca_resultset_stream_t *out; /* opened with the first row: until then, no answer */
    const char **row;
    int gone;                     /* the client went away */
} stream_t;

static void open_out(stream_t *s)
{
    s->out = arca_resultset_stream_open(s->pool, s->o->fmt, s->o->title, s->o->columns,
                                        s->o->total, s->o->write, s->o->baton);
}

static int each_row(void *baton, const PGresult *res)
{
    stream_t *s = baton;

    if (s->out == NULL)
        open_out(s);
    for (int c = 0; c < s->o->columns->nelts; c++)
        s->row[c] = s->o->keep_nulls && PQgetisnull(res, 0, c) ? NULL : PQgetvalue(res, 0, c);
    return s->gone = arca_resultset_stream_row(s->out, s->row) != 0;
}

arca_error_t *arca_row_stream(arca_db_t *db, apr_pool_t *p, const char *sql, int nparams,
                              const char *const *params, const arca_row_out_t *o)
{
    stream_t s = {p, o, NULL, NULL, 0};
    arca_error_t *err;
    int rc;

    s.row = apr_palloc(p, sizeof(char *) * (apr_size_t)(o->columns->nelts + 1));
    err = arca_db_stream(db, p, sql, nparams, params, each_row, &s);
    arca_db_rollback(db, p); /* read-only: nothing to commit */
    if (err && s.out == NULL)
        return err; /* nothing was sent: the status can still say what went wrong */
    if (s.out == NULL && !err)
        open_out(&s); /* no rows: an empty ResultSet */
    rc = arca_resultset_stream_close(s.out) | s.gone;
    if (err) /* rows were sent already: the status cannot change any more */
        return arca_error_create(p, 499, "%s cut short: %s", o->what, err->message);
    return rc ? arca_error_create(p, 499, "the client went away") : ARCA_OK;
}

arca_error_t *arca_query_resultset(arca_db_t *db, apr_pool_t *p, const char *title,
                                   const char *sql, int nparams, const char *const *params,
                                   arca_resultset_t **out)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, sql, nparams, params);

    if (!err)
        *out = arca_resultset_from_pg(p, title, res);
    return err;
}
