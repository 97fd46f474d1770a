/* The configured de-identification of an import (see import_deid.h). */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "model/config_store.h"
#include "import/import_deid.h"

/* What XNAT's default script does, in Arca's words: the DICOM carries the archive's labels
 * (and the project's ID as Study Description when the project is known). It runs after the
 * site's Basic Profile (on unless an admin turned it off), which has emptied the names. */
static const char default_site_script[] =
    "// Arca's default site-wide anonymisation script.\n"
    "// It labels each object with the archive's names. The site's PS3.15 Basic Profile\n"
    "// (config anon/basicProfile, on by default) runs before it and removes the PHI.\n"
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

arca_error_t *arca_site_profile_options(apr_pool_t *p, const char *text, unsigned *out)
{
    char *copy = apr_pstrdup(p, text ? text : ""), *tok, *state;

    *out = 0;
    for (tok = apr_strtok(copy, ", \t\r\n", &state); tok;
         tok = apr_strtok(NULL, ", \t\r\n", &state)) {
        unsigned bit = arca_deid_profile_option(tok);
        if (bit == 0 && strcasecmp(tok, "none"))
            return arca_error_create(p, 400, "unknown Basic Profile option '%.64s': the "
                                     "options are keepDates, keepDevice, "
                                     "keepPatientCharacteristics (or none)", tok);
        *out |= bit;
    }
    return ARCA_OK;
}

arca_error_t *arca_site_profile(arca_db_t *db, apr_pool_t *p, int *on, unsigned *options)
{
    arca_config_t *c;
    arca_error_t *err = arca_config_get(db, p, "anon", "basicProfile", NULL, &c);

    *on = 0;
    *options = 0;
    if (err)
        return err;
    if (c == NULL) { /* never set: a fresh install de-identifies */
        *on = 1;
        return ARCA_OK;
    }
    *on = strcmp(c->status, "enabled") == 0;
    return *on ? arca_site_profile_options(p, c->contents, options) : ARCA_OK;
}

arca_error_t *arca_import_site_script(arca_db_t *db, apr_pool_t *p,
                                      const arca_deid_program **out)
{
    const arca_deid_program *labels;
    arca_deid_program *prog;
    PGresult *res;
    unsigned options;
    int on;
    arca_error_t *err;

    if ((err = script(db, p, "script", NULL, default_site_script, &labels))
        || (err = arca_site_profile(db, p, &on, &options)))
        return err;
    *out = labels;
    if (!on)
        return ARCA_OK;
    if ((err = arca_db_query(db, p, &res, "SELECT value FROM arca_site_secret "
                             "WHERE name = 'uid_salt'", 0, NULL)))
        return err;
    /* (0012,0063) is LO: at most 64 characters */
    if ((err = arca_deid_basic_profile_then(p, "Arca site: PS3.15 Basic Application Level "
                                            "Confidentiality Profile", options,
                                            PQntuples(res) ? PQgetvalue(res, 0, 0) : NULL,
                                            labels, &prog)))
        return err;
    *out = prog;
    return ARCA_OK;
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
