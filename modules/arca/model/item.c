/* Single objects. Loading runs the kind's listing with every field as a column and a filter
 * on the object's key, then adds custom variables and children. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>
#include <libxml/xmlwriter.h>

#include "access/authz.h"
#include "model/item.h"
#include "model/listing.h"
#include "format/xml_out.h"

static const char *const key_alias[ARCA_KIND_COUNT] = {
    [ARCA_KIND_PROJECT] = "ID", [ARCA_KIND_SUBJECT] = "ID",
    [ARCA_KIND_EXPERIMENT] = "ID", [ARCA_KIND_SCAN] = "ID",
};

/* All readable fields of a kind but URI, as a `columns=` value. */
static const char *all_columns(apr_pool_t *p, arca_kind_t kind)
{
    const char *cols = NULL;

    for (const arca_field_t *f = arca_kind_fields(kind); f->alias; f++)
        if (strcmp(f->alias, "URI") != 0)
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

static arca_error_t *add_resources(arca_db_t *db, apr_pool_t *p, arca_item_t *item,
                                   const arca_location_t *loc, const arca_account_t *who,
                                   arca_kind_t owner)
{
    arca_location_t ctx = *loc;
    arca_resultset_t *rs;
    arca_error_t *err;

    ctx.kind = ARCA_KIND_RESOURCE;
    ctx.is_list = 1;
    ctx.owner = owner;
    if ((err = list_all(db, p, &ctx, who, NULL, &rs)))
        return err;
    add_child(p, item, "resources/resource", ARCA_KIND_RESOURCE, rs, "xnat:resourceCatalog");
    return ARCA_OK;
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
            err = arca_db_query(db, p, &defs, "SELECT level, name, type, definition FROM "
                                "arca_field_def WHERE project = $1 ORDER BY definition, name",
                                1, &loc->name);
        if (!err)
            item->field_defs = defs;
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
        if (!err)
            err = add_resources(db, p, item, loc, who, loc->kind);
        if (!err)
            err = add_shares(db, p, item, who, id);
        break;
    }
    default:
        err = add_resources(db, p, item, loc, who, ARCA_KIND_SCAN);
        break;
    }
    *out = item;
    return err;
}

/* ---- JSON ------------------------------------------------------------------------------ */

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
        if (*v) /* XNAT leaves unset fields out */
            json_object_set_new(data, APR_ARRAY_IDX(item->names, i, const char *),
                                json_string(v));
    }
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

/* Fields XNAT writes as attributes of the element rather than child elements. */
static int is_attribute(const char *alias)
{
    static const char *const attrs[] = {"ID", "project", "label", "type", "quality",
                                        "xnat_abstractresource_id", "format", "content",
                                        "tags", "UID", NULL};
    for (int i = 0; attrs[i]; i++)
        if (strcmp(attrs[i], alias) == 0)
            return 1;
    return 0;
}

static int is_demographic(arca_kind_t kind, const char *alias)
{
    static const char *const demo[] = {"gender", "handedness", "yob", "dob", "education",
                                       "race", "ethnicity", "height", "weight", NULL};
    if (kind != ARCA_KIND_SUBJECT)
        return 0;
    for (int i = 0; demo[i]; i++)
        if (strcmp(demo[i], alias) == 0)
            return 1;
    return 0;
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
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "required", BAD_CAST "0") < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlPath", BAD_CAST apr_psprintf(p,
                      "%s/fields/field[name=%s]/field", protocols[i].type, name)) < 0;
            rc |= xmlTextWriterEndElement(w) < 0;
        }
        if (open_def) /* fields, definition, definitions */
            rc |= (xmlTextWriterEndElement(w) < 0) | (xmlTextWriterEndElement(w) < 0)
                  | (xmlTextWriterEndElement(w) < 0);
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    return rc;
}

static int write_item_xml(xmlTextWriterPtr w, apr_pool_t *p, const arca_item_t *item,
                          const char *element, int root)
{
    int rc = xmlTextWriterStartElement(w, BAD_CAST (element ? element
                                                    : arca_element_of_xsi(item->xsi_type))) < 0;
    int demo_open = 0;

    if (root) {
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:xnat",
                                          BAD_CAST "http://nrg.wustl.edu/xnat") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:xsi",
                                          BAD_CAST "http://www.w3.org/2001/XMLSchema-instance") < 0;
    }
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xsi:type", BAD_CAST item->xsi_type) < 0;
    for (int i = 0; i < item->names->nelts && !rc; i++) {
        const char *n = APR_ARRAY_IDX(item->names, i, const char *);
        const char *v = APR_ARRAY_IDX(item->values, i, const char *);
        if (*v && is_attribute(n))
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST n, BAD_CAST v) < 0;
    }
    for (int i = 0; i < item->names->nelts && !rc; i++) {
        const char *n = APR_ARRAY_IDX(item->names, i, const char *);
        const char *v = APR_ARRAY_IDX(item->values, i, const char *);
        if (!*v || is_attribute(n) || strcmp(n, "xsiType") == 0)
            continue;
        if (is_demographic(item->kind, n) && !demo_open) {
            rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:demographics") < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xsi:type",
                                              BAD_CAST "xnat:demographicData") < 0;
            demo_open = 1;
        } else if (!is_demographic(item->kind, n) && demo_open) {
            rc |= xmlTextWriterEndElement(w) < 0;
            demo_open = 0;
        }
        rc |= xmlTextWriterWriteElement(w, BAD_CAST apr_pstrcat(p, "xnat:", n, NULL),
                                        BAD_CAST v) < 0;
    }
    if (demo_open)
        rc |= xmlTextWriterEndElement(w) < 0;
    if (item->custom_names->nelts > 0 && !rc) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:fields") < 0;
        for (int i = 0; i < item->custom_names->nelts && !rc; i++) {
            rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:field") < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name",
                BAD_CAST APR_ARRAY_IDX(item->custom_names, i, const char *)) < 0;
            rc |= xmlTextWriterWriteString(w,
                BAD_CAST APR_ARRAY_IDX(item->custom_values, i, const char *)) < 0;
            rc |= xmlTextWriterEndElement(w) < 0;
        }
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    if (item->kind == ARCA_KIND_PROJECT && root && !rc)
        rc |= write_protocols(w, p, item);
    for (int c = 0; c < item->children->nelts && !rc; c++) {
        const arca_item_child_t *ch = &APR_ARRAY_IDX(item->children, c, arca_item_child_t);
        const char *slash = strchr(ch->field, '/');
        rc |= xmlTextWriterStartElement(w, BAD_CAST apr_pstrcat(p, "xnat:",
            apr_pstrmemdup(p, ch->field, (apr_size_t)(slash - ch->field)), NULL)) < 0;
        for (int i = 0; i < ch->items->nelts && !rc; i++)
            rc |= write_item_xml(w, p, APR_ARRAY_IDX(ch->items, i, arca_item_t *),
                                 apr_pstrcat(p, "xnat:", slash + 1, NULL), 0);
        rc |= xmlTextWriterEndElement(w) < 0;
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
