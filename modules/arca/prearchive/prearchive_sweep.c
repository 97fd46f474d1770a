/* Completing sessions received object by object: XNAT's "session idle time". A session
 * stays RECEIVING while objects keep arriving (each bumps lastmod); once none came for the
 * idle time it is built (READY or CONFLICT) and, if its project says so, archived. Every
 * server process may call this; an advisory lock lets one at a time do the work. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "prearchive/prearchive_internal.h"

/* pg_try_advisory_lock's key: "ARCAPRE" in ASCII, unlikely to clash with anyone else's. */
#define SWEEP_LOCK "18388086532461125"

/* Which sessions are due: RECEIVING and idle, or BUILDING for minutes (a process that
 * died while building it). */
#define DUE(idle) "((status = 'RECEIVING' AND lastmod < now() - make_interval(secs => " idle \
                  "::integer)) OR (status = 'BUILDING' AND lastmod < now() - interval " \
                  "'5 minutes'))"

/* Takes one due session (BUILDING), so that an object arriving now finds it closed and no
 * other sweeper takes it. The row lock of an import still writing into the session makes
 * this wait, and then see its fresh lastmod. */
static arca_error_t *take(arca_db_t *db, apr_pool_t *p, const char *id, const char *idle,
                          int *taken)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "UPDATE arca_prearchive SET status = 'BUILDING', lastmod = now() WHERE id = $1::bigint "
        "AND " DUE("$2") " RETURNING id",
        2, (const char *const[]){id, idle});

    *taken = !err && PQntuples(res) == 1;
    return err;
}

static arca_error_t *complete(arca_db_t *db, apr_pool_t *p, const arca_prearchive_sweep_t *cfg,
                              const PGresult *rows, int i, arca_prearchive_swept_t *done)
{
    int code = atoi(PQgetvalue(rows, i, 4)), taken;
    arca_prearchive_target_t t;
    arca_prearc_t *s;
    const char *uri;
    arca_error_t *err;

    if ((err = take(db, p, PQgetvalue(rows, i, 0), apr_itoa(p, cfg->idle), &taken)) || !taken)
        return err;
    if ((err = arca_prearchive_find(db, p, cfg->root, PQgetvalue(rows, i, 1),
                                    PQgetvalue(rows, i, 2), PQgetvalue(rows, i, 3), &s)))
        return err;
    if ((err = arca_prearchive_rebuild(db, p, s))) {
        if (err->status != 503)
            (void)arca_prearchive_set_status(db, p, s, "ERROR", err->message);
        return err;
    }
    if (code != 4 && code != 5) {
        done->built++;
        return ARCA_OK;
    }
    if (strcmp(s->status, "READY") && !(code == 5 && strcmp(s->status, "CONFLICT") == 0)) {
        done->failed += strcmp(s->status, "ERROR") == 0;
        done->built += strcmp(s->status, "ERROR") != 0;
        return ARCA_OK;
    }
    memset(&t, 0, sizeof t);
    t.site_id = cfg->site_id;
    t.archive = cfg->archive;
    t.user = "";
    t.overwrite = code == 5 ? ARCA_OVERWRITE_APPEND : ARCA_OVERWRITE_NONE;
    err = arca_prearchive_archive(db, p, s, &t, &uri);
    if (err == ARCA_OK) {
        done->archived++;
        return ARCA_OK;
    }
    if (err->status == 503)
        return err;
    /* refused before it began (no subject...): say why in the listing */
    if (strcmp(s->status, "ERROR") && strcmp(s->status, "CONFLICT"))
        (void)arca_prearchive_set_status(db, p, s, "ERROR", apr_pstrcat(p, "auto-archive: ",
                                         err->message, NULL));
    done->failed++;
    return ARCA_OK;
}

static arca_error_t *sweep_locked(arca_db_t *db, apr_pool_t *p,
                                  const arca_prearchive_sweep_t *cfg, volatile const int *stop,
                                  arca_prearchive_swept_t *done)
{
    PGresult *rows;
    arca_error_t *err = arca_db_query(db, p, &rows,
        "SELECT p.id, p.project, p.timestamp, p.folder, coalesce(pr.prearchive_code, 0) "
        "FROM arca_prearchive p LEFT JOIN arca_project pr ON pr.id = p.project "
        "WHERE p.id IN (SELECT id FROM arca_prearchive WHERE " DUE("$1") ") "
        "ORDER BY p.lastmod LIMIT 100", 1, (const char *const[]){apr_itoa(p, cfg->idle)});

    for (int i = 0; !err && i < PQntuples(rows) && !(stop && *stop); i++) {
        apr_pool_t *sp;
        apr_pool_create(&sp, p);
        err = complete(db, sp, cfg, rows, i, done);
        if (err && err->status != 503) { /* this session's trouble, not the sweep's */
            done->failed++;
            err = ARCA_OK;
        }
        if (err)
            err = arca_error_create(p, err->status, "%s", err->message);
        apr_pool_destroy(sp);
    }
    return err;
}

arca_error_t *arca_prearchive_sweep(arca_db_t *db, apr_pool_t *p,
                                    const arca_prearchive_sweep_t *cfg,
                                    volatile const int *stop, arca_prearchive_swept_t *done,
                                    int *busy)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT pg_try_advisory_lock(" SWEEP_LOCK
                                      ")", 0, NULL);

    memset(done, 0, sizeof *done);
    *busy = 0;
    if (err)
        return err;
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        *busy = 1;
        return ARCA_OK;
    }
    err = sweep_locked(db, p, cfg, stop, done);
    /* a session lock outlives the sweep: give it back before the connection goes back to
     * the pool (a broken connection has lost it anyway) */
    (void)arca_db_query(db, p, NULL, "SELECT pg_advisory_unlock(" SWEEP_LOCK ")", 0, NULL);
    return err;
}
