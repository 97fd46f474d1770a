/* XNAT item XML in. Every leaf element and root attribute becomes "{type}/{path}" with
 * the path of element local names under the root ("demographics/gender", "PI/firstname"),
 * which model_fields.c resolves like any XPath parameter; fields/field elements become
 * custom variables; scans, resources and other child items are not read here. */
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
                    if (d->definition == NULL)
                        d->definition = "default";
                    if (d->name == NULL || d->datatype == NULL)
                        apr_array_pop(item->defs);
                }
            }
        }
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
        sub = path ? apr_pstrcat(p, path, "/", name, NULL) : name;
        if (has_element_children(c))
            read_children(p, c, sub, item, depth + 1);
        else
            apr_table_set(item->fields, apr_pstrcat(p, item->xsi_type, "/", sub, NULL),
                          text_of(p, c));
    }
}

arca_error_t *arca_item_xml_parse(apr_pool_t *p, const char *xml, apr_size_t len,
                                  arca_xml_item_t **out)
{
    /* no NOENT (entities stay unexpanded), no DTD loading, no network */
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "item.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOWARNING
                                  | XML_PARSE_NOERROR);
    xmlNodePtr root;
    arca_xml_item_t *item;

    if (doc == NULL) {
        const xmlError *e = xmlGetLastError();
        return arca_error_create(p, 400, "the XML document is not well-formed%s%s",
                                 e && e->message ? ": " : "",
                                 e && e->message ? apr_pstrndup(p, e->message,
                                                                strcspn(e->message, "\n"))
                                                 : "");
    }
    root = xmlDocGetRootElement(doc);
    item = apr_pcalloc(p, sizeof *item);
    item->fields = apr_table_make(p, 16);
    item->defs = apr_array_make(p, 4, sizeof(arca_xml_field_def_t));
    item->aliases = apr_array_make(p, 2, sizeof(arca_xml_alias_t));
    /* xsi:type (libxml2 matches the local name) */
    item->xsi_type = arca_xml_attr(p, root, "type");
    if (item->xsi_type == NULL && root->ns && root->ns->prefix)
        item->xsi_type = arca_xsi_of_element(p, apr_pstrcat(p, (const char *)root->ns->prefix,
                                                            ":", (const char *)root->name,
                                                            NULL));
    if (item->xsi_type == NULL || !arca_valid_xsi_type(item->xsi_type)) {
        xmlFreeDoc(doc);
        return arca_error_create(p, 400, "the XML document is not an XNAT item (no xsi:type)");
    }
    for (xmlAttrPtr a = root->properties; a; a = a->next) {
        const char *name = (const char *)a->name;
        if (strcmp(name, "type") == 0 || (a->ns && a->ns->prefix
                                          && strcmp((const char *)a->ns->prefix, "xmlns") == 0))
            continue;
        apr_table_set(item->fields, apr_pstrcat(p, item->xsi_type, "/", name, NULL),
                      arca_xml_attr(p, root, name));
    }
    read_children(p, root, NULL, item, 0);
    xmlFreeDoc(doc);
    *out = item;
    return ARCA_OK;
}
