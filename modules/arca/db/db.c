/* PostgreSQL access. Every statement goes through arca_db_query(), which is where a
 * connection that died under us (PostgreSQL restarted) is noticed and re-opened. */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "db/db.h"

struct arca_db_t {
    apr_pool_t *pool;
    PGconn *conn;
    const char *last_detail;
    apr_hash_t *prepared;   /* statement names prepared on this connection */
};

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static apr_status_t finish_conn(void *data)
{
    arca_db_t *db = data;

    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    return APR_SUCCESS;
}

static apr_status_t clear_result(void *data)
{
    PQclear(data);
    return APR_SUCCESS;
}

/* The first line of a libpq message, without the trailing newline: for logs. */
static const char *first_line(apr_pool_t *p, const char *msg)
{
    const char *nl;

    if (strncmp(msg, "ERROR:  ", 8) == 0) /* libpq's severity prefix says nothing here */
        msg += 8;
    nl = strchr(msg, '\n');

    return nl ? apr_pstrmemdup(p, msg, (apr_size_t)(nl - msg)) : apr_pstrdup(p, msg);
}

arca_error_t *arca_db_open(apr_pool_t *parent, const char *conninfo, arca_db_t **out)
{
    static const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *values[] = {conninfo, "arca", NULL};
    apr_pool_t *pool;
    arca_db_t *db;

    *out = NULL;
    apr_pool_create(&pool, parent);
    db = apr_pcalloc(pool, sizeof *db);
    db->pool = pool;
    db->prepared = apr_hash_make(pool);
    db->conn = PQconnectdbParams(keys, values, 1);
    apr_pool_cleanup_register(pool, db, finish_conn, apr_pool_cleanup_null);
    if (db->conn == NULL) {
        apr_pool_destroy(pool);
        return arca_error_create(parent, 500, "out of memory opening a database connection");
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        arca_error_t *err = arca_error_create(
            parent, 503, "the database is unavailable: %s",
            first_line(parent, PQerrorMessage(db->conn)));
        apr_pool_destroy(pool);
        return err;
    }
    PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
    /* Arca's queries are short; JIT compiling one costs more (tens of ms) than it saves */
    PQclear(PQexec(db->conn, "SET jit = off"));
    *out = db;
    return ARCA_OK;
}

void arca_db_close(arca_db_t *db)
{
    if (db)
        apr_pool_destroy(db->pool);
}

apr_pool_t *arca_db_pool(arca_db_t *db)
{
    return db->pool;
}

int arca_db_usable(const arca_db_t *db)
{
    return db && db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

const char *arca_db_last_detail(const arca_db_t *db)
{
    return db->last_detail ? db->last_detail : "";
}

/* Maps a failed result to an error. SQLSTATE classes: 08 connection, 57P admin shutdown
 * or start-up, 23505 unique violation, 40P01/40001 deadlock or serialization failure (409
 * too: retryable), 22 data exception, 23 other integrity. */
static arca_error_t *result_error(arca_db_t *db, apr_pool_t *p, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);

    db->last_detail = apr_pstrdup(db->pool, first_line(p, msg ? msg : ""));
    if (PQstatus(db->conn) != CONNECTION_OK || state == NULL
        || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        return arca_error_create(p, 503, "the database is unavailable; try again shortly");
    if (strcmp(state, "23505") == 0)
        return arca_error_create(p, 409, "that already exists");
    /* deadlock, serialization failure: a concurrent request got in the way; a retry of
     * the whole transaction may well succeed */
    if (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0)
        return arca_error_create(p, 409, "a concurrent change got in the way: try again");
    if (strcmp(state, "23514") == 0 || strcmp(state, "22003") == 0)
        return arca_error_create(p, 400, "a value is out of the range allowed");
    if (strcmp(state, "22021") == 0)
        return arca_error_create(p, 400, "text must be UTF-8");
    if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)
        return arca_error_create(p, 400, "invalid value: %s", db->last_detail);
    return arca_error_create(p, 500, "database error (SQLSTATE %s)", state);
}

static int result_ok(const PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* A connection that was fine when last used may have been cut by a server restart: the
 * first statement then fails with the connection gone. Outside a transaction nothing is
 * lost by reconnecting and running the statement again, once. */
static int worth_retrying(arca_db_t *db, PGTransactionStatusType before)
{
    if (before != PQTRANS_IDLE || PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    PQreset(db->conn);
    if (PQstatus(db->conn) != CONNECTION_OK)
        return 0;
    PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
    PQclear(PQexec(db->conn, "SET jit = off"));
    apr_hash_clear(db->prepared); /* a new session: nothing is prepared in it */
    return 1;
}

/* Runs `sql`, or the statement prepared as `name` (prepared first if this connection has
 * not seen it). */
static PGresult *run(arca_db_t *db, const char *name, const char *sql, int nparams,
                     const char *const *params)
{
    if (name == NULL)
        return PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (apr_hash_get(db->prepared, name, APR_HASH_KEY_STRING) == NULL) {
        PGresult *res = PQprepare(db->conn, name, sql, nparams, NULL);
        if (!result_ok(res))
            return res;
        PQclear(res);
        apr_hash_set(db->prepared, apr_pstrdup(db->pool, name), APR_HASH_KEY_STRING, db);
    }
    return PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0);
}

static arca_error_t *query(arca_db_t *db, apr_pool_t *p, PGresult **out, const char *name,
                           const char *sql, int nparams, const char *const *params)
{
    PGTransactionStatusType before = PQtransactionStatus(db->conn);
    PGresult *res = run(db, name, sql, nparams, params);

    if (!result_ok(res) && worth_retrying(db, before)) {
        PQclear(res);
        res = run(db, name, sql, nparams, params);
    }
    if (!result_ok(res)) {
        arca_error_t *err = result_error(db, p, res);
        PQclear(res);
        if (out)
            *out = NULL;
        return err;
    }
    if (out) {
        apr_pool_cleanup_register(p, res, clear_result, apr_pool_cleanup_null);
        *out = res;
    } else {
        PQclear(res);
    }
    return ARCA_OK;
}

arca_error_t *arca_db_query(arca_db_t *db, apr_pool_t *p, PGresult **out,
                            const char *sql, int nparams, const char *const *params)
{
    return query(db, p, out, NULL, sql, nparams, params);
}

arca_error_t *arca_db_query_prepared(arca_db_t *db, apr_pool_t *p, PGresult **out,
                                     const char *name, const char *sql, int nparams,
                                     const char *const *params)
{
    return query(db, p, out, name, sql, nparams, params);
}

/* Stops the statement in flight: a cancel request on its own connection to the server. */
static void cancel(arca_db_t *db)
{
    char why[256];
    PGcancel *c = PQgetCancel(db->conn);

    if (c) {
        (void)PQcancel(c, why, sizeof why);
        PQfreeCancel(c);
    }
}

arca_error_t *arca_db_stream(arca_db_t *db, apr_pool_t *p, const char *sql, int nparams,
                             const char *const *params, arca_db_row_fn row, void *baton)
{
    arca_error_t *err = ARCA_OK;
    int stopped = 0;
    PGresult *res;

    if (!PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0)
        || !PQsetSingleRowMode(db->conn))
        return result_error(db, p, NULL);
    /* every result is read to the end (NULL): the connection is then ready for more */
    while ((res = PQgetResult(db->conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE) {
            if (!stopped && row(baton, res)) {
                stopped = 1;
                cancel(db);
            }
        } else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !stopped && !err) {
            err = result_error(db, p, res);
        }
        PQclear(res);
    }
    if (!err && !stopped && PQstatus(db->conn) != CONNECTION_OK)
        err = result_error(db, p, NULL);
    return err;
}

arca_error_t *arca_db_exec_script(arca_db_t *db, apr_pool_t *p, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);

    if (!result_ok(res)) {
        arca_error_t *err = result_error(db, p, res);
        PQclear(res);
        return err;
    }
    PQclear(res);
    return ARCA_OK;
}

arca_error_t *arca_db_begin(arca_db_t *db, apr_pool_t *p)
{
    return arca_db_query(db, p, NULL, "BEGIN", 0, NULL);
}

arca_error_t *arca_db_commit(arca_db_t *db, apr_pool_t *p)
{
    return arca_db_query(db, p, NULL, "COMMIT", 0, NULL);
}

void arca_db_rollback(arca_db_t *db, apr_pool_t *p)
{
    if (PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
        (void)arca_db_query(db, p, NULL, "ROLLBACK", 0, NULL);
}
