/* Object writes. Table and column names come from fixed tables here and in
 * model_fields.c; every client value is a parameter. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "model/field_defs.h"
#include "model/model_write.h"

static const struct {
    const char *table;
    const char *key;       /* the key column */
    const char *key_cast;  /* "::bigint" for numeric keys */
    const char *level;     /* arca_field_def.level */
} tables[ARCA_KIND_COUNT] = {
    [ARCA_KIND_PROJECT] = {"arca_project", "id", "", "project"},
    [ARCA_KIND_SUBJECT] = {"arca_subject", "id", "", "subject"},
    [ARCA_KIND_EXPERIMENT] = {"arca_experiment", "id", "", "experiment"},
    [ARCA_KIND_SCAN] = {"arca_scan", "pk", "::bigint", "scan"},
    [ARCA_KIND_RESOURCE] = {"arca_resource", "pk", "::bigint", NULL},
    [ARCA_KIND_FILE] = {"arca_file", "pk", "::bigint", NULL},
    [ARCA_KIND_RECONSTRUCTION] = {"arca_reconstruction", "pk", "::bigint", NULL},
};

/* Parameters that steer a request rather than set a field, per kind. */
static int is_control_arg(arca_kind_t kind, const char *name)
{
    static const char *const control[] = {
        "xsiType", "xsitype", "req_format", "inbody", "event_reason", "event_type",
        "event_action", "event_comment", "allowDataDeletion", "removeFiles", "overwrite",
        "extract", "triggerPipelines", "fixScanTypes", "pullDataFromHeaders", "primary",
        "columns", "_", NULL};

    if (strcmp(name, "format") == 0)
        return kind != ARCA_KIND_RESOURCE && kind != ARCA_KIND_FILE;
    for (int i = 0; control[i]; i++)
        if (strcmp(name, control[i]) == 0)
            return 1;
    return 0;
}

typedef struct {
    apr_pool_t *p;
    arca_kind_t kind;
    arca_changes_t *c;
    arca_error_t *err;
} collect_baton;

static int collect(void *data, const char *name, const char *value)
{
    collect_baton *b = data;
    arca_field_ref_t ref;
    int clear = *value == '\0' || strcmp(value, "NULL") == 0;

    if (is_control_arg(b->kind, name))
        return 1;
    if (!arca_field_resolve(b->p, b->kind, name, &ref)) {
        if (arca_field_name_is_xpath(name)) {
            b->err = arca_error_create(b->p, 400, "unknown field '%s' for %s", name,
                                       arca_kind_root_type(b->kind));
            return 0;
        }
        return 1; /* a plain name we do not know: a client's own control parameter */
    }
    if (ref.add_param) {
        APR_ARRAY_PUSH(b->c->add_param_names, const char *) = ref.add_param;
        APR_ARRAY_PUSH(b->c->add_param_values, const char *) = clear ? NULL : value;
        return 1;
    }
    if (ref.custom) {
        APR_ARRAY_PUSH(b->c->custom_names, const char *) = ref.custom;
        APR_ARRAY_PUSH(b->c->custom_values, const char *) = clear ? NULL : value;
        return 1;
    }
    if (strcmp(ref.field->alias, "label") == 0) {
        b->c->label = value;
        return 1;
    }
    if (b->kind == ARCA_KIND_PROJECT && strcmp(ref.field->alias, "alias") == 0) {
        /* alias=A (or A,B): aliases to add, as XNAT's project form sends them */
        char *list = apr_pstrdup(b->p, value), *state = NULL, *a;
        for (a = apr_strtok(list, ", ", &state); a; a = apr_strtok(NULL, ", ", &state))
            APR_ARRAY_PUSH(b->c->aliases, const char *) = a;
        return 1;
    }
    if (ref.field->column == NULL)
        return 1; /* ID, URI, insert_date...: read-only, as in XNAT */
    if ((b->err = arca_field_check(b->p, ref.field, value)))
        return 0;
    APR_ARRAY_PUSH(b->c->fields, const arca_field_t *) = ref.field;
    APR_ARRAY_PUSH(b->c->values, const char *) =
        clear ? (ref.field->type == ARCA_TYPE_TEXT ? "" : NULL) : value;
    return 1;
}

arca_error_t *arca_changes_from_args(apr_pool_t *p, arca_kind_t kind, const apr_table_t *args,
                                     arca_changes_t **out)
{
    arca_changes_t *c = apr_pcalloc(p, sizeof *c);
    collect_baton b = {p, kind, c, NULL};

    c->fields = apr_array_make(p, 8, sizeof(const arca_field_t *));
    c->values = apr_array_make(p, 8, sizeof(const char *));
    c->custom_names = apr_array_make(p, 4, sizeof(const char *));
    c->custom_values = apr_array_make(p, 4, sizeof(const char *));
    c->aliases = apr_array_make(p, 2, sizeof(const char *));
    c->add_param_names = apr_array_make(p, 4, sizeof(const char *));
    c->add_param_values = apr_array_make(p, 4, sizeof(const char *));
    if (args)
        apr_table_do(collect, &b, args, NULL);
    *out = c;
    return b.err;
}

int arca_changes_empty(const arca_changes_t *c)
{
    return c->fields->nelts == 0 && c->custom_names->nelts == 0 && c->label == NULL
           && c->add_param_names->nelts == 0;
}

/* Checks custom values against the project's definitions for this level: their type and,
 * where the definition lists them, the values allowed. */
static arca_error_t *check_custom(arca_db_t *db, apr_pool_t *p, arca_kind_t kind,
                                  const char *project, const arca_changes_t *c)
{
    PGresult *res;
    arca_error_t *err;

    if (c->custom_names->nelts == 0 || project == NULL || tables[kind].level == NULL)
        return ARCA_OK;
    err = arca_db_query(db, p, &res, "SELECT name, type, coalesce(display_name, name), "
                        "CASE WHEN options = '{}' THEN NULL ELSE to_json(options)::text END "
                        "FROM arca_field_def WHERE project = $1 AND level = $2", 2,
                        (const char *const[]){project, tables[kind].level});
    if (err)
        return err;
    for (int i = 0; i < c->custom_names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(c->custom_names, i, const char *);
        const char *value = APR_ARRAY_IDX(c->custom_values, i, const char *);
        for (int r = 0; value && r < PQntuples(res); r++) {
            int ok;
            arca_type_t type = arca_type_from_name(PQgetvalue(res, r, 1), &ok);
            const char *shown = PQgetvalue(res, r, 2);
            if (strcmp(PQgetvalue(res, r, 0), name) != 0 || !ok)
                continue;
            if ((err = arca_value_check(p, shown, type, value)))
                return err;
            if (!PQgetisnull(res, r, 3)
                && (err = arca_field_option_check(p, shown, arca_field_options_from_json(
                                                      p, PQgetvalue(res, r, 3)), value)))
                return err;
        }
    }
    return ARCA_OK;
}

/* "column = (column || $a::jsonb) - ARRAY(...$r)" added to `set`: the names with a value
 * set, those without removed, in a jsonb column of name -> text. */
static const char *merge_jsonb(apr_pool_t *p, apr_array_header_t *params, const char *set,
                               const char *column, const apr_array_header_t *names,
                               const apr_array_header_t *values)
{
    json_t *add = json_object(), *remove = json_array();
    char *add_text, *remove_text;

    for (int i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        const char *value = APR_ARRAY_IDX(values, i, const char *);
        if (value)
            json_object_set_new(add, name, json_string(value));
        else
            json_array_append_new(remove, json_string(name));
    }
    add_text = json_dumps(add, JSON_COMPACT);
    remove_text = json_dumps(remove, JSON_COMPACT);
    APR_ARRAY_PUSH(params, const char *) = apr_pstrdup(p, add_text ? add_text : "{}");
    APR_ARRAY_PUSH(params, const char *) = apr_pstrdup(p, remove_text ? remove_text : "[]");
    free(add_text);
    free(remove_text);
    json_decref(add);
    json_decref(remove);
    return apr_psprintf(p, "%s%s%s = (%s || $%d::jsonb) - ARRAY(SELECT "
                        "jsonb_array_elements_text($%d::jsonb))", set ? set : "",
                        set ? ", " : "", column, column, params->nelts - 1, params->nelts);
}

/* add_param_order follows merge_jsonb's add_params: the names it set appended (in the
 * order the client gave them) unless already there, those it removed dropped. It reuses
 * merge_jsonb's two parameters, the last two in `params`. */
static const char *param_order(apr_pool_t *p, apr_array_header_t *params, const char *set)
{
    int added = params->nelts - 1, removed = params->nelts;

    return apr_psprintf(p, "%s, add_param_order = ARRAY(SELECT u.k FROM unnest("
                        "add_param_order || ARRAY(SELECT a.k FROM json_each_text($%d::json) "
                        "WITH ORDINALITY a(k, v, n) ORDER BY a.n)) WITH ORDINALITY u(k, n) "
                        "WHERE u.k NOT IN (SELECT jsonb_array_elements_text($%d::jsonb)) "
                        "GROUP BY u.k ORDER BY min(u.n))", set, added, removed);
}

arca_error_t *arca_changes_apply(arca_db_t *db, apr_pool_t *p, arca_kind_t kind,
                                 const char *key, const char *project,
                                 const arca_changes_t *c)
{
    apr_array_header_t *params = apr_array_make(p, 16, sizeof(const char *));
    const char *set = NULL;
    arca_error_t *err;

    if (c->fields->nelts == 0 && c->custom_names->nelts == 0
        && c->add_param_names->nelts == 0)
        return ARCA_OK;
    if ((err = check_custom(db, p, kind, project, c)))
        return err;
    APR_ARRAY_PUSH(params, const char *) = key;
    for (int i = 0; i < c->fields->nelts; i++) {
        const arca_field_t *f = APR_ARRAY_IDX(c->fields, i, const arca_field_t *);
        APR_ARRAY_PUSH(params, const char *) = APR_ARRAY_IDX(c->values, i, const char *);
        set = apr_psprintf(p, "%s%s%s = $%d%s", set ? set : "", set ? ", " : "", f->column,
                           params->nelts, f->type == ARCA_TYPE_INTEGER ? "::integer"
                           : f->type == ARCA_TYPE_DATE ? "::date"
                           : f->type == ARCA_TYPE_TIME ? "::time"
                           : f->type == ARCA_TYPE_FLOAT ? "::double precision" : "");
    }
    if (c->custom_names->nelts > 0)
        set = merge_jsonb(p, params, set, "fields", c->custom_names, c->custom_values);
    if (c->add_param_names->nelts > 0) {
        set = merge_jsonb(p, params, set, "add_params", c->add_param_names,
                          c->add_param_values);
        set = param_order(p, params, set);
    }
    return arca_db_query(db, p, NULL,
                         apr_psprintf(p, "UPDATE %s SET %s WHERE %s = $1%s", tables[kind].table,
                                      set, tables[kind].key, tables[kind].key_cast),
                         params->nelts, (const char *const *)params->elts);
}

arca_error_t *arca_project_create(arca_db_t *db, apr_pool_t *p, const char *id,
                                  const char *user)
{
    PGresult *res;
    /* an ID may not be another project's alias (project_alias.h) */
    arca_error_t *err = arca_db_query(db, p, &res,
                                      "INSERT INTO arca_project (id, name, secondary_id, "
                                      "insert_user) SELECT $1, $1, $1, $2 WHERE NOT EXISTS "
                                      "(SELECT 1 FROM arca_project_alias WHERE alias = $1) "
                                      "RETURNING 1", 2,
                                      (const char *const[]){id, user ? user : ""});

    if (err && err->status == 400)
        return arca_error_create(p, 400, "'%s' is not a valid project ID: use up to 64 "
                                 "letters, digits, '_' or '-', starting with a letter or "
                                 "digit", id);
    if (err && err->status == 409)
        return arca_error_create(p, 409, "project '%s' already exists", id);
    if (!err && PQntuples(res) == 0)
        return arca_error_create(p, 409, "'%s' is another project's alias", id);
    return err;
}

static arca_error_t *label_clash(apr_pool_t *p, arca_error_t *err, const char *what,
                                 const char *label, const char *project)
{
    if (err && err->status == 409)
        return arca_error_create(p, 409, "project '%s' already has a %s labelled '%s'",
                                 project, what, label);
    return err;
}

static const char *label_table(arca_kind_t kind)
{
    return kind == ARCA_KIND_SUBJECT ? "arca_subject_label" : "arca_experiment_label";
}

static const char *label_key(arca_kind_t kind)
{
    return kind == ARCA_KIND_SUBJECT ? "subject_id" : "experiment_id";
}

/* A new subject's or experiment's label in the project it belongs to. */
static arca_error_t *insert_primary_label(arca_db_t *db, apr_pool_t *p, arca_kind_t kind,
                                          const char *id, const char *project,
                                          const char *label)
{
    arca_error_t *err = arca_db_query(db, p, NULL,
        apr_psprintf(p, "INSERT INTO %s (%s, project, label, is_primary) "
                     "VALUES ($1, $2, $3, true)", label_table(kind), label_key(kind)), 3,
        (const char *const[]){id, project, label});

    return label_clash(p, err, arca_kind_name(kind), label, project);
}

arca_error_t *arca_subject_create(arca_db_t *db, apr_pool_t *p, const char *site,
                                  const char *project, const char *label, const char *user,
                                  const char **id)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "INSERT INTO arca_subject (id, project, insert_user) VALUES ($1 || '_S' || "
        "lpad(nextval('arca_subject_seq')::text, 5, '0'), $2, $3) RETURNING id", 3,
        (const char *const[]){site, project, user ? user : ""});

    if (err)
        return err;
    *id = PQgetvalue(res, 0, 0);
    return insert_primary_label(db, p, ARCA_KIND_SUBJECT, *id, project, label);
}

arca_error_t *arca_experiment_create(arca_db_t *db, apr_pool_t *p, const char *site,
                                     const char *project, const char *subject_id,
                                     const char *label, const char *xsi_type,
                                     const char *session_id, const char *user,
                                     const char **id)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "INSERT INTO arca_experiment (id, project, subject_id, session_id, xsi_type, "
        "insert_user) VALUES ($1 || '_E' || lpad(nextval('arca_experiment_seq')::text, 5, "
        "'0'), $2, $3, $4, $5, $6) RETURNING id", 6,
        (const char *const[]){site, project, subject_id, session_id, xsi_type,
                              user ? user : ""});

    if (err)
        return err;
    *id = PQgetvalue(res, 0, 0);
    return insert_primary_label(db, p, ARCA_KIND_EXPERIMENT, *id, project, label);
}

/* Creations of one name wait for each other: a transaction-scoped advisory lock on the
 * name, then a look for what a transaction that held it before may have committed. Two
 * concurrent PUTs of one new label thus make one object, and the second sees the first
 * instead of failing on the unique label (409). */
static arca_error_t *lock_name(arca_db_t *db, apr_pool_t *p, const char *name)
{
    return arca_db_query(db, p, NULL, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                         1, &name);
}

static arca_error_t *labelled(arca_db_t *db, apr_pool_t *p, arca_kind_t kind,
                              const char *project, const char *label, const char **id)
{
    PGresult *res;
    arca_error_t *err = lock_name(db, p, apr_pstrcat(p, "arca-create|", arca_kind_name(kind),
                                                     "|", project, "|", label, NULL));

    *id = NULL;
    if (!err)
        err = arca_db_query(db, p, &res, apr_psprintf(p, "SELECT %s FROM %s WHERE project = "
                                                      "$1 AND label = $2", label_key(kind),
                                                      label_table(kind)), 2,
                            (const char *const[]){project, label});
    if (!err && PQntuples(res) > 0)
        *id = PQgetvalue(res, 0, 0);
    return err;
}

arca_error_t *arca_subject_find_or_create(arca_db_t *db, apr_pool_t *p, const char *site,
                                          const char *project, const char *label,
                                          const char *user, const char **id, int *created)
{
    arca_error_t *err = labelled(db, p, ARCA_KIND_SUBJECT, project, label, id);

    *created = !err && *id == NULL;
    return err || *id ? err : arca_subject_create(db, p, site, project, label, user, id);
}

arca_error_t *arca_experiment_find_or_create(arca_db_t *db, apr_pool_t *p, const char *site,
                                             const char *project, const char *subject_id,
                                             const char *label, const char *xsi_type,
                                             const char *session_id, const char *user,
                                             const char **id, int *created)
{
    PGresult *res;
    arca_error_t *err = labelled(db, p, ARCA_KIND_EXPERIMENT, project, label, id);

    /* one of that label under another subject is a clash, not this request's object */
    if (!err && *id
        && !(err = arca_db_query(db, p, &res, "SELECT 1 FROM arca_experiment WHERE id = $1 "
                                 "AND subject_id = $2", 2,
                                 (const char *const[]){*id, subject_id}))
        && PQntuples(res) == 0)
        err = arca_error_create(p, 409, "project '%s' already has a %s labelled '%s'",
                                project, arca_kind_name(ARCA_KIND_EXPERIMENT), label);
    *created = !err && *id == NULL;
    return err || *id ? err : arca_experiment_create(db, p, site, project, subject_id, label,
                                                     xsi_type, session_id, user, id);
}

arca_error_t *arca_scan_create(arca_db_t *db, apr_pool_t *p, const char *experiment_id,
                               const char *scan_id, const char *xsi_type, const char **pk)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "INSERT INTO arca_scan (experiment_id, id, xsi_type) VALUES ($1, $2, $3) "
        "RETURNING pk", 3, (const char *const[]){experiment_id, scan_id, xsi_type});

    if (err && err->status == 409)
        return arca_error_create(p, 409, "scan '%s' already exists", scan_id);
    if (!err)
        *pk = PQgetvalue(res, 0, 0);
    return err;
}

/* <project>/resources/<label>, <project>/subjects/<subject>/resources/<label>,
 * <project>/arc001/<session>/RESOURCES/<label>, <project>/arc001/<session>/SCANS/<scan>/<label>,
 * <project>/arc001/<session>/PROCESSED/<reconstruction>/<label> */
static const char *resource_dir(apr_pool_t *p, const arca_location_t *loc, const char *label)
{
    switch (loc->owner) {
    case ARCA_KIND_PROJECT:
        return apr_pstrcat(p, loc->project, "/resources/", label, NULL);
    case ARCA_KIND_SUBJECT:
        return apr_pstrcat(p, loc->project ? loc->project : "", loc->project ? "/" : "",
                           "subjects/", loc->subject_label, "/resources/", label, NULL);
    case ARCA_KIND_EXPERIMENT:
        return apr_pstrcat(p, loc->experiment_project, "/arc001/", loc->experiment_label,
                           "/RESOURCES/", label, NULL);
    case ARCA_KIND_RECONSTRUCTION:
        return apr_pstrcat(p, loc->experiment_project, "/arc001/", loc->experiment_label,
                           "/PROCESSED/", loc->recon_id, "/", label, NULL);
    default:
        return apr_pstrcat(p, loc->experiment_project, "/arc001/", loc->experiment_label,
                           "/SCANS/", loc->scan_id, "/", label, NULL);
    }
}

arca_error_t *arca_reconstruction_create(arca_db_t *db, apr_pool_t *p,
                                         const char *experiment_id, const char *id,
                                         const char **pk)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "INSERT INTO arca_reconstruction (experiment_id, id) VALUES ($1, $2) RETURNING pk", 2,
        (const char *const[]){experiment_id, id});

    if (err && err->status == 409)
        return arca_error_create(p, 409, "reconstruction '%s' already exists", id);
    if (!err)
        *pk = PQgetvalue(res, 0, 0);
    return err;
}

arca_error_t *arca_resource_create(arca_db_t *db, apr_pool_t *p, const arca_location_t *loc,
                                   const char *label, const char **pk, const char **dir)
{
    const char *params[7] = {label, NULL, NULL, NULL, NULL, NULL, NULL};
    PGresult *res;
    arca_error_t *err;

    switch (loc->owner) {
    case ARCA_KIND_PROJECT: params[1] = loc->project; break;
    case ARCA_KIND_SUBJECT: params[2] = loc->subject_id; break;
    case ARCA_KIND_EXPERIMENT: params[3] = loc->experiment_id; break;
    case ARCA_KIND_RECONSTRUCTION: params[6] = loc->recon_pk; break;
    default: params[4] = loc->scan_pk; break;
    }
    /* The readable directory, or, if an earlier object of the same names left it taken
     * (a relabel, say), the same with the new resource's number appended. */
    params[5] = resource_dir(p, loc, label);
    err = arca_db_query(db, p, &res,
        "WITH n AS (SELECT nextval('arca_resource_pk_seq') AS pk) "
        "INSERT INTO arca_resource (pk, label, project, subject_id, experiment_id, scan_pk, "
        "recon_pk, dir) SELECT n.pk, $1, $2, $3, $4, $5::bigint, $7::bigint, CASE WHEN EXISTS "
        "(SELECT 1 FROM arca_resource WHERE dir = $6) THEN $6 || '_' || n.pk ELSE $6 END "
        "FROM n RETURNING pk, dir", 7, params);
    if (err && err->status == 409)
        return arca_error_create(p, 409, "resource '%s' already exists", label);
    if (!err) {
        *pk = PQgetvalue(res, 0, 0);
        *dir = PQgetvalue(res, 0, 1);
    }
    return err;
}

arca_error_t *arca_resource_find_or_create(arca_db_t *db, apr_pool_t *p,
                                           const arca_location_t *loc, const char *label,
                                           const char **pk, const char **dir, int *created)
{
    const char *dflt = resource_dir(p, loc, label);
    PGresult *res;
    arca_error_t *err;

    /* the owner's readable directory names it: one lock per owner and label */
    if ((err = lock_name(db, p, apr_pstrcat(p, "arca-create|resource|", dflt, NULL)))
        || (err = arca_db_query(db, p, &res,
            "SELECT pk, dir FROM arca_resource WHERE label = $1 AND project IS NOT DISTINCT "
            "FROM $2 AND subject_id IS NOT DISTINCT FROM $3 AND experiment_id IS NOT "
            "DISTINCT FROM $4 AND scan_pk IS NOT DISTINCT FROM $5::bigint AND recon_pk IS "
            "NOT DISTINCT FROM $6::bigint", 6,
            (const char *const[]){label,
                                  loc->owner == ARCA_KIND_PROJECT ? loc->project : NULL,
                                  loc->owner == ARCA_KIND_SUBJECT ? loc->subject_id : NULL,
                                  loc->owner == ARCA_KIND_EXPERIMENT ? loc->experiment_id
                                                                     : NULL,
                                  loc->owner == ARCA_KIND_SCAN ? loc->scan_pk : NULL,
                                  loc->owner == ARCA_KIND_RECONSTRUCTION ? loc->recon_pk
                                                                         : NULL})))
        return err;
    *created = PQntuples(res) == 0;
    if (!*created) {
        *pk = PQgetvalue(res, 0, 0);
        *dir = PQgetvalue(res, 0, 1);
        return ARCA_OK;
    }
    return arca_resource_create(db, p, loc, label, pk, dir);
}

arca_error_t *arca_relabel(arca_db_t *db, apr_pool_t *p, arca_kind_t kind, const char *id,
                           const char *project, const char *label)
{
    arca_error_t *err = arca_db_query(db, p, NULL,
        apr_psprintf(p, "UPDATE %s SET label = $3 WHERE %s = $1 AND project = $2",
                     label_table(kind), label_key(kind)), 3,
        (const char *const[]){id, project, label});

    return label_clash(p, err, arca_kind_name(kind), label, project);
}

arca_error_t *arca_share(arca_db_t *db, apr_pool_t *p, arca_kind_t kind, const char *id,
                         const char *project, const char *label, int primary)
{
    arca_error_t *err = arca_db_query(db, p, NULL,
        apr_psprintf(p, "INSERT INTO %s (%s, project, label, is_primary) "
                     "VALUES ($1, $2, $3, false) ON CONFLICT (%s, project) "
                     "DO UPDATE SET label = EXCLUDED.label", label_table(kind),
                     label_key(kind), label_key(kind)), 3,
        (const char *const[]){id, project, label});

    if ((err = label_clash(p, err, arca_kind_name(kind), label, project)) || !primary)
        return err;
    /* primary=true moves the object: the new project becomes its owner */
    err = arca_db_query(db, p, NULL,
        apr_psprintf(p, "UPDATE %s SET is_primary = (project = $2) WHERE %s = $1",
                     label_table(kind), label_key(kind)), 2,
        (const char *const[]){id, project});
    if (!err)
        err = arca_db_query(db, p, NULL,
            apr_psprintf(p, "UPDATE %s SET project = $2 WHERE id = $1", tables[kind].table),
            2, (const char *const[]){id, project});
    return err;
}

arca_error_t *arca_unshare(arca_db_t *db, apr_pool_t *p, arca_kind_t kind, const char *id,
                           const char *project)
{
    PGresult *res;
    /* never the primary label: that row is the object's place in its own project */
    arca_error_t *err = arca_db_query(db, p, &res,
        apr_psprintf(p, "DELETE FROM %s WHERE %s = $1 AND project = $2 AND NOT is_primary "
                     "RETURNING 1", label_table(kind), label_key(kind)), 2,
        (const char *const[]){id, project});

    if (err || PQntuples(res) > 0)
        return err;
    err = arca_db_query(db, p, &res,
        apr_psprintf(p, "SELECT 1 FROM %s WHERE %s = $1 AND project = $2",
                     label_table(kind), label_key(kind)), 2,
        (const char *const[]){id, project});
    if (err)
        return err;
    if (PQntuples(res) > 0)
        return arca_error_create(p, 409, "'%s' is the primary project: delete the %s "
                                 "instead of unsharing it", project, arca_kind_name(kind));
    return arca_error_create(p, 404, "not shared into project '%s'", project);
}

arca_error_t *arca_delete(arca_db_t *db, apr_pool_t *p, arca_kind_t kind, const char *key,
                          apr_array_header_t **dirs)
{
    PGresult *res;
    arca_error_t *err;

    *dirs = apr_array_make(p, 4, sizeof(const char *));
    if (kind != ARCA_KIND_FILE) {
        err = arca_db_query(db, p, &res, apr_pstrcat(p, "SELECT dir FROM arca_resource "
                            "WHERE pk IN (", arca_resources_under_sql(p, kind, "$1"), ")",
                            NULL), 1, &key);
        if (err)
            return err;
        for (int i = 0; i < PQntuples(res); i++)
            APR_ARRAY_PUSH(*dirs, const char *) = PQgetvalue(res, i, 0);
    }
    return arca_db_query(db, p, NULL,
                         apr_psprintf(p, "DELETE FROM %s WHERE %s = $1%s", tables[kind].table,
                                      tables[kind].key, tables[kind].key_cast), 1, &key);
}
