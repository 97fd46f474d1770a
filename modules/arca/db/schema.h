/* The database schema: numbered, forward-only migrations from sql/, compiled in. */
#ifndef ARCA_SCHEMA_H
#define ARCA_SCHEMA_H

#include "db/db.h"

typedef struct arca_migration_t {
    int version;
    const char *name;
    const char *sql;
} arca_migration_t;

extern const arca_migration_t arca_migrations[];
extern const int arca_migration_count;

/* The newest schema version this build knows. */
int arca_schema_known_version(void);

/* The version the database is at: 0 for a database without Arca's tables. */
arca_error_t *arca_schema_version(arca_db_t *db, apr_pool_t *p, int *version);

/* Succeeds only if the database is at exactly the version this build knows; the error
 * says what to do (migrate, or upgrade Arca). */
arca_error_t *arca_schema_check(arca_db_t *db, apr_pool_t *p);

/* What `arcactl status` shows of a database besides its version: how many accounts and
 * projects it holds. */
arca_error_t *arca_schema_counts(arca_db_t *db, apr_pool_t *p, long *accounts,
                                 long *projects);

/* Applies the migrations the database lacks, each in its own transaction, under an
 * advisory lock so that concurrent runs apply each one once. Idempotent. `report`,
 * if not NULL, is called for each migration applied. */
arca_error_t *arca_schema_migrate(arca_db_t *db, apr_pool_t *p, int *applied,
                                  void (*report)(const arca_migration_t *m, void *baton),
                                  void *baton);

#endif
