/* The de-identification an import applies, as configured (XNAT's config service, anon/...):
 * the site's script (Arca's default until an admin stores one), and per project its Basic
 * Profile option and its script. For every entry point: REST uploads, the DICOM receiver,
 * archiving from the prearchive into another project. */
#ifndef ARCA_IMPORT_DEID_H
#define ARCA_IMPORT_DEID_H

#include "db/db.h"
#include "deid/deid_script.h"

/* The built-in site script: the archive's labels go into the objects; nothing is removed. */
const char *arca_default_site_script(void);

/* The site's de-identification, compiled: the PS3.15 Basic Profile with the site's
 * options (anon/basicProfile: on when never set, UIDs replaced with the site's secret)
 * followed by the site's script (anon/script, Arca's default until one is stored); NULL
 * when both are off. A stored script that no longer compiles is a 500 (it was checked
 * when stored). */
arca_error_t *arca_import_site_script(arca_db_t *db, apr_pool_t *p,
                                      const arca_deid_program **out);

/* The site's Basic Profile setting: *on (the document anon/basicProfile enabled, or
 * none stored) and its options (ARCA_DEID_KEEP_*). */
arca_error_t *arca_site_profile(arca_db_t *db, apr_pool_t *p, int *on, unsigned *options);

/* The options of the site's anon/basicProfile document: names separated by commas or
 * white space (deid_script.h), or "none"; an unknown name is a 400. */
arca_error_t *arca_site_profile_options(apr_pool_t *p, const char *text, unsigned *out);

/* A project's de-identification, as found for the objects routed to it. */
typedef struct arca_import_project_t {
    const arca_deid_program *script;        /* the project's script; NULL: none */
    /* the PS3.15 Basic Profile, run after the site's script and before the project's
     * (NULL: off), and the project's secret its UIDs are remapped with */
    const arca_deid_program *basic_profile;
    const char *uid_salt;
} arca_import_project_t;

/* A project's Basic Profile (when its anon/basicProfile document is enabled, with the
 * project's UID secret) and script (anon/projects/{p}, when enabled). */
arca_error_t *arca_import_project_deid(arca_db_t *db, apr_pool_t *p, const char *project,
                                       arca_import_project_t *out);

#endif
