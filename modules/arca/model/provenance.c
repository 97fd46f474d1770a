/* Provenance steps: one row per step in arca_process_step, ordered by `ord`. */
#include <apr_strings.h>

#include "model/provenance.h"

const char *const arca_process_step_parts[ARCA_PROCESS_STEP_PARTS] = {
    "program", "program/version", "program/arguments", "timestamp", "cvs", "user",
    "machine", "platform", "platform/version", "compiler", "compiler/version", "library",
    "library/version"
};

#define STEP_COLUMNS "program, program_version, program_arguments, timestamp, cvs, \"user\", " \
    "machine, platform, platform_version, compiler, compiler_version, library, library_version"

arca_error_t *arca_provenance_load(arca_db_t *db, apr_pool_t *p, const char *experiment_id,
                                   PGresult **steps)
{
    return arca_db_query(db, p, steps, "SELECT " STEP_COLUMNS " FROM arca_process_step "
                         "WHERE experiment_id = $1 ORDER BY ord", 1, &experiment_id);
}

arca_error_t *arca_provenance_replace(arca_db_t *db, apr_pool_t *p, const char *experiment_id,
                                      const apr_array_header_t *steps)
{
    arca_error_t *err = arca_db_query(db, p, NULL, "DELETE FROM arca_process_step "
                                      "WHERE experiment_id = $1", 1, &experiment_id);

    for (int i = 0; i < steps->nelts && !err; i++) {
        const arca_process_step_t *s = &APR_ARRAY_IDX(steps, i, arca_process_step_t);
        const char *params[ARCA_PROCESS_STEP_PARTS + 2];
        params[0] = experiment_id;
        params[1] = apr_itoa(p, i);
        for (int k = 0; k < ARCA_PROCESS_STEP_PARTS; k++)
            params[k + 2] = s->values[k] ? s->values[k] : "";
        err = arca_db_query(db, p, NULL, "INSERT INTO arca_process_step (experiment_id, ord, "
                            STEP_COLUMNS ") VALUES ($1, $2::integer, $3, $4, $5, $6, $7, $8, "
                            "$9, $10, $11, $12, $13, $14, $15)", ARCA_PROCESS_STEP_PARTS + 2,
                            params);
    }
    return err;
}
