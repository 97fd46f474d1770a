/* Custom variable definitions. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "model/field_defs.h"
#include "format/row_stream.h"
#include "model/item_xml_read.h"
#include "model/model.h"

arca_error_t *arca_field_defs_list(arca_db_t *db, apr_pool_t *p, const char *project,
                                   arca_resultset_t **out)
{
    return arca_query_resultset(db, p, "Custom variables",
        "SELECT level, name, type, description, definition FROM arca_field_def "
        "WHERE project = $1 "
        "ORDER BY array_position(ARRAY['project','subject','experiment','scan'], level), name",
        1, &project, out);
}

static const char *lower(apr_pool_t *p, const char *s)
{
    char *l = apr_pstrdup(p, s);

    for (char *c = l; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return l;
}

/* Which table holds the values of a level, and its key. */
static const char *values_sql(const char *level)
{
    if (strcmp(level, "project") == 0)
        return "SELECT o.fields ->> $2 FROM arca_project o WHERE o.id = $1";
    if (strcmp(level, "subject") == 0)
        return "SELECT o.fields ->> $2 FROM arca_subject o WHERE o.project = $1";
    if (strcmp(level, "experiment") == 0)
        return "SELECT o.fields ->> $2 FROM arca_experiment o WHERE o.project = $1";
    return "SELECT o.fields ->> $2 FROM arca_scan o JOIN arca_experiment e "
           "ON e.id = o.experiment_id WHERE e.project = $1";
}

arca_error_t *arca_field_def_put(arca_db_t *db, apr_pool_t *p, const char *project,
                                 const char *level, const char *name, const char *type,
                                 const char *description, const char *definition)
{
    static const char *const levels[] = {"project", "subject", "experiment", "scan", NULL};
    const char *lname = lower(p, name);
    arca_type_t t;
    PGresult *res;
    arca_error_t *err;
    int ok = 0;

    for (int i = 0; levels[i]; i++)
        ok |= strcmp(levels[i], level) == 0;
    if (!ok)
        return arca_error_create(p, 400, "level '%s': use project, subject, experiment or "
                                 "scan", level);
    if (type && (strcmp(type, "int") == 0 || strcmp(type, "long") == 0))
        type = "integer"; /* pyxnat's examples say int */
    else if (type && strcmp(type, "double") == 0)
        type = "float";
    t = arca_type_from_name(type ? type : "string", &ok);
    if (!ok)
        return arca_error_create(p, 400, "type '%s': use string, integer, float, boolean or "
                                 "date", type);
    /* existing values must fit the new type */
    err = arca_db_query(db, p, &res, values_sql(level), 2,
                        (const char *const[]){project, lname});
    for (int i = 0; !err && i < PQntuples(res); i++)
        if (!PQgetisnull(res, i, 0))
            err = arca_value_check(p, lname, t, PQgetvalue(res, i, 0));
    if (err)
        return err;
    err = arca_db_query(db, p, NULL,
        "INSERT INTO arca_field_def (project, level, name, type, description, definition) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project, level, name) DO UPDATE SET "
        "type = EXCLUDED.type, description = EXCLUDED.description, "
        "definition = EXCLUDED.definition", 6,
        (const char *const[]){project, level, lname, arca_type_name(t),
                              description ? description : "",
                              definition && *definition ? definition : "default"});
    if (err && err->status == 400)
        return arca_error_create(p, 400, "'%s' is not a valid variable name: start with a "
                                 "letter; letters, digits and '_', up to 64", name);
    return err;
}

const char *arca_field_level_of_type(const char *t)
{
    size_t n = strlen(t);

    if (strcmp(t, "xnat:projectData") == 0)
        return "project";
    if (strcmp(t, "xnat:subjectData") == 0)
        return "subject";
    if (n > 8 && strcmp(t + n - 8, "ScanData") == 0)
        return "scan";
    if (strchr(t, ':'))
        return "experiment"; /* sessions and other experiments */
    return NULL;
}

arca_error_t *arca_field_defs_apply_xml(arca_db_t *db, apr_pool_t *p, const char *project,
                                        const apr_array_header_t *defs, int replace)
{
    json_t *keep = json_array(); /* [level, name] pairs the document holds */
    char *keep_text;
    const char *keep_param;
    arca_error_t *err = ARCA_OK;

    for (int i = 0; i < defs->nelts && !err; i++) {
        const arca_xml_field_def_t *d = &APR_ARRAY_IDX(defs, i, arca_xml_field_def_t);
        const char *level = arca_field_level_of_type(d->data_type);
        if (level == NULL)
            err = arca_error_create(p, 400, "custom variable '%s': unknown data type '%s'",
                                    d->name, d->data_type);
        else
            err = arca_field_def_put(db, p, project, level, d->name, d->datatype, NULL,
                                     d->definition);
        if (!err)
            json_array_append_new(keep, json_pack("[ss]", level, lower(p, d->name)));
    }
    keep_text = json_dumps(keep, JSON_COMPACT);
    keep_param = apr_pstrdup(p, keep_text);
    free(keep_text);
    json_decref(keep);
    if (err || !replace)
        return err;
    return arca_db_query(db, p, NULL,
        "DELETE FROM arca_field_def WHERE project = $1 AND NOT EXISTS (SELECT 1 FROM "
        "jsonb_array_elements($2::jsonb) k WHERE k ->> 0 = level AND k ->> 1 = name)", 2,
        (const char *const[]){project, keep_param});
}

arca_error_t *arca_field_def_delete(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char *level, const char *name)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "DELETE FROM arca_field_def WHERE project = $1 AND level = $2 AND name = $3 "
        "RETURNING 1", 3, (const char *const[]){project, level, lower(p, name)});

    if (!err && PQntuples(res) == 0)
        return arca_error_create(p, 404, "no %s variable '%s' in project '%s'", level, name,
                                 project);
    return err;
}
