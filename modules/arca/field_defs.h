/* Custom variables a project defines: name, level (subject, experiment, scan, project) and
 * type. Values are checked against them on every write (model_write.c). */
#ifndef ARCA_FIELD_DEFS_H
#define ARCA_FIELD_DEFS_H

#include "db.h"
#include "resultset.h"

/* The project's definitions as a table: level, name, type, description. */
arca_error_t *arca_field_defs_list(arca_db_t *db, apr_pool_t *p, const char *project,
                                   arca_resultset_t **out);

/* Defines or redefines a variable. Names are lower-cased (XNAT matches them without
 * case); 400 for a bad level, name or type. Redefining the type of a variable that has
 * values checks them all first (400 naming the first misfit). */
arca_error_t *arca_field_def_put(arca_db_t *db, apr_pool_t *p, const char *project,
                                 const char *level, const char *name, const char *type,
                                 const char *description);

/* Removes a definition (the values stay, as untyped strings). 404 if there is none. */
arca_error_t *arca_field_def_delete(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char *level, const char *name);

#endif
