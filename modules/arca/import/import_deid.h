/* The de-identification an import applies, as configured (XNAT's config service, anon/...):
 * the site's script (Arca's default until an admin stores one), and per project its Basic
 * Profile option and its script. For every entry point: REST uploads, the DICOM receiver,
 * archiving from the prearchive into another project. */
#ifndef ARCA_IMPORT_DEID_H
#define ARCA_IMPORT_DEID_H

#include "db/db.h"
#include "import/import.h"

/* The built-in site script: the archive's labels go into the objects; nothing is removed. */
const char *arca_default_site_script(void);

/* The site's script, compiled; NULL when disabled. A stored script that no longer
 * compiles is a 500 (it was checked when stored). */
arca_error_t *arca_import_site_script(arca_db_t *db, apr_pool_t *p,
                                      const arca_deid_program **out);

/* A project's Basic Profile (when its anon/basicProfile document is enabled, with the
 * project's UID secret) and script (anon/projects/{p}, when enabled). */
arca_error_t *arca_import_project_deid(arca_db_t *db, apr_pool_t *p, const char *project,
                                       arca_import_project_t *out);

/* An arca_import_project_fn that only loads the project's de-identification (baton: the
 * arca_db_t); for callers that checked the rights already. */
arca_error_t *arca_import_project_deid_fn(void *db, apr_pool_t *p, const char *project,
                                          arca_import_project_t *out);

#endif
