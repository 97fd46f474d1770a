/* An experiment's provenance (XNAT's provenance/processStep): the steps that made it, in
 * order, each a program with its version and arguments, when, by whom, where, and with
 * which platform, compiler and library. */
#ifndef ARCA_PROVENANCE_H
#define ARCA_PROVENANCE_H

#include <apr_tables.h>

#include "db/db.h"

/* The parts of a step, as XNAT's document names them: "program", "program/version"... */
extern const char *const arca_process_step_parts[];
#define ARCA_PROCESS_STEP_PARTS 13

/* One step: values in the order of arca_process_step_parts ("" when not given). */
typedef struct arca_process_step_t {
    const char *values[ARCA_PROCESS_STEP_PARTS];
} arca_process_step_t;

/* The experiment's steps, in order: rows of the parts' values. */
arca_error_t *arca_provenance_load(arca_db_t *db, apr_pool_t *p, const char *experiment_id,
                                   PGresult **steps);
/* Replaces the experiment's steps with `steps` (arca_process_step_t; empty clears). */
arca_error_t *arca_provenance_replace(arca_db_t *db, apr_pool_t *p, const char *experiment_id,
                                      const apr_array_header_t *steps);

#endif
