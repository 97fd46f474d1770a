/* One object as XNAT clients read it (GET .../subjects/S1?format=json|xml): its fields,
 * custom variables, and children (scans of a session, experiments of a subject, resources,
 * shares), loaded through the same field tables as listings, so both always agree. */
#ifndef ARCA_ITEM_H
#define ARCA_ITEM_H

#include "access/account.h"
#include "db/db.h"
#include "model/locate.h"
#include "format/resultset.h"

typedef struct arca_item_t arca_item_t;

struct arca_item_t {
    arca_kind_t kind;
    const char *xsi_type;
    const char *start_date;          /* "Wed Jan 01 10:00:00 UTC 2020" */
    apr_array_header_t *names;       /* field aliases, const char * */
    apr_array_header_t *values;      /* const char * */
    apr_array_header_t *custom_names;
    apr_array_header_t *custom_values;
    apr_array_header_t *children;    /* arca_item_child_t */
    const PGresult *field_defs;      /* projects: level, name (as defined),
                                      * type, definition, required, options (JSON) */
    const PGresult *aliases;         /* projects: alias, source */
    apr_array_header_t *add_param_names;  /* scans: parameters/addParam, by name */
    apr_array_header_t *add_param_values;
    const PGresult *steps;           /* experiments: provenance, arca_process_step_parts */
};

typedef struct arca_item_child_t {
    const char *field;               /* "scans/scan", "experiments/experiment", ... */
    apr_array_header_t *items;       /* arca_item_t * */
} arca_item_child_t;

/* Loads the object a location names (it must exist, and `who` may read it), with the
 * children `who` may read. */
arca_error_t *arca_item_load(arca_db_t *db, apr_pool_t *p, const arca_location_t *loc,
                             const arca_account_t *who, arca_item_t **out);

/* {"items":[{"meta":{...},"data_fields":{...},"children":[...]}]} */
arca_error_t *arca_item_write_json(const arca_item_t *item, apr_pool_t *p,
                                   arca_write_fn write, void *baton);
/* <xnat:Subject xmlns:xnat="http://nrg.wustl.edu/xnat" ID=".." ...> */
arca_error_t *arca_item_write_xml(const arca_item_t *item, apr_pool_t *p,
                                  arca_write_fn write, void *baton);

/* The value of a field of the item, or NULL. */
const char *arca_item_get(const arca_item_t *item, const char *alias);

#endif
