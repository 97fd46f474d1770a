/* Project aliases: other names a project answers to (XNAT's xnat:projectData/aliases).
 * An alias names one project, and is never another project's ID or alias, so a name in a
 * path means one project whichever it is. */
#ifndef ARCA_PROJECT_ALIAS_H
#define ARCA_PROJECT_ALIAS_H

#include "db/db.h"

/* The project a name means: its ID, or the project holding that alias. *id is NULL when
 * the name means none. */
arca_error_t *arca_project_resolve(arca_db_t *db, apr_pool_t *p, const char *name,
                                   const char **id);

/* A project's aliases, in order: rows of (alias, source). */
arca_error_t *arca_project_aliases(arca_db_t *db, apr_pool_t *p, const char *project,
                                   const PGresult **rows);

/* Adds an alias (or updates its source). 400 for a name that is not a valid project ID,
 * 409 when it is a project's ID or another project's alias. */
arca_error_t *arca_project_alias_add(arca_db_t *db, apr_pool_t *p, const char *project,
                                     const char *alias, const char *source);

#endif
