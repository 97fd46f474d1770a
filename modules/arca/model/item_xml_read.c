/* XNAT item XML in. Every leaf element and root attribute becomes "{type}/{path}" with
 * the path of element local names under the root ("demographics/gender", "PI/firstname"),
 * which model_fields.c resolves like any XPath parameter; a leaf's attributes are paths
 * too ("parameters/voxelRes/x"); fields/field elements become custom variables, and
 * parameters/addParam ones a scan's named parameters; provenance/processStep elements are
 * read as steps; scans, resources and other child items are not read here. */
#include <string.h>

#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "format/xml_read.h"
#include "model/item_xml_read.h"
#include "model/model.h"

#define MAX_DEPTH 8

static const char *text_of(apr_pool_t *p, xmlNodePtr n)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = apr_pstrdup(p, t ? (const char *)t : "");

    xmlFree(t);
    return s;
}

static int has_element_children(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return 1;
    return 0;
}

/* A field definition's required="1|true" and its <xnat:possibleValues><xnat:possibleValue>
 * children (XNAT's list of the values allowed; a display attribute is not kept). */
static void read_field_def_extras(apr_pool_t *p, xmlNodePtr f, arca_xml_field_def_t *d)
{
    const char *req = arca_xml_attr(p, f, "required");

    d->required = req && (strcmp(req, "1") == 0 || strcmp(req, "true") == 0);
    d->options = apr_array_make(p, 4, sizeof(const char *));
    for (xmlNodePtr vs = f->children; vs; vs = vs->next) {
        if (!arca_xml_is(vs, "possibleValues"))
            continue;
        for (xmlNodePtr v = vs->children; v; v = v->next)
            if (arca_xml_is(v, "possibleValue"))
                APR_ARRAY_PUSH(d->options, const char *) = text_of(p, v);
    }
}

/* <xnat:studyProtocol data-type=...><xnat:definitions><xnat:definition ID=...>
 *   <xnat:fields><xnat:field name=... datatype=... type="custom"/> */
static void read_protocol(apr_pool_t *p, xmlNodePtr proto, arca_xml_item_t *item)
{
    const char *data_type = arca_xml_attr(p, proto, "data-type");

    for (xmlNodePtr defs = proto->children; defs; defs = defs->next) {
        if (!arca_xml_is(defs, "definitions"))
            continue;
        for (xmlNodePtr def = defs->children; def; def = def->next) {
            if (!arca_xml_is(def, "definition"))
                continue;
            for (xmlNodePtr fields = def->children; fields; fields = fields->next) {
                if (!arca_xml_is(fields, "fields"))
                    continue;
                for (xmlNodePtr f = fields->children; f; f = f->next) {
                    const char *type = arca_xml_is(f, "field") ? arca_xml_attr(p, f, "type")
                                                               : NULL;
                    arca_xml_field_def_t *d;
                    if (type == NULL || strcmp(type, "custom") != 0)
                        continue;
                    d = apr_array_push(item->defs);
                    d->data_type = data_type ? data_type : "";
                    d->definition = arca_xml_attr(p, def, "ID");
                    d->name = arca_xml_attr(p, f, "name");
                    d->datatype = arca_xml_attr(p, f, "datatype");
                    read_field_def_extras(p, f, d);
                    if (d->definition == NULL)
                        d->definition = "default";
                    if (d->name == NULL || d->datatype == NULL)
                        apr_array_pop(item->defs);
                }
            }
        }
    }
}

/* <xnat:provenance><prov:processStep><prov:program version=".." arguments="..">name
 * </prov:program><prov:timestamp>... */
static void read_provenance(apr_pool_t *p, xmlNodePtr prov, arca_xml_item_t *item)
{
    item->has_provenance = 1;
    for (xmlNodePtr st = prov->children; st; st = st->next) {
        arca_process_step_t *step;
        if (!arca_xml_is(st, "processStep"))
            continue;
        step = apr_array_push(item->steps);
        for (int k = 0; k < ARCA_PROCESS_STEP_PARTS; k++)
            step->values[k] = "";
        for (xmlNodePtr c = st->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            for (int k = 0; k < ARCA_PROCESS_STEP_PARTS; k++) {
                const char *part = arca_process_step_parts[k], *slash = strchr(part, '/');
                const char *v;
                if (slash == NULL && strcmp(part, (const char *)c->name) == 0)
                    step->values[k] = text_of(p, c);
                else if (slash && strncmp(part, (const char *)c->name,
                                          (size_t)(slash - part)) == 0
                         && c->name[slash - part] == '\0'
                         && (v = arca_xml_attr(p, c, slash + 1)) != NULL)
                    step->values[k] = v;
            }
        }
    }
}

/* A leaf's attributes but xsi:type, as "{path}/{attribute}". */
static void read_attributes(apr_pool_t *p, xmlNodePtr n, const char *path,
                            arca_xml_item_t *item)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        const char *name = (const char *)a->name;
        xmlChar *v;
        if (a->ns)
            continue; /* xsi:type */
        v = xmlNodeListGetString(n->doc, a->children, 1);
        apr_table_set(item->fields, apr_pstrcat(p, item->xsi_type, "/", path, "/", name, NULL),
                      v ? (const char *)v : "");
        xmlFree(v);
    }
}

static void read_children(apr_pool_t *p, xmlNodePtr parent, const char *path,
                          arca_xml_item_t *item, int depth)
{
    if (depth > MAX_DEPTH)
        return;
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        const char *name, *sub;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        name = (const char *)c->name;
        if (depth == 0 && arca_xml_is(c, "studyProtocol")) {
            read_protocol(p, c, item);
            continue;
        }
        if (depth == 0 && arca_xml_is(c, "aliases")) {
            for (xmlNodePtr a = c->children; a; a = a->next) {
                arca_xml_alias_t *al;
                char *text;
                if (!arca_xml_is(a, "alias"))
                    continue;
                text = apr_pstrdup(p, text_of(p, a));
                apr_collapse_spaces(text, text);
                al = apr_array_push(item->aliases);
                al->alias = text;
                al->source = arca_xml_attr(p, a, "source");
                if (al->source == NULL)
                    al->source = "";
            }
            continue;
        }
        if (depth == 0 && arca_xml_is(c, "fields")) {
            for (xmlNodePtr f = c->children; f; f = f->next) {
                const char *fname = arca_xml_is(f, "field") ? arca_xml_attr(p, f, "name")
                                                            : NULL;
                if (fname)
                    apr_table_set(item->fields, apr_psprintf(p, "%s/fields/field[name=%s]/field",
                                                             item->xsi_type, fname),
                                  text_of(p, f));
            }
            continue;
        }
        if (depth == 0 && arca_xml_is(c, "provenance")) {
            read_provenance(p, c, item);
            continue;
        }
        sub = path ? apr_pstrcat(p, path, "/", name, NULL) : name;
        if (strcmp(sub, "parameters/addParam") == 0) {
            const char *pname = arca_xml_attr(p, c, "name");
            if (pname)
                apr_table_set(item->fields, apr_psprintf(p, "%s/parameters/addParam[name=%s]"
                                                         "/addField", item->xsi_type, pname),
                              text_of(p, c));
            continue;
        }
        if (has_element_children(c))
            read_children(p, c, sub, item, depth + 1);
        else if (c->properties && !has_element_children(c)) {
            const char *text = text_of(p, c);
            read_attributes(p, c, sub, item);
            if (*text)
                apr_table_set(item->fields, apr_pstrcat(p, item->xsi_type, "/", sub, NULL),
                              text);
        } else
            apr_table_set(item->fields, apr_pstrcat(p, item->xsi_type, "/", sub, NULL),
                          text_of(p, c));
    }
}

arca_error_t *arca_item_xml_parse(apr_pool_t *p, const char *xml, apr_size_t len,
                                  arca_xml_item_t **out)
{
    /* a DOCTYPE is refused, as for a search: no entity is ever declared or expanded */
    xmlDocPtr doc;
    xmlNodePtr root;
    arca_xml_item_t *item;
    arca_error_t *err = arca_xml_parse(p, xml, len, "the XML document", XML_PARSE_NOBLANKS,
                                       &doc);

    if (err)
        return err;
    root = xmlDocGetRootElement(doc);
    item = apr_pcalloc(p, sizeof *item);
    item->fields = apr_table_make(p, 16);
    item->defs = apr_array_make(p, 4, sizeof(arca_xml_field_def_t));
    item->aliases = apr_array_make(p, 2, sizeof(arca_xml_alias_t));
    item->steps = apr_array_make(p, 4, sizeof(arca_process_step_t));
    /* xsi:type, namespaced: a scan's own "type" attribute is its scan type */
    {
        xmlChar *t = xmlGetNsProp(root, BAD_CAST "type",
                                  BAD_CAST "http://www.w3.org/2001/XMLSchema-instance");
        item->xsi_type = t ? apr_pstrdup(p, (const char *)t) : NULL;
        xmlFree(t);
    }
    if (item->xsi_type == NULL && root->ns && root->ns->prefix)
        item->xsi_type = arca_xsi_of_element(p, apr_pstrcat(p, (const char *)root->ns->prefix,
                                                            ":", (const char *)root->name,
                                                            NULL));
    if (item->xsi_type == NULL || !arca_valid_xsi_type(item->xsi_type))
        return arca_error_create(p, 400, "the XML document is not an XNAT item (no xsi:type)");
    for (xmlAttrPtr a = root->properties; a; a = a->next) {
        const char *name = (const char *)a->name;
        xmlChar *v;
        if (a->ns || strcmp(name, "xmlns") == 0)
            continue; /* xsi:type, xsi:schemaLocation, namespace declarations */
        v = xmlNodeListGetString(root->doc, a->children, 1);
        apr_table_set(item->fields, apr_pstrcat(p, item->xsi_type, "/", name, NULL),
                      v ? (const char *)v : "");
        xmlFree(v);
    }
    read_children(p, root, NULL, item, 0);
    *out = item;
    return ARCA_OK;
}
