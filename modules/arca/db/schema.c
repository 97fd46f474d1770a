/* Schema version checks and migration. The bookkeeping table is created by the migrator
 * itself, so migration 0001 is as plain as every other. */
#include <stdlib.h>

#include <apr_strings.h>

#include "db/schema.h"

/* Any constant shared by all migrators; pg_advisory_lock takes a bigint. */
#define MIGRATION_LOCK_KEY "4172636100000001"

int arca_schema_known_version(void)
{
    int newest = 0;

    for (int i = 0; i < arca_migration_count; i++)
        if (arca_migrations[i].version > newest)
            newest = arca_migrations[i].version;
    return newest;
}

arca_error_t *arca_schema_version(arca_db_t *db, apr_pool_t *p, int *version)
{
    PGresult *res;
    arca_error_t *err;

    *version = 0;
    err = arca_db_query(db, p, &res,
                        "SELECT to_regclass('arca_schema_migrations') IS NOT NULL", 0, NULL);
    if (err)
        return err;
    if (PQgetvalue(res, 0, 0)[0] != 't')
        return ARCA_OK;
    err = arca_db_query(db, p, &res,
                        "SELECT coalesce(max(version), 0) FROM arca_schema_migrations", 0, NULL);
    if (err)
        return err;
    *version = atoi(PQgetvalue(res, 0, 0));
    return ARCA_OK;
}

arca_error_t *arca_schema_counts(arca_db_t *db, apr_pool_t *p, long *accounts,
                                 long *projects)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT (SELECT count(*) FROM arca_account), "
                                      "(SELECT count(*) FROM arca_project)", 0, NULL);

    if (err)
        return err;
    *accounts = atol(PQgetvalue(res, 0, 0));
    *projects = atol(PQgetvalue(res, 0, 1));
    return ARCA_OK;
}

arca_error_t *arca_schema_check(arca_db_t *db, apr_pool_t *p)
{
    int have, known = arca_schema_known_version();
    arca_error_t *err = arca_schema_version(db, p, &have);

    if (err)
        return err;
    if (have == known)
        return ARCA_OK;
    if (have == 0)
        return arca_error_create(p, 500, "the database has no Arca schema (this build needs "
                                 "version %d): run 'arcactl migrate'", known);
    if (have < known)
        return arca_error_create(p, 500, "the database schema is at version %d, this build "
                                 "needs %d: run 'arcactl migrate'", have, known);
    return arca_error_create(p, 500, "the database schema is at version %d, newer than the "
                             "%d this build knows: upgrade Arca or use another database",
                             have, known);
}

static arca_error_t *apply_one(arca_db_t *db, apr_pool_t *p, const arca_migration_t *m)
{
    const char *params[2] = {apr_itoa(p, m->version), m->name};
    arca_error_t *err = arca_db_begin(db, p);

    if (!err)
        err = arca_db_exec_script(db, p, m->sql);
    if (!err)
        err = arca_db_query(db, p, NULL, "INSERT INTO arca_schema_migrations (version, name) "
                            "VALUES ($1, $2)", 2, params);
    if (!err)
        err = arca_db_commit(db, p);
    if (err) {
        arca_db_rollback(db, p);
        return arca_error_create(p, err->status, "migration %04d_%s failed: %s (%s)",
                                 m->version, m->name, err->message, arca_db_last_detail(db));
    }
    return ARCA_OK;
}

static arca_error_t *migrate_locked(arca_db_t *db, apr_pool_t *p, int *applied,
                                    void (*report)(const arca_migration_t *m, void *baton),
                                    void *baton)
{
    int have;
    arca_error_t *err;

    err = arca_db_query(db, p, NULL,
                        "CREATE TABLE IF NOT EXISTS arca_schema_migrations ("
                        " version integer PRIMARY KEY,"
                        " name text NOT NULL,"
                        " applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL);
    if (err)
        return err;
    if ((err = arca_schema_version(db, p, &have)))
        return err;
    if (have > arca_schema_known_version())
        return arca_schema_check(db, p);
    /* arca_migrations is sorted by version (embed-sql.sh sorts the file names). */
    for (int i = 0; i < arca_migration_count; i++) {
        const arca_migration_t *m = &arca_migrations[i];

        if (m->version <= have)
            continue;
        if ((err = apply_one(db, p, m)))
            return err;
        (*applied)++;
        if (report)
            report(m, baton);
    }
    return ARCA_OK;
}

arca_error_t *arca_schema_migrate(arca_db_t *db, apr_pool_t *p, int *applied,
                                  void (*report)(const arca_migration_t *m, void *baton),
                                  void *baton)
{
    arca_error_t *err;

    *applied = 0;
    /* One migrator at a time, from creating the bookkeeping table to the last migration:
     * a second one waits here, then finds nothing left to do. */
    err = arca_db_query(db, p, NULL, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", 0,
                        NULL);
    if (err)
        return err;
    err = migrate_locked(db, p, applied, report, baton);
    (void)arca_db_query(db, p, NULL, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", 0,
                        NULL);
    return err;
}
