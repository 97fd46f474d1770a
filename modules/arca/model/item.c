/* Single objects. Loading runs the kind's listing with every field as a column and a filter
 * on the object's key, then adds custom variables and children. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>
#include <libxml/xmlwriter.h>

#include "access/authz.h"
#include "model/field_defs.h"
#include "model/item.h"
#include "model/listing.h"
#include "model/project_alias.h"
#include "model/provenance.h"
#include "format/xml_out.h"

static const char *const key_alias[ARCA_KIND_COUNT] = {
    [ARCA_KIND_PROJECT] = "ID", [ARCA_KIND_SUBJECT] = "ID",
    [ARCA_KIND_EXPERIMENT] = "ID", [ARCA_KIND_SCAN] = "ID",
    [ARCA_KIND_RECONSTRUCTION] = "ID",
};

/* A resource's ID and xsiType columns are there for listings (xnatpy); in an item, the
 * key is xnat_abstractresource_id and the type is the element's. last_modified is a
 * listing column; XNAT's items keep it in their meta data. */
static int listing_only(arca_kind_t kind, const char *alias)
{
    /* display fields computed for listings and searches (model_fields.c) */
    static const char *const computed[] = {"proj_mr_count", "proj_ct_count",
        "proj_pet_count", "proj_ut_count", "project_owners", "ses", "add_ids", NULL};

    for (int i = 0; computed[i]; i++)
        if (strcmp(alias, computed[i]) == 0)
            return 1;
    return strcmp(alias, "URI") == 0 || strcmp(alias, "last_modified") == 0
           || (kind == ARCA_KIND_RESOURCE && (!strcmp(alias, "ID") || !strcmp(alias, "xsiType")));
}

/* All readable fields of a kind but the listings' own, as a `columns=` value. */
static const char *all_columns(apr_pool_t *p, arca_kind_t kind)
{
    const char *cols = NULL;

    for (const arca_field_t *f = arca_kind_fields(kind); f->alias; f++)
        if (!listing_only(kind, f->alias))
            cols = cols ? apr_pstrcat(p, cols, ",", f->alias, NULL) : f->alias;
    return cols;
}

static arca_item_t *item_from_row(apr_pool_t *p, arca_kind_t kind, const arca_resultset_t *rs,
                                  int row)
{
    arca_item_t *item = apr_pcalloc(p, sizeof *item);
    const char **values = APR_ARRAY_IDX(rs->rows, row, const char **);

    item->kind = kind;
    item->names = rs->columns;
    item->values = apr_array_make(p, rs->columns->nelts, sizeof(const char *));
    for (int c = 0; c < rs->columns->nelts; c++)
        APR_ARRAY_PUSH(item->values, const char *) = values[c] ? values[c] : "";
    item->custom_names = apr_array_make(p, 4, sizeof(const char *));
    item->custom_values = apr_array_make(p, 4, sizeof(const char *));
    item->children = apr_array_make(p, 4, sizeof(arca_item_child_t));
    item->add_param_names = apr_array_make(p, 2, sizeof(const char *));
    item->add_param_values = apr_array_make(p, 2, sizeof(const char *));
    return item;
}

const char *arca_item_get(const arca_item_t *item, const char *alias)
{
    for (int i = 0; i < item->names->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(item->names, i, const char *), alias) == 0)
            return APR_ARRAY_IDX(item->values, i, const char *);
    return NULL;
}

/* Rows of a kind's listing in a context, each with all fields. */
static arca_error_t *list_all(arca_db_t *db, apr_pool_t *p, const arca_location_t *ctx,
                              const arca_account_t *who, const char *key,
                              arca_resultset_t **rs)
{
    apr_table_t *args = apr_table_make(p, 2);
    arca_listing_query_t q = {ctx, args, who, 0};

    apr_table_setn(args, "columns", all_columns(p, ctx->kind));
    if (key)
        apr_table_setn(args, key_alias[ctx->kind], key);
    return arca_listing(db, p, &q, rs);
}

static const char *const table_of[ARCA_KIND_COUNT] = {
    [ARCA_KIND_PROJECT] = "arca_project o WHERE o.id = $1",
    [ARCA_KIND_SUBJECT] = "arca_subject o WHERE o.id = $1",
    [ARCA_KIND_EXPERIMENT] = "arca_experiment o WHERE o.id = $1",
    [ARCA_KIND_SCAN] = "arca_scan o WHERE o.pk = $1::bigint",
    [ARCA_KIND_RECONSTRUCTION] = "arca_reconstruction o WHERE o.pk = $1::bigint",
};

/* Custom variables (in name order) and the creation date, XNAT-formatted. */
static arca_error_t *load_extras(arca_db_t *db, apr_pool_t *p, arca_item_t *item,
                                 const char *key)
{
    PGresult *res;
    json_t *fields;
    const char *name;
    json_t *value;
    arca_error_t *err = arca_db_query(db, p, &res, apr_pstrcat(p,
        "SELECT o.fields::text, to_char(", item->kind == ARCA_KIND_PROJECT ? "o.created_at"
        : "o.insert_date", " AT TIME ZONE 'UTC', 'Dy Mon DD HH24:MI:SS \"UTC\" YYYY') FROM ",
        table_of[item->kind], NULL), 1, &key);

    if (err)
        return err;
    if (PQntuples(res) != 1)
        return arca_error_create(p, 404, "no such %s", arca_kind_name(item->kind));
    item->start_date = PQgetvalue(res, 0, 1);
    fields = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    json_object_foreach(fields, name, value) {
        APR_ARRAY_PUSH(item->custom_names, const char *) = apr_pstrdup(p, name);
        APR_ARRAY_PUSH(item->custom_values, const char *) =
            apr_pstrdup(p, json_is_string(value) ? json_string_value(value) : "");
    }
    json_decref(fields);
    if (item->kind == ARCA_KIND_SCAN) { /* parameters/addParam, in the order first set */
        err = arca_db_query(db, p, &res, "SELECT a.key, a.value FROM arca_scan o, "
                            "jsonb_each_text(o.add_params) a WHERE o.pk = $1::bigint "
                            "ORDER BY array_position(o.add_param_order, a.key), a.key", 1,
                            &key);
        for (int r = 0; !err && r < PQntuples(res); r++) {
            APR_ARRAY_PUSH(item->add_param_names, const char *) = PQgetvalue(res, r, 0);
            APR_ARRAY_PUSH(item->add_param_values, const char *) = PQgetvalue(res, r, 1);
        }
        return err;
    }
    if (item->kind == ARCA_KIND_EXPERIMENT) {
        PGresult *steps;
        if ((err = arca_provenance_load(db, p, key, &steps)))
            return err;
        item->steps = steps;
    }
    return ARCA_OK;
}

static void add_child(apr_pool_t *p, arca_item_t *item, const char *field,
                      arca_kind_t kind, const arca_resultset_t *rs, const char *xsi)
{
    arca_item_child_t *child;

    if (rs->rows->nelts == 0)
        return;
    child = apr_array_push(item->children);
    child->field = field;
    child->items = apr_array_make(p, rs->rows->nelts, sizeof(arca_item_t *));
    for (int r = 0; r < rs->rows->nelts; r++) {
        arca_item_t *c = item_from_row(p, kind, rs, r);
        const char *t = arca_item_get(c, "xsiType");
        c->xsi_type = t && *t ? t : xsi;
        APR_ARRAY_PUSH(child->items, arca_item_t *) = c;
    }
}

static arca_error_t *add_resources_as(arca_db_t *db, apr_pool_t *p, arca_item_t *item,
                                      const arca_location_t *loc, const arca_account_t *who,
                                      arca_kind_t owner, const char *field)
{
    arca_location_t ctx = *loc;
    arca_resultset_t *rs;
    arca_error_t *err;

    ctx.kind = ARCA_KIND_RESOURCE;
    ctx.is_list = 1;
    ctx.owner = owner;
    if ((err = list_all(db, p, &ctx, who, NULL, &rs)))
        return err;
    add_child(p, item, field, ARCA_KIND_RESOURCE, rs, "xnat:resourceCatalog");
    return ARCA_OK;
}

static arca_error_t *add_resources(arca_db_t *db, apr_pool_t *p, arca_item_t *item,
                                   const arca_location_t *loc, const arca_account_t *who,
                                   arca_kind_t owner)
{
    return add_resources_as(db, p, item, loc, who, owner, "resources/resource");
}

/* Projects a subject or experiment is shared into, with its label there. */
static arca_error_t *add_shares(arca_db_t *db, apr_pool_t *p, arca_item_t *item,
                                const arca_account_t *who, const char *id)
{
    PGresult *res;
    arca_resultset_t *rs;
    /* only the projects this user may know of */
    arca_error_t *err = arca_db_query(db, p, &res, apr_psprintf(p,
        "SELECT project, label FROM %s WHERE %s = $1 AND NOT is_primary AND ($3 OR project "
        "IN (%s)) ORDER BY project",
        item->kind == ARCA_KIND_SUBJECT ? "arca_subject_label" : "arca_experiment_label",
        item->kind == ARCA_KIND_SUBJECT ? "subject_id" : "experiment_id",
        arca_listed_projects_sql(p, "$2")), 3,
        (const char *const[]){id, who ? who->id : NULL, arca_sees_all(who) ? "t" : "f"});

    if (err)
        return err;
    rs = arca_resultset_from_pg(p, "shares", res);
    add_child(p, item, "sharing/share", ARCA_KIND_PROJECT, rs, "xnat:projectShare");
    return ARCA_OK;
}

arca_error_t *arca_item_load(arca_db_t *db, apr_pool_t *p, const arca_location_t *loc,
                             const arca_account_t *who, arca_item_t **out)
{
    arca_location_t ctx = *loc, sub;
    arca_resultset_t *rs;
    const char *key, *id;
    arca_item_t *item;
    arca_error_t *err;

    ctx.is_list = 1;
    switch (loc->kind) {
    case ARCA_KIND_PROJECT: key = id = loc->name; break;
    case ARCA_KIND_SUBJECT: key = id = loc->subject_id; break;
    case ARCA_KIND_EXPERIMENT: key = id = loc->experiment_id; break;
    case ARCA_KIND_SCAN: key = loc->scan_pk; id = loc->scan_id; break;
    case ARCA_KIND_RECONSTRUCTION: key = loc->recon_pk; id = loc->recon_id; break;
    default: return arca_error_create(p, 500, "no item view for this kind");
    }
    if ((err = list_all(db, p, &ctx, who, id, &rs)))
        return err;
    if (rs->rows->nelts != 1)
        return arca_error_create(p, 404, "no such %s", arca_kind_name(loc->kind));
    item = item_from_row(p, loc->kind, rs, 0);
    item->xsi_type = arca_item_get(item, "xsiType");
    if (item->xsi_type == NULL)
        item->xsi_type = arca_kind_root_type(loc->kind);
    if ((err = load_extras(db, p, item, key)))
        return err;
    sub = *loc;
    sub.is_list = 1;
    switch (loc->kind) {
    case ARCA_KIND_PROJECT: {
        PGresult *defs;
        sub.project = loc->name;
        err = add_resources(db, p, item, &sub, who, ARCA_KIND_PROJECT);
        if (!err)
            err = arca_db_query(db, p, &defs, "SELECT level, coalesce(display_name, name), "
                                "type, definition, required, to_json(options)::text "
                                "FROM arca_field_def WHERE project = $1 "
                                "ORDER BY definition, name", 1, &loc->name);
        if (!err)
            item->field_defs = defs;
        if (!err)
            err = arca_project_aliases(db, p, loc->name, &item->aliases);
        break;
    }
    case ARCA_KIND_SUBJECT:
    case ARCA_KIND_EXPERIMENT: {
        /* a subject's experiments, an experiment's scans */
        int subject = loc->kind == ARCA_KIND_SUBJECT;
        sub.kind = subject ? ARCA_KIND_EXPERIMENT : ARCA_KIND_SCAN;
        if (!(err = list_all(db, p, &sub, who, NULL, &rs)))
            add_child(p, item, subject ? "experiments/experiment" : "scans/scan", sub.kind, rs,
                      NULL);
        if (!err && !subject) { /* and an experiment's reconstructions */
            sub.kind = ARCA_KIND_RECONSTRUCTION;
            if (!(err = list_all(db, p, &sub, who, NULL, &rs)))
                add_child(p, item, "reconstructions/reconstructedImage",
                          ARCA_KIND_RECONSTRUCTION, rs, NULL);
        }
        if (!err)
            err = add_resources(db, p, item, loc, who, loc->kind);
        if (!err)
            err = add_shares(db, p, item, who, id);
        break;
    }
    case ARCA_KIND_RECONSTRUCTION:
        /* its output resources: <xnat:out><xnat:file .../></xnat:out> */
        err = add_resources_as(db, p, item, loc, who, ARCA_KIND_RECONSTRUCTION, "out/file");
        break;
    default:
        err = add_resources(db, p, item, loc, who, ARCA_KIND_SCAN);
        break;
    }
    *out = item;
    return err;
}

/* Fields XNAT keeps in an element of its own, a child item in JSON and a child element
 * with its xsi:type in XML: subjectData/investigator. */
static const struct {
    arca_kind_t kind;
    const char *prefix, *field, *xsi;
} own_elements[] = {
    {ARCA_KIND_SUBJECT, "investigator/", "investigator", "xnat:investigatorData"},
};

/* The own_elements entry a field belongs to, or -1. */
static int own_element_of(arca_kind_t kind, const char *alias)
{
    for (int i = 0; i < (int)(sizeof own_elements / sizeof own_elements[0]); i++)
        if (own_elements[i].kind == kind && strncmp(alias, own_elements[i].prefix,
                                                    strlen(own_elements[i].prefix)) == 0)
            return i;
    return -1;
}

/* {"meta":{"xsi:type":..,"isHistory":false},"data_fields":data,"children":[]} */
static json_t *json_leaf_item(const char *xsi, json_t *data)
{
    json_t *o = json_object();

    json_object_set_new(o, "meta", json_pack("{s:s,s:b}", "xsi:type", xsi, "isHistory", 0));
    json_object_set_new(o, "data_fields", data);
    json_object_set_new(o, "children", json_array());
    return o;
}

static void json_add_child(json_t *children, const char *field, json_t *items)
{
    json_array_append_new(children, json_pack("{s:s,s:o}", "field", field, "items", items));
}

/* The own elements, parameters/addParam and provenance/processStep, as children. */
static void json_nested_children(const arca_item_t *item, json_t *children)
{
    for (int g = 0; g < (int)(sizeof own_elements / sizeof own_elements[0]); g++) {
        json_t *data = json_object();
        for (int i = 0; i < item->names->nelts; i++) {
            const char *n = APR_ARRAY_IDX(item->names, i, const char *);
            const char *v = APR_ARRAY_IDX(item->values, i, const char *);
            if (*v && own_element_of(item->kind, n) == g)
                json_object_set_new(data, n + strlen(own_elements[g].prefix), json_string(v));
        }
        if (json_object_size(data) > 0)
            json_add_child(children, own_elements[g].field,
                           json_pack("[o]", json_leaf_item(own_elements[g].xsi, data)));
        else
            json_decref(data);
    }
    if (item->add_param_names->nelts > 0) {
        json_t *items = json_array();
        for (int i = 0; i < item->add_param_names->nelts; i++)
            json_array_append_new(items, json_leaf_item("xnat:addField", json_pack(
                "{s:s,s:s}", "name", APR_ARRAY_IDX(item->add_param_names, i, const char *),
                "addField", APR_ARRAY_IDX(item->add_param_values, i, const char *))));
        json_add_child(children, "parameters/addParam", items);
    }
    if (item->steps && PQntuples(item->steps) > 0) {
        json_t *items = json_array();
        for (int r = 0; r < PQntuples(item->steps); r++) {
            json_t *data = json_object();
            for (int k = 0; k < ARCA_PROCESS_STEP_PARTS; k++)
                if (*PQgetvalue(item->steps, r, k))
                    json_object_set_new(data, arca_process_step_parts[k],
                                        json_string(PQgetvalue(item->steps, r, k)));
            json_array_append_new(items, json_leaf_item("prov:processStep", data));
        }
        json_add_child(children, "provenance/processStep", items);
    }
}

/* ---- JSON ------------------------------------------------------------------------------ */

static int is_demographic(arca_kind_t kind, const char *alias)
{
    static const char *const demo[] = {"gender", "handedness", "yob", "dob", "age",
                                       "education", "race", "ethnicity", "height", "weight",
                                       NULL};
    if (kind != ARCA_KIND_SUBJECT)
        return 0;
    for (int i = 0; demo[i]; i++)
        if (strcmp(demo[i], alias) == 0)
            return 1;
    return 0;
}

/* One nested item of XNAT's JSON: {"meta":{"xsi:type":..},"data_fields":{..},"children":[]} */

/* A project's aliases: XNAT's child "aliases/alias", one item per alias. */
static void add_aliases_json(const arca_item_t *item, json_t *data, json_t *children)
{
    json_t *items;

    json_object_del(data, "alias");
    if (item->aliases == NULL || PQntuples(item->aliases) == 0)
        return;
    items = json_array();
    for (int r = 0; r < PQntuples(item->aliases); r++)
        json_array_append_new(items, json_leaf_item("xnat:projectData_alias", json_pack(
            "{s:s,s:s}", "alias", PQgetvalue(item->aliases, r, 0), "source",
            PQgetvalue(item->aliases, r, 1))));
    json_array_append_new(children, json_pack("{s:s,s:o}", "field", "aliases/alias",
                                              "items", items));
}

/* XNAT nests a subject's demographics in a child item of type xnat:demographicData
 * (xnatpy's subject.demographics reads it), as the XML nests them in xnat:demographics. */
static void add_demographics_json(const arca_item_t *item, json_t *data, json_t *children)
{
    json_t *demo = json_object();

    for (int i = 0; i < item->names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(item->names, i, const char *);
        if (is_demographic(item->kind, n) && json_object_get(data, n)) {
            json_object_set(demo, n, json_object_get(data, n));
            json_object_del(data, n);
        }
    }
    if (json_object_size(demo) == 0) {
        json_decref(demo);
        return;
    }
    json_array_append_new(children, json_pack("{s:s,s:[o]}", "field", "demographics",
                                              "items", json_leaf_item("xnat:demographicData",
                                                                   demo)));
}

static json_t *item_json(const arca_item_t *item)
{
    json_t *obj = json_object(), *meta = json_object(), *data = json_object();
    json_t *children = json_array();

    json_object_set_new(meta, "xsi:type", json_string(item->xsi_type));
    json_object_set_new(meta, "isHistory", json_false());
    if (item->start_date)
        json_object_set_new(meta, "start_date", json_string(item->start_date));
    for (int i = 0; i < item->names->nelts; i++) {
        const char *v = APR_ARRAY_IDX(item->values, i, const char *);
        /* XNAT leaves unset fields out */
        if (*v && own_element_of(item->kind, APR_ARRAY_IDX(item->names, i, const char *)) < 0)
            json_object_set_new(data, APR_ARRAY_IDX(item->names, i, const char *),
                                json_string(v));
    }
    add_demographics_json(item, data, children);
    add_aliases_json(item, data, children);
    json_nested_children(item, children);
    if (item->custom_names->nelts > 0) {
        json_t *child = json_object(), *items = json_array();
        for (int i = 0; i < item->custom_names->nelts; i++) {
            json_t *f = json_object(), *fdata = json_object();
            json_object_set_new(fdata, "name",
                                json_string(APR_ARRAY_IDX(item->custom_names, i, char *)));
            json_object_set_new(fdata, "field",
                                json_string(APR_ARRAY_IDX(item->custom_values, i, char *)));
            json_object_set_new(f, "meta", json_pack("{s:s,s:b}", "xsi:type",
                                "xnat:abstractSubjectMetadata_field", "isHistory", 0));
            json_object_set_new(f, "data_fields", fdata);
            json_object_set_new(f, "children", json_array());
            json_array_append_new(items, f);
        }
        json_object_set_new(child, "field", json_string("fields/field"));
        json_object_set_new(child, "items", items);
        json_array_append_new(children, child);
    }
    for (int c = 0; c < item->children->nelts; c++) {
        const arca_item_child_t *ch = &APR_ARRAY_IDX(item->children, c, arca_item_child_t);
        json_t *child = json_object(), *items = json_array();
        for (int i = 0; i < ch->items->nelts; i++)
            json_array_append_new(items, item_json(APR_ARRAY_IDX(ch->items, i, arca_item_t *)));
        json_object_set_new(child, "field", json_string(ch->field));
        json_object_set_new(child, "items", items);
        json_array_append_new(children, child);
    }
    json_object_set_new(obj, "children", children);
    json_object_set_new(obj, "meta", meta);
    json_object_set_new(obj, "data_fields", data);
    return obj;
}

arca_error_t *arca_item_write_json(const arca_item_t *item, apr_pool_t *p,
                                   arca_write_fn write, void *baton)
{
    json_t *doc = json_pack("{s:[o]}", "items", item_json(item));
    char *text = json_dumps(doc, JSON_COMPACT);
    int rc = text ? write(baton, text, strlen(text)) : -1;

    free(text);
    json_decref(doc);
    return rc ? arca_error_create(p, 500, "could not write the item") : ARCA_OK;
}

/* ---- XML ------------------------------------------------------------------------------- */

/* The shape of each kind's XML, in the order of schemas/xnat.xsd (XNAT's element names,
 * attributes and nesting): "@alias" an attribute, "alias" an element of that name,
 * "element=alias" an element named otherwise, "group{" ... "}" an element holding the ones
 * between (written only when one of them has a value), "#fields" the custom variables,
 * "#protocols" a project's study protocols, "#files" a scan's resources (xnat:file), and
 * "#child/sub" the children listed under that field. Fields not named here (listing
 * bookkeeping such as insert_date or file counts of the listing) are not item XML. */
static const char *const project_xml[] = {
    "@ID", "@secondary_ID", "name", "description", "keywords", "#aliases",
    "#resources/resource", "#protocols", "PI{", "firstname=pi_firstname",
    "lastname=pi_lastname", "}", "#fields", NULL};
static const char *const subject_xml[] = {
    "@ID", "@project", "@label", "group", "src", "note", "demographics{", "gender",
    "handedness", "dob", "yob", "age", "education", "race", "ethnicity", "height", "weight",
    "}", "#nested", "#resources/resource", "#fields", "#experiments/experiment",
    "#sharing/share", NULL};
#define EXPERIMENT_XML "@ID", "@project", "@label", "date", "time", "visit_id", "note", \
    "#sharing/share", "#resources/resource", "#fields", "#provenance"
static const char *const session_xml[] = {
    EXPERIMENT_XML, "subject_ID", "age", "@UID", "acquisition_site", "scanner", "operator",
    "session_type", "modality", "#scans/scan", "#reconstructions/reconstructedImage", NULL};
static const char *const assessor_xml[] = {
    EXPERIMENT_XML, "imageSession_ID=session_ID", NULL};
static const char *const subject_assessor_xml[] = {EXPERIMENT_XML, "subject_ID", "age",
                                                    NULL};
static const char *const scan_xml[] = {
    "@ID", "@type", "@UID", "image_session_ID", "note", "quality", "condition",
    "series_description", "scanner", "modality", "frames", "#nested", "#files", NULL};
static const char *const recon_xml[] = {"@ID", "@type", "baseScanType", "#out/file", NULL};
static const char *const resource_xml[] = {
    "@label", "@file_count", "@file_size", "@xnat_abstractresource_id", "@tags", "@format",
    "@description", "@content", NULL};
static const char *const share_xml[] = {"@project", "@label", NULL};

static const char *const *xml_layout(const arca_item_t *item)
{
    const char *session_id;

    switch (item->kind) {
    case ARCA_KIND_PROJECT:
        return strcmp(item->xsi_type, "xnat:projectShare") == 0 ? share_xml : project_xml;
    case ARCA_KIND_SUBJECT: return subject_xml;
    case ARCA_KIND_SCAN: return scan_xml;
    case ARCA_KIND_RECONSTRUCTION: return recon_xml;
    case ARCA_KIND_RESOURCE: return resource_xml;
    case ARCA_KIND_EXPERIMENT:
        if (strstr(item->xsi_type, "SessionData"))
            return session_xml;
        session_id = arca_item_get(item, "session_ID");
        return session_id && *session_id ? assessor_xml : subject_assessor_xml;
    default: return share_xml;
    }
}

/* "element=alias" -> the alias; "alias" -> itself. */
static const char *slot_alias(const char *slot)
{
    const char *eq = strchr(slot, '=');

    return eq ? eq + 1 : slot;
}

static const char *slot_element(apr_pool_t *p, const char *slot)
{
    const char *eq = strchr(slot, '=');

    return apr_pstrcat(p, "xnat:", eq ? apr_pstrmemdup(p, slot, (apr_size_t)(eq - slot))
                                      : slot, NULL);
}

/* A project's aliases: <xnat:aliases><xnat:alias source="...">A</xnat:alias>... */
static int write_aliases(xmlTextWriterPtr w, const arca_item_t *item)
{
    int rc = 0;

    if (item->aliases == NULL || PQntuples(item->aliases) == 0)
        return 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:aliases") < 0;
    for (int i = 0; i < PQntuples(item->aliases) && !rc; i++) {
        const char *source = PQgetvalue(item->aliases, i, 1);
        rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:alias") < 0;
        if (*source)
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "source", BAD_CAST source) < 0;
        rc |= xmlTextWriterWriteString(w, BAD_CAST PQgetvalue(item->aliases, i, 0)) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    return rc | (xmlTextWriterEndElement(w) < 0);
}

/* <xnat:possibleValues><xnat:possibleValue>v</...> from the options as a JSON array:
 * nothing for an empty list. */
static int write_possible_values(xmlTextWriterPtr w, apr_pool_t *p, const char *json)
{
    const apr_array_header_t *values = arca_field_options_from_json(p, json);
    int rc = 0;

    if (values->nelts == 0)
        return 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:possibleValues") < 0;
    for (int i = 0; i < values->nelts && !rc; i++)
        rc |= xmlTextWriterWriteElement(w, BAD_CAST "xnat:possibleValue",
                                        BAD_CAST APR_ARRAY_IDX(values, i, const char *)) < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    return rc;
}

/* A project's custom variables as XNAT's study protocols, one per data type, which is
 * where pyxnat's add_custom_variables and get_custom_variables look for them. */
static int write_protocols(xmlTextWriterPtr w, apr_pool_t *p, const arca_item_t *item)
{
    static const struct { const char *name, *type, *level; } protocols[] = {
        {"Subjects", "xnat:subjectData", "subject"},
        {"CT Sessions", "xnat:ctSessionData", "experiment"},
        {"MR Sessions", "xnat:mrSessionData", "experiment"},
        {"PET Sessions", "xnat:petSessionData", "experiment"},
        {"CR Sessions", "xnat:crSessionData", "experiment"},
    };
    const PGresult *defs = item->field_defs;
    const char *project = arca_item_get(item, "ID");
    int rc = 0;

    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0] && !rc; i++) {
        const char *open_def = NULL;
        rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:studyProtocol") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "ID", BAD_CAST apr_pstrcat(p,
                  project ? project : "", "_", protocols[i].type, NULL)) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST protocols[i].name) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "data-type",
                                          BAD_CAST protocols[i].type) < 0;
        for (int r = 0; defs && r < PQntuples(defs) && !rc; r++) {
            const char *def = PQgetvalue(defs, r, 3), *name = PQgetvalue(defs, r, 1);
            if (strcmp(PQgetvalue(defs, r, 0), protocols[i].level) != 0)
                continue;
            if (open_def == NULL)
                rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:definitions") < 0;
            if (open_def == NULL || strcmp(open_def, def) != 0) {
                if (open_def)
                    rc |= (xmlTextWriterEndElement(w) < 0) | (xmlTextWriterEndElement(w) < 0);
                rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:definition") < 0;
                rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "ID", BAD_CAST def) < 0;
                rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "data-type",
                                                  BAD_CAST protocols[i].type) < 0;
                rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "description", BAD_CAST "") < 0;
                rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "project-specific",
                                                  BAD_CAST "1") < 0;
                rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:fields") < 0;
                open_def = def;
            }
            rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:field") < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST name) < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "custom") < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "datatype",
                                              BAD_CAST PQgetvalue(defs, r, 2)) < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "required", BAD_CAST (
                      strcmp(PQgetvalue(defs, r, 4), "t") == 0 ? "1" : "0")) < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlPath", BAD_CAST apr_psprintf(p,
                      "%s/fields/field[name=%s]/field", protocols[i].type, name)) < 0;
            rc |= write_possible_values(w, p, PQgetvalue(defs, r, 5));
            rc |= xmlTextWriterEndElement(w) < 0;
        }
        if (open_def) /* fields, definition, definitions */
            rc |= (xmlTextWriterEndElement(w) < 0) | (xmlTextWriterEndElement(w) < 0)
                  | (xmlTextWriterEndElement(w) < 0);
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    return rc;
}

/* <element name="{names[i]}">{values[i]}</element> for each pair: custom fields and a
 * scan's addParams. */
static int write_named_values(xmlTextWriterPtr w, const char *element,
                              const apr_array_header_t *names,
                              const apr_array_header_t *values)
{
    int rc = 0;

    for (int i = 0; i < names->nelts && !rc; i++) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST element) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name",
                                          BAD_CAST APR_ARRAY_IDX(names, i, const char *)) < 0;
        rc |= xmlTextWriterWriteString(w, BAD_CAST APR_ARRAY_IDX(values, i, const char *)) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    return rc;
}

static int write_add_params(xmlTextWriterPtr w, const arca_item_t *item)
{
    return write_named_values(w, "xnat:addParam", item->add_param_names,
                              item->add_param_values);
}

/* Fields named by paths ("parameters/tr", "parameters/voxelRes/x", "investigator/firstname")
 * nested as XNAT writes them: an element for the first step, in it an element for the
 * second, and a third step as an attribute of the second (<xnat:voxelRes x=".." y=".."/>);
 * a scan's addParams go last in its parameters. */
static int write_nested(xmlTextWriterPtr w, apr_pool_t *p, const arca_item_t *item)
{
    const char *outer = NULL, *inner = NULL;
    int rc = 0, params_done = item->add_param_names->nelts == 0;

    for (int i = 0; i < item->names->nelts && !rc; i++) {
        const char *n = APR_ARRAY_IDX(item->names, i, const char *);
        const char *v = APR_ARRAY_IDX(item->values, i, const char *);
        const char *slash = strchr(n, '/'), *first, *rest, *attr;
        int g;
        if (!*v || slash == NULL)
            continue;
        first = apr_pstrmemdup(p, n, (apr_size_t)(slash - n));
        rest = slash + 1;
        attr = strchr(rest, '/');
        if (attr) {
            rest = apr_pstrmemdup(p, rest, (apr_size_t)(attr - rest));
            attr++;
        }
        if (inner && (attr == NULL || strcmp(inner, rest) != 0 || strcmp(outer, first) != 0)) {
            rc |= xmlTextWriterEndElement(w) < 0;
            inner = NULL;
        }
        if (outer && strcmp(outer, first) != 0) {
            if (strcmp(outer, "parameters") == 0 && !params_done)
                rc |= write_add_params(w, item);
            params_done |= strcmp(outer, "parameters") == 0;
            rc |= xmlTextWriterEndElement(w) < 0;
            outer = NULL;
        }
        if (outer == NULL) {
            rc |= xmlTextWriterStartElement(w, BAD_CAST apr_pstrcat(p, "xnat:", first,
                                                                    NULL)) < 0;
            if ((g = own_element_of(item->kind, n)) >= 0)
                rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xsi:type",
                                                  BAD_CAST own_elements[g].xsi) < 0;
            outer = first;
        }
        if (attr && inner == NULL) {
            rc |= xmlTextWriterStartElement(w, BAD_CAST apr_pstrcat(p, "xnat:", rest,
                                                                    NULL)) < 0;
            inner = rest;
        }
        if (attr)
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST attr, BAD_CAST v) < 0;
        else
            rc |= xmlTextWriterWriteElement(w, BAD_CAST apr_pstrcat(p, "xnat:", rest, NULL),
                                            BAD_CAST v) < 0;
    }
    if (inner)
        rc |= xmlTextWriterEndElement(w) < 0;
    if (outer && strcmp(outer, "parameters") != 0) {
        rc |= xmlTextWriterEndElement(w) < 0;
        outer = NULL;
    }
    if (!params_done) {
        if (outer == NULL)
            rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:parameters") < 0;
        rc |= write_add_params(w, item);
        outer = "parameters";
    }
    if (outer)
        rc |= xmlTextWriterEndElement(w) < 0;
    return rc;
}

/* <xnat:provenance><prov:processStep><prov:program version="..">..</prov:program>... */
static int write_provenance(xmlTextWriterPtr w, apr_pool_t *p, const arca_item_t *item)
{
    int rc = 0;

    if (item->steps == NULL || PQntuples(item->steps) == 0)
        return 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:provenance") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:prov",
                                      BAD_CAST "http://www.nbirn.net/prov") < 0;
    for (int r = 0; r < PQntuples(item->steps) && !rc; r++) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "prov:processStep") < 0;
        for (int k = 0; k < ARCA_PROCESS_STEP_PARTS && !rc; k++) {
            const char *part = arca_process_step_parts[k], *v = PQgetvalue(item->steps, r, k);
            if (strchr(part, '/') || (!*v && strcmp(part, "program") != 0))
                continue;
            rc |= xmlTextWriterStartElement(w, BAD_CAST apr_pstrcat(p, "prov:", part,
                                                                    NULL)) < 0;
            /* its attributes: the parts "{part}/version" and so on that follow it */
            for (int a = k + 1; a < ARCA_PROCESS_STEP_PARTS; a++) {
                const char *ap = arca_process_step_parts[a], *av = PQgetvalue(item->steps, r, a);
                size_t len = strlen(part);
                if (strncmp(ap, part, len) != 0 || ap[len] != '/')
                    break;
                if (*av)
                    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST (ap + len + 1),
                                                      BAD_CAST av) < 0;
            }
            rc |= xmlTextWriterWriteString(w, BAD_CAST v) < 0;
            rc |= xmlTextWriterEndElement(w) < 0;
        }
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    rc |= xmlTextWriterEndElement(w) < 0;
    return rc;
}

static int write_item_xml(xmlTextWriterPtr w, apr_pool_t *p, const arca_item_t *item,
                          const char *element, int root);

static int write_custom_fields(xmlTextWriterPtr w, const arca_item_t *item)
{
    int rc = xmlTextWriterStartElement(w, BAD_CAST "xnat:fields") < 0;

    if (!rc)
        rc = write_named_values(w, "xnat:field", item->custom_names, item->custom_values);
    return rc | (xmlTextWriterEndElement(w) < 0);
}

/* The children listed under `field` ("resources/resource"), each as an element named for
 * the part after the slash, inside one named for the part before (none when `wrap` is 0). */
static int write_children(xmlTextWriterPtr w, apr_pool_t *p, const arca_item_t *item,
                          const char *field, const char *element, int wrap)
{
    const char *slash = strchr(field, '/');
    int rc = 0;

    for (int c = 0; c < item->children->nelts && !rc; c++) {
        const arca_item_child_t *ch = &APR_ARRAY_IDX(item->children, c, arca_item_child_t);
        if (strcmp(ch->field, field) != 0)
            continue;
        if (wrap)
            rc |= xmlTextWriterStartElement(w, BAD_CAST apr_pstrcat(p, "xnat:",
                apr_pstrmemdup(p, field, (apr_size_t)(slash - field)), NULL)) < 0;
        for (int i = 0; i < ch->items->nelts && !rc; i++)
            rc |= write_item_xml(w, p, APR_ARRAY_IDX(ch->items, i, arca_item_t *),
                                 element ? element : apr_pstrcat(p, "xnat:", slash + 1, NULL),
                                 0);
        if (wrap)
            rc |= xmlTextWriterEndElement(w) < 0;
    }
    return rc;
}

static int write_item_xml(xmlTextWriterPtr w, apr_pool_t *p, const arca_item_t *item,
                          const char *element, int root)
{
    const char *const *layout = xml_layout(item);
    int rc = xmlTextWriterStartElement(w, BAD_CAST (element ? element
                                                    : arca_element_of_xsi(item->xsi_type))) < 0;
    const char *group = NULL; /* a group{ waiting for its first value */
    int group_open = 0;

    if (root) {
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:xnat",
                                          BAD_CAST "http://nrg.wustl.edu/xnat") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:xsi",
                                          BAD_CAST "http://www.w3.org/2001/XMLSchema-instance") < 0;
    }
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xsi:type", BAD_CAST item->xsi_type) < 0;
    for (const char *const *s = layout; *s && !rc; s++) { /* attributes first */
        const char *v = **s == '@' ? arca_item_get(item, *s + 1) : NULL;
        if (v && *v)
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST (*s + 1), BAD_CAST v) < 0;
    }
    for (const char *const *s = layout; *s && !rc; s++) {
        const char *slot = *s, *v;
        size_t n = strlen(slot);
        if (*slot == '@')
            continue;
        if (strcmp(slot, "#fields") == 0) {
            if (item->custom_names->nelts > 0)
                rc |= write_custom_fields(w, item);
        } else if (strcmp(slot, "#aliases") == 0) {
            rc |= write_aliases(w, item);
        } else if (strcmp(slot, "#nested") == 0) {
            rc |= write_nested(w, p, item);
        } else if (strcmp(slot, "#provenance") == 0) {
            rc |= write_provenance(w, p, item);
        } else if (strcmp(slot, "#protocols") == 0) {
            if (root)
                rc |= write_protocols(w, p, item);
        } else if (strcmp(slot, "#files") == 0) {
            rc |= write_children(w, p, item, "resources/resource", "xnat:file", 0);
        } else if (*slot == '#') {
            rc |= write_children(w, p, item, slot + 1, NULL, 1);
        } else if (slot[n - 1] == '{') {
            group = apr_pstrmemdup(p, slot, n - 1);
        } else if (strcmp(slot, "}") == 0) {
            if (group_open)
                rc |= xmlTextWriterEndElement(w) < 0;
            group = NULL;
            group_open = 0;
        } else if ((v = arca_item_get(item, slot_alias(slot))) && *v) {
            if (group && !group_open) {
                rc |= xmlTextWriterStartElement(w, BAD_CAST apr_pstrcat(p, "xnat:", group,
                                                                        NULL)) < 0;
                if (strcmp(group, "demographics") == 0)
                    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xsi:type",
                                                      BAD_CAST "xnat:demographicData") < 0;
                group_open = 1;
            }
            rc |= xmlTextWriterWriteElement(w, BAD_CAST slot_element(p, slot), BAD_CAST v) < 0;
        }
    }
    rc |= xmlTextWriterEndElement(w) < 0;
    return rc;
}

arca_error_t *arca_item_write_xml(const arca_item_t *item, apr_pool_t *p,
                                  arca_write_fn write, void *baton)
{
    arca_xml_out_t *out;
    xmlTextWriterPtr w = arca_xml_out_open(p, write, baton, &out);
    int rc;

    if (w == NULL)
        return arca_error_create(p, 500, "could not write the item");
    rc = write_item_xml(w, p, item, NULL, 1);
    rc |= arca_xml_out_close(out);
    return rc ? arca_error_create(p, 500, "could not write the item") : ARCA_OK;
}
