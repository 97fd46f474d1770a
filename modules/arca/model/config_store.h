/* XNAT's configuration service: versioned documents by (tool, path), site-wide or per
 * project, enabled or disabled. Each PUT of contents is a new version; the newest is
 * current. */
#ifndef ARCA_CONFIG_STORE_H
#define ARCA_CONFIG_STORE_H

#include "db/db.h"
#include "format/resultset.h"

typedef struct arca_config_t {
    const char *tool, *path, *project; /* project NULL: site-wide */
    const char *contents;
    const char *status;                /* "enabled" or "disabled" */
    const char *reason, *author, *created;
    int version;
} arca_config_t;

/* The current version, or *out NULL when there is none. */
arca_error_t *arca_config_get(arca_db_t *db, apr_pool_t *p, const char *tool,
                              const char *path, const char *project, arca_config_t **out);

/* Stores new contents as the next version (status kept from the previous version unless
 * given). 400 for a tool or path with characters outside [A-Za-z0-9_./-]. */
arca_error_t *arca_config_put(arca_db_t *db, apr_pool_t *p, const char *tool,
                              const char *path, const char *project, const char *contents,
                              const char *status, const char *reason, const char *author,
                              int *version);

/* Enables or disables the current version. 404 when there is none. */
arca_error_t *arca_config_set_status(arca_db_t *db, apr_pool_t *p, const char *tool,
                                     const char *path, const char *project,
                                     const char *status);

/* XNAT's table of a document's versions (newest first, or only the current one):
 * tool, path, project, user, create_date, reason, contents, unversioned, version, status. */
arca_error_t *arca_config_history(arca_db_t *db, apr_pool_t *p, const char *tool,
                                  const char *path, const char *project, int all,
                                  arca_resultset_t **out);

#endif
