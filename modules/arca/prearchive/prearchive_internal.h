/* What the prearchive's files share among themselves (not for callers of libarca). */
#ifndef ARCA_PREARCHIVE_INTERNAL_H
#define ARCA_PREARCHIVE_INTERNAL_H

#include "prearchive/prearchive.h"

/* Takes the session for an operation: from one of the resting statuses `from` (a
 * PostgreSQL array literal, "{READY,CONFLICT}") to the transient `to`, in one statement;
 * 409 when another operation has it, 404 when it is gone. */
arca_error_t *arca_prearchive_claim(arca_db_t *db, apr_pool_t *p, arca_prearc_t *s,
                                    const char *to, const char *from);

/* READY, or CONFLICT (with the reason) when `project` already has a session `label`. */
arca_error_t *arca_prearchive_judge(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char *label, const char **status,
                                    const char **message);

/* 404 unless the project exists (Unassigned always does). */
arca_error_t *arca_prearchive_project_exists(arca_db_t *db, apr_pool_t *p,
                                             const char *project);

#endif
