/* Custom variables a project defines: name, level (subject, experiment, scan, project) and
 * type. Values are checked against them on every write (model_write.c). */
#ifndef ARCA_FIELD_DEFS_H
#define ARCA_FIELD_DEFS_H

#include "db/db.h"
#include "format/resultset.h"

/* The project's definitions as a table: level, name, type, description, definition. */
arca_error_t *arca_field_defs_list(arca_db_t *db, apr_pool_t *p, const char *project,
                                   arca_resultset_t **out);

/* Defines or redefines a variable. Names are lower-cased (XNAT matches them without
 * case); 400 for a bad level, name or type. Redefining the type of a variable that has
 * values checks them all first (400 naming the first misfit). */
arca_error_t *arca_field_def_put(arca_db_t *db, apr_pool_t *p, const char *project,
                                 const char *level, const char *name, const char *type,
                                 const char *description, const char *definition);

/* Applies the definitions of an XNAT project document (pyxnat's add_custom_variables
 * sends them back inside the project's XML). With `replace`, definitions of the project
 * the document no longer holds are removed (XNAT's allowDataDeletion=true). */
struct arca_xml_field_def_t;
arca_error_t *arca_field_defs_apply_xml(arca_db_t *db, apr_pool_t *p, const char *project,
                                        const apr_array_header_t *defs, int replace);

/* The level ("subject", "experiment", "scan", "project") custom variables of an XNAT data
 * type belong to, or NULL. */
const char *arca_field_level_of_type(const char *data_type);

/* Removes a definition (the values stay, as untyped strings). 404 if there is none. */
arca_error_t *arca_field_def_delete(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char *level, const char *name);

#endif
