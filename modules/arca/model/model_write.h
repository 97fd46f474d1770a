/* Writing objects: create, update from XNAT-style parameters, share, delete. Each function
 * is one step; callers wrap a request's steps in one transaction. */
#ifndef ARCA_MODEL_WRITE_H
#define ARCA_MODEL_WRITE_H

#include <apr_tables.h>

#include "db/db.h"
#include "model/locate.h"
#include "model/model.h"

/* What a PUT's parameters ask to change. */
typedef struct arca_changes_t {
    apr_array_header_t *fields;       /* const arca_field_t * */
    apr_array_header_t *values;       /* const char *, NULL = clear */
    apr_array_header_t *custom_names; /* const char * */
    apr_array_header_t *custom_values;/* const char *, NULL = remove */
    const char *label;                /* a new label, if asked */
    apr_array_header_t *aliases;      /* projects: aliases to add, const char * */
    apr_array_header_t *add_param_names;  /* scans' parameters/addParam: const char * */
    apr_array_header_t *add_param_values; /* const char *, NULL = remove */
} arca_changes_t;

/* Reads the changes from a request's parameters. Names that are not fields are ignored
 * unless they look like XPaths (400: a typo there would silently lose data); values are
 * checked against the field types (400). */
arca_error_t *arca_changes_from_args(apr_pool_t *p, arca_kind_t kind, const apr_table_t *args,
                                     arca_changes_t **out);
int arca_changes_empty(const arca_changes_t *c);

/* Applies changes to the object whose key is `key` (ID or pk). Custom variables are
 * checked against the definitions of `project` (400 on a type mismatch). */
arca_error_t *arca_changes_apply(arca_db_t *db, apr_pool_t *p, arca_kind_t kind,
                                 const char *key, const char *project,
                                 const arca_changes_t *c);

arca_error_t *arca_project_create(arca_db_t *db, apr_pool_t *p, const char *id,
                                  const char *user);
arca_error_t *arca_subject_create(arca_db_t *db, apr_pool_t *p, const char *site,
                                  const char *project, const char *label, const char *user,
                                  const char **id);
arca_error_t *arca_experiment_create(arca_db_t *db, apr_pool_t *p, const char *site,
                                     const char *project, const char *subject_id,
                                     const char *label, const char *xsi_type,
                                     const char *session_id, const char *user,
                                     const char **id);
/* The subject or experiment of that label in the project, created when there is none;
 * concurrent calls for one label wait for each other (inside a transaction: the wait
 * lasts until the first commits), so exactly one creates it. *created says which. */
arca_error_t *arca_subject_find_or_create(arca_db_t *db, apr_pool_t *p, const char *site,
                                          const char *project, const char *label,
                                          const char *user, const char **id, int *created);
arca_error_t *arca_experiment_find_or_create(arca_db_t *db, apr_pool_t *p, const char *site,
                                             const char *project, const char *subject_id,
                                             const char *label, const char *xsi_type,
                                             const char *session_id, const char *user,
                                             const char **id, int *created);
arca_error_t *arca_scan_create(arca_db_t *db, apr_pool_t *p, const char *experiment_id,
                               const char *scan_id, const char *xsi_type, const char **pk);
/* A reconstruction in a session; its pk in *pk. 409 if its ID is taken there. */
arca_error_t *arca_reconstruction_create(arca_db_t *db, apr_pool_t *p,
                                         const char *experiment_id, const char *id,
                                         const char **pk);
/* A resource on the owner the location names (loc->owner); its directory (relative to
 * the archive) is chosen here, human-readable like XNAT's. */
arca_error_t *arca_resource_create(arca_db_t *db, apr_pool_t *p, const arca_location_t *loc,
                                   const char *label, const char **pk, const char **dir);

/* The resource of that label at loc's owner, created when there is none; concurrent
 * calls wait for each other as above. */
arca_error_t *arca_resource_find_or_create(arca_db_t *db, apr_pool_t *p,
                                           const arca_location_t *loc, const char *label,
                                           const char **pk, const char **dir, int *created);

/* Renames the object's label in a project (409 if the label is taken there). */
arca_error_t *arca_relabel(arca_db_t *db, apr_pool_t *p, arca_kind_t kind, const char *id,
                           const char *project, const char *label);

/* Shares a subject or experiment into `project` under `label`; re-sharing updates the
 * label. primary=1 makes `project` its primary project instead. */
arca_error_t *arca_share(arca_db_t *db, apr_pool_t *p, arca_kind_t kind, const char *id,
                         const char *project, const char *label, int primary);
/* Removes a share; the primary project cannot be unshared (409). */
arca_error_t *arca_unshare(arca_db_t *db, apr_pool_t *p, arca_kind_t kind, const char *id,
                           const char *project);

/* Deletes the object and everything below it. *dirs receives the resource directories
 * (relative to the archive) that held its files, for the caller to remove after commit. */
arca_error_t *arca_delete(arca_db_t *db, apr_pool_t *p, arca_kind_t kind, const char *key,
                          apr_array_header_t **dirs);

#endif
