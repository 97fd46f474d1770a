/* Filling in deferred digests (see digest_fill.h). */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "base/arca.h"
#include "dicom/dicom_net.h" /* the log levels of arca_digester_t's log (ARCA_DNET_*) */
#include "store/digest_fill.h"
#include "store/filestore.h"

/* `list` as a PostgreSQL array literal, each element quoted (digests and timestamps as
 * PostgreSQL printed them: no quotes or backslashes in them). */
static const char *array_literal(apr_pool_t *p, const apr_array_header_t *list)
{
    const char *s = "{";

    for (int i = 0; i < list->nelts; i++)
        s = apr_pstrcat(p, s, i ? ",\"" : "\"", APR_ARRAY_IDX(list, i, const char *), "\"",
                        NULL);
    return apr_pstrcat(p, s, "}", NULL);
}

arca_error_t *arca_digest_fill(arca_db_t *db, apr_pool_t *p, const char *archive, int max,
                               const volatile int *stop, long long *after, int *filled)
{
    apr_array_header_t *pks = apr_array_make(p, max, sizeof(const char *));
    apr_array_header_t *hexes = apr_array_make(p, max, sizeof(const char *));
    apr_array_header_t *dates = apr_array_make(p, max, sizeof(const char *));
    PGresult *res, *upd;
    arca_error_t *err;

    *filled = 0;
    /* the partial index on empty digests (0012) finds them without reading the rest */
    err = arca_db_query(db, p, &res,
                        "SELECT f.pk, r.dir, f.path, f.size, f.insert_date FROM arca_file f "
                        "JOIN arca_resource r ON r.pk = f.resource_pk WHERE f.digest = '' AND "
                        "f.pk > $1::bigint ORDER BY f.pk LIMIT $2::int", 2,
                        (const char *const[]){
                            apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)*after),
                            apr_itoa(p, max)});
    for (int i = 0; !err && i < PQntuples(res) && !*stop; i++) {
        apr_pool_t *fp; /* the file's read buffer, per file */
        const char *hex;
        apr_off_t size;

        *after = atoll(PQgetvalue(res, i, 0));
        apr_pool_create(&fp, p);
        if (arca_file_md5(fp, apr_pstrcat(fp, archive, "/", PQgetvalue(res, i, 1), "/",
                                          PQgetvalue(res, i, 2), NULL), &hex, &size) == ARCA_OK
            && size == (apr_off_t)atoll(PQgetvalue(res, i, 3))) {
            APR_ARRAY_PUSH(pks, const char *) = PQgetvalue(res, i, 0);
            APR_ARRAY_PUSH(hexes, const char *) = apr_pstrdup(p, hex);
            APR_ARRAY_PUSH(dates, const char *) = PQgetvalue(res, i, 4);
        }
        apr_pool_destroy(fp);
    }
    /* One statement (one commit) for the pass, where one per file made the database flush
     * its log once per file while the listener's own commits waited behind those flushes.
     * Only rows as they were read: a replaced file brought a new insert_date. */
    if (!err && pks->nelts
        && !(err = arca_db_query(db, p, &upd, "UPDATE arca_file f SET digest = u.digest FROM "
                                 "unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS "
                                 "u(pk, digest, at) WHERE f.pk = u.pk AND f.digest = '' AND "
                                 "f.insert_date = u.at", 3,
                                 (const char *const[]){array_literal(p, pks),
                                                       array_literal(p, hexes),
                                                       array_literal(p, dates)})))
        *filled = atoi(PQcmdTuples(upd));
    if (!err && PQntuples(res) < max)
        *after = 0; /* the end: the next pass starts over */
    return err;
}

static void pause_unless_stopped(const volatile int *stop, int seconds)
{
    for (int i = 0; i < seconds * 10 && !*stop; i++)
        apr_sleep(apr_time_from_msec(100));
}

void arca_digester_run(const arca_digester_t *d)
{
    apr_pool_t *pool, *p;
    arca_db_t *db = NULL;
    long long after = 0;
    int failing = 0;

#ifdef SCHED_IDLE
    struct sched_param sp = {0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
#endif
    if (arca_pool_create_own(&pool, NULL) != APR_SUCCESS)
        return;
    while (!*d->stop) {
        int filled = 0;
        arca_error_t *err;

        apr_pool_create(&p, pool);
        err = db ? ARCA_OK : arca_db_open(pool, d->conninfo, &db);
        if (!err)
            err = arca_digest_fill(db, p, d->archive, 100, d->stop, &after, &filled);
        if (err && !failing && d->log)
            d->log(d->log_baton, ARCA_DNET_WARNING, 10360, apr_psprintf(p, "DICOM listener: "
                   "deferred digests cannot be taken (retrying): %s", err->message));
        else if (!err && failing && d->log)
            d->log(d->log_baton, ARCA_DNET_NOTICE, 10361, "DICOM listener: deferred digests are "
                   "taken again");
        failing = err != ARCA_OK;
        apr_pool_destroy(p);
        if (err && db && !arca_db_usable(db)) {
            arca_db_close(db);
            db = NULL;
        }
        if (err)
            pause_unless_stopped(d->stop, 5);
        else if (after == 0) /* nothing left for now */
            pause_unless_stopped(d->stop, filled ? 1 : 2);
    }
    apr_pool_destroy(pool);
}
