/* The configured de-identification of an import (see import_deid.h). */
#include <string.h>

#include <apr_strings.h>

#include "model/config_store.h"
#include "import/import_deid.h"

/* What XNAT's default script does, in Arca's words: the DICOM carries the archive's labels
 * (and the project's ID as Study Description when the project is known). */
static const char default_site_script[] =
    "// Arca's default site-wide anonymisation script.\n"
    "// It labels each object with the archive's names; it removes nothing. Replace it\n"
    "// with a de-identification script, or use the project's Basic Profile option.\n"
    "version \"6.1\"\n"
    "project != \"Unassigned\" ? (0008,1030) := project\n"
    "(0010,0010) := subject\n"
    "(0010,0020) := session\n";

const char *arca_default_site_script(void)
{
    return default_site_script;
}

/* The enabled script of a config document, compiled; dflt when there is no document. */
static arca_error_t *script(arca_db_t *db, apr_pool_t *p, const char *path,
                            const char *project, const char *dflt,
                            const arca_deid_program **out)
{
    arca_config_t *c;
    arca_deid_program *prog;
    arca_error_t *err = arca_config_get(db, p, "anon", path, project, &c);
    const char *text = c ? (strcmp(c->status, "enabled") == 0 ? c->contents : NULL) : dflt;

    *out = NULL;
    if (err || text == NULL)
        return err;
    if ((err = arca_deid_compile(p, text, strlen(text), &prog)))
        return arca_error_create(p, 500, "the stored anonymisation script does not "
                                 "compile: %s", err->message);
    *out = prog;
    return ARCA_OK;
}

arca_error_t *arca_import_site_script(arca_db_t *db, apr_pool_t *p,
                                      const arca_deid_program **out)
{
    return script(db, p, "script", NULL, default_site_script, out);
}

/* The project's Basic Profile option: its config document anon/basicProfile, enabled.
 * Then UIDs are remapped with the project's secret. */
static arca_error_t *basic_profile(arca_db_t *db, apr_pool_t *p, const char *project,
                                   arca_import_project_t *o)
{
    arca_config_t *c;
    arca_deid_program *prog;
    PGresult *res;
    arca_error_t *err = arca_config_get(db, p, "anon", "basicProfile", project, &c);

    if (err || c == NULL || strcmp(c->status, "enabled") != 0)
        return err;
    /* (0012,0063) is LO: at most 64 characters */
    if ((err = arca_deid_basic_profile(p, "Arca: PS3.15 Basic Application Level "
                                       "Confidentiality Profile", &prog))
        || (err = arca_db_query(db, p, &res, "SELECT uid_salt FROM arca_project "
                                "WHERE id = $1", 1, &project)))
        return err;
    o->basic_profile = prog;
    o->uid_salt = PQntuples(res) ? PQgetvalue(res, 0, 0) : NULL;
    return ARCA_OK;
}

arca_error_t *arca_import_project_deid(arca_db_t *db, apr_pool_t *p, const char *project,
                                       arca_import_project_t *out)
{
    arca_error_t *err;

    memset(out, 0, sizeof *out);
    if ((err = script(db, p, apr_pstrcat(p, "projects/", project, NULL), project, NULL,
                      &out->script)))
        return err;
    return basic_profile(db, p, project, out);
}
