/* What an import needs from the site's and projects' configuration: the site's
 * de-identification script (the built-in default until an admin stores one) and a
 * project's script and Basic Profile option. Shared by the REST import and the DICOM
 * receiver, so that both de-identify alike. */
#ifndef ARCA_IMPORT_SETUP_H
#define ARCA_IMPORT_SETUP_H

#include "import.h"

/* The built-in site script: labels each object with the archive's names, removes nothing. */
const char *arca_import_default_site_script(void);

/* The enabled site script (anon/script), compiled; the default when none was stored;
 * NULL when the stored one is disabled. A stored script that does not compile: 500. */
arca_error_t *arca_import_site_script(arca_db_t *db, apr_pool_t *p,
                                      const arca_deid_program **out);

/* A project's de-identification: its enabled script (anon/projects/{p}) and, when its
 * anon/basicProfile document is enabled, the PS3.15 Basic Profile with its UID salt. */
arca_error_t *arca_import_project_setup(arca_db_t *db, apr_pool_t *p, const char *project,
                                        arca_import_project_t *out);

#endif
