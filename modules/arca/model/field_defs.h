/* Custom variables a project defines: name, level (subject, experiment, scan, project),
 * type, whether the web forms ask for a value, and the values allowed. Values are checked
 * against type and options on every write (model_write.c). */
#ifndef ARCA_FIELD_DEFS_H
#define ARCA_FIELD_DEFS_H

#include <jansson.h>

#include "db/db.h"
#include "format/resultset.h"

/* One definition as a client gives it. */
typedef struct arca_field_def_t {
    const char *level;        /* project, subject, experiment or scan */
    const char *name;         /* as defined (shown so); its lower case is the key */
    const char *type;         /* NULL: string */
    const char *description;  /* NULL: "" */
    const char *definition;   /* XNAT's variable set; NULL or "": "default" */
    int required;             /* the web forms ask for a value (the REST API does not) */
    apr_array_header_t *options; /* const char *: the values allowed; NULL or none: any */
} arca_field_def_t;

/* The project's definitions as a table: level, name (as defined), type, description,
 * definition, required ("true"/"false"), options (a JSON array of strings). */
arca_error_t *arca_field_defs_list(arca_db_t *db, apr_pool_t *p, const char *project,
                                   arca_resultset_t **out);

/* Defines or redefines a variable. Names are matched without case (XNAT's way) and shown
 * as defined; 400 for a bad level, name, type or option (empty, twice, not of the type, more
 * than ARCA_FIELD_MAX_OPTIONS). Redefining a variable that has values checks them all
 * first against the new type and options (400 naming the first misfit). */
#define ARCA_FIELD_MAX_OPTIONS 500
arca_error_t *arca_field_def_put(arca_db_t *db, apr_pool_t *p, const char *project,
                                 const arca_field_def_t *def);

/* Fills `def` (level and name already set) from a JSON object: "type", "description",
 * "definition", "required" (true/false), "options" (or XNAT's "possibleValues"): an array of
 * strings. 400 for a member of the wrong kind. */
arca_error_t *arca_field_def_from_json(apr_pool_t *p, json_t *body, arca_field_def_t *def);

/* "a,b, c" as the options list ["a", "b", "c"] (blanks around each trimmed). */
apr_array_header_t *arca_field_options_split(apr_pool_t *p, const char *list);

/* A JSON array of strings (the listing's `options`) as an array of const char *. */
apr_array_header_t *arca_field_options_from_json(apr_pool_t *p, const char *text);

/* 400 naming the field and the values allowed when `value` is not among `options` (an
 * array of const char *; empty: any value). */
arca_error_t *arca_field_option_check(apr_pool_t *p, const char *field,
                                      const apr_array_header_t *options, const char *value);

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
