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
        "SELECT level, coalesce(display_name, name) AS name, type, description, definition, "
        "CASE WHEN required THEN 'true' ELSE 'false' END AS required, "
        "to_json(options)::text AS options FROM arca_field_def "
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

apr_array_header_t *arca_field_options_split(apr_pool_t *p, const char *list)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    char *copy = apr_pstrdup(p, list), *state = NULL;

    for (char *o = apr_strtok(copy, ",", &state); o; o = apr_strtok(NULL, ",", &state)) {
        char *end = o + strlen(o);
        while (*o == ' ')
            o++;
        while (end > o && end[-1] == ' ')
            *--end = '\0';
        APR_ARRAY_PUSH(out, const char *) = o;
    }
    return out;
}

apr_array_header_t *arca_field_options_from_json(apr_pool_t *p, const char *text)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v)
        if (json_is_string(v))
            APR_ARRAY_PUSH(out, const char *) = apr_pstrdup(p, json_string_value(v));
    json_decref(a);
    return out;
}

arca_error_t *arca_field_option_check(apr_pool_t *p, const char *field,
                                      const apr_array_header_t *options, const char *value)
{
    const char *allowed = NULL;

    if (options == NULL || options->nelts == 0 || value == NULL)
        return ARCA_OK;
    for (int i = 0; i < options->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(options, i, const char *), value) == 0)
            return ARCA_OK;
    /* the list in the message, cut after a screenful */
    for (int i = 0; i < options->nelts && i < 20; i++)
        allowed = apr_pstrcat(p, allowed ? allowed : "", allowed ? ", " : "",
                              APR_ARRAY_IDX(options, i, const char *), NULL);
    return arca_error_create(p, 400, "field '%s': '%s' is not one of the values allowed: %s%s",
                             field, value, allowed, options->nelts > 20 ? ", ..." : "");
}

/* The options as a JSON array parameter, each checked: not empty, not twice, of the type. */
static arca_error_t *options_param(apr_pool_t *p, const char *name, arca_type_t t,
                                   const apr_array_header_t *options, const char **out)
{
    json_t *a = json_array();
    char *text;
    arca_error_t *err = ARCA_OK;
    int n = options ? options->nelts : 0;

    if (n > ARCA_FIELD_MAX_OPTIONS)
        err = arca_error_create(p, 400, "custom variable '%s': %d options, at most %d", name,
                                n, ARCA_FIELD_MAX_OPTIONS);
    for (int i = 0; i < n && !err; i++) {
        const char *o = APR_ARRAY_IDX(options, i, const char *);
        for (int k = 0; k < i && !err; k++)
            if (strcmp(APR_ARRAY_IDX(options, k, const char *), o) == 0)
                err = arca_error_create(p, 400, "custom variable '%s': option '%s' is given "
                                        "twice", name, o);
        if (!err && (*o == '\0' || strcmp(o, "NULL") == 0))
            err = arca_error_create(p, 400, "custom variable '%s': an option cannot be empty",
                                    name);
        if (!err)
            err = arca_value_check(p, name, t, o);
        if (!err)
            json_array_append_new(a, json_string(o));
    }
    text = err ? NULL : json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (err)
        return err;
    if (text == NULL)
        return arca_error_create(p, 400, "custom variable '%s': options must be UTF-8", name);
    *out = apr_pstrdup(p, text);
    free(text);
    return ARCA_OK;
}

arca_error_t *arca_field_def_put(arca_db_t *db, apr_pool_t *p, const char *project,
                                 const arca_field_def_t *d)
{
    static const char *const levels[] = {"project", "subject", "experiment", "scan", NULL};
    const char *lname = lower(p, d->name), *type = d->type, *options = "[]";
    arca_type_t t;
    PGresult *res;
    arca_error_t *err;
    int ok = 0;

    for (int i = 0; levels[i]; i++)
        ok |= strcmp(levels[i], d->level) == 0;
    if (!ok)
        return arca_error_create(p, 400, "level '%s': use project, subject, experiment or "
                                 "scan", d->level);
    if (type && (strcmp(type, "int") == 0 || strcmp(type, "long") == 0))
        type = "integer"; /* pyxnat's examples say int */
    else if (type && strcmp(type, "double") == 0)
        type = "float";
    t = arca_type_from_name(type ? type : "string", &ok);
    if (!ok)
        return arca_error_create(p, 400, "type '%s': use string, integer, float, boolean or "
                                 "date", type);
    if ((err = options_param(p, d->name, t, d->options, &options)))
        return err;
    /* existing values must fit the new type and options */
    err = arca_db_query(db, p, &res, values_sql(d->level), 2,
                        (const char *const[]){project, lname});
    for (int i = 0; !err && i < PQntuples(res); i++)
        if (!PQgetisnull(res, i, 0)
            && !(err = arca_value_check(p, d->name, t, PQgetvalue(res, i, 0))))
            err = arca_field_option_check(p, d->name, d->options, PQgetvalue(res, i, 0));
    if (err)
        return err;
    err = arca_db_query(db, p, NULL,
        "INSERT INTO arca_field_def (project, level, name, display_name, type, description, "
        "definition, required, options) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "ARRAY(SELECT jsonb_array_elements_text($9::jsonb))) "
        "ON CONFLICT (project, level, name) DO UPDATE SET "
        "display_name = EXCLUDED.display_name, type = EXCLUDED.type, "
        "description = EXCLUDED.description, definition = EXCLUDED.definition, "
        "required = EXCLUDED.required, options = EXCLUDED.options", 9,
        (const char *const[]){project, d->level, lname, d->name, arca_type_name(t),
                              d->description ? d->description : "",
                              d->definition && *d->definition ? d->definition : "default",
                              d->required ? "true" : "false", options});
    if (err && err->status == 400)
        return arca_error_create(p, 400, "'%s' is not a valid variable name: start with a "
                                 "letter; letters, digits and '_', up to 64", d->name);
    return err;
}

/* A JSON member that must be a string when present. */
static arca_error_t *json_text(apr_pool_t *p, json_t *body, const char *key,
                               const char **out)
{
    json_t *v = json_object_get(body, key);

    if (v == NULL || json_is_null(v))
        return ARCA_OK;
    if (!json_is_string(v))
        return arca_error_create(p, 400, "'%s' must be a string", key);
    *out = apr_pstrdup(p, json_string_value(v));
    return ARCA_OK;
}

arca_error_t *arca_field_def_from_json(apr_pool_t *p, json_t *body, arca_field_def_t *d)
{
    json_t *req, *opts;
    arca_error_t *err;
    size_t i;
    json_t *v;

    if (!json_is_object(body))
        return arca_error_create(p, 400, "the definition must be a JSON object");
    if ((err = json_text(p, body, "type", &d->type))
        || (err = json_text(p, body, "description", &d->description))
        || (err = json_text(p, body, "definition", &d->definition)))
        return err;
    req = json_object_get(body, "required");
    if (req && !json_is_boolean(req) && !json_is_null(req))
        return arca_error_create(p, 400, "'required' must be true or false");
    if (req)
        d->required = json_is_true(req);
    opts = json_object_get(body, "options");
    if (opts == NULL)
        opts = json_object_get(body, "possibleValues");
    if (opts == NULL || json_is_null(opts))
        return ARCA_OK;
    if (!json_is_array(opts))
        return arca_error_create(p, 400, "'options' must be an array of strings");
    d->options = apr_array_make(p, (int)json_array_size(opts) + 1, sizeof(const char *));
    json_array_foreach(opts, i, v) {
        if (!json_is_string(v))
            return arca_error_create(p, 400, "'options' must be an array of strings");
        APR_ARRAY_PUSH(d->options, const char *) = apr_pstrdup(p, json_string_value(v));
    }
    return ARCA_OK;
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
        else {
            arca_field_def_t def = {level, d->name, d->datatype, NULL, d->definition,
                                    d->required, d->options};
            err = arca_field_def_put(db, p, project, &def);
        }
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
