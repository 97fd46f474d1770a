/* XNAT's search document (xdat:bundle) in and out, and the checks both search forms share.
 *
 * The document is read by arca_xml_parse (format/xml_read.h): a DOCTYPE is refused before
 * libxml2 sees it, so no entity of any kind (external, or billions of nested internal ones)
 * is ever declared, and the attributes and nodes are counted before libxml2 builds them. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/xmlwriter.h>

#include "format/xml_read.h"
#include "search/search.h"

#define XDAT_NS "http://nrg.wustl.edu/security"

/* ---- shared by both forms ---------------------------------------------------------------- */

static const struct { const char *name; arca_search_op_t op; } op_names[] = {
    {"=", ARCA_OP_EQ}, {"==", ARCA_OP_EQ}, {"!=", ARCA_OP_NE}, {"<>", ARCA_OP_NE},
    {"<", ARCA_OP_LT}, {"<=", ARCA_OP_LE}, {">", ARCA_OP_GT}, {">=", ARCA_OP_GE},
    {"LIKE", ARCA_OP_LIKE}, {"NOT LIKE", ARCA_OP_NOT_LIKE}, {"IN", ARCA_OP_IN},
    {"NOT IN", ARCA_OP_NOT_IN}, {"IS NULL", ARCA_OP_IS_NULL},
    {"IS NOT NULL", ARCA_OP_IS_NOT_NULL}, {"IS", ARCA_OP_IS_NULL},
    {"IS NOT", ARCA_OP_IS_NOT_NULL},
};

const char *arca_search_op_name(arca_search_op_t op)
{
    switch (op) {
    case ARCA_OP_EQ: return "=";
    case ARCA_OP_NE: return "!=";
    case ARCA_OP_LT: return "<";
    case ARCA_OP_LE: return "<=";
    case ARCA_OP_GT: return ">";
    case ARCA_OP_GE: return ">=";
    case ARCA_OP_LIKE: return "LIKE";
    case ARCA_OP_NOT_LIKE: return "NOT LIKE";
    case ARCA_OP_IN: return "IN";
    case ARCA_OP_NOT_IN: return "NOT IN";
    case ARCA_OP_IS_NULL: return "IS NULL";
    default: return "IS NOT NULL";
    }
}

const char *arca_search_quote(apr_pool_t *p, const char *text)
{
    size_t n = 0;
    char *out = apr_palloc(p, 72);

    for (const char *c = text ? text : ""; *c && n < 64; c++)
        if ((unsigned char)*c >= 0x20 && *c != 0x7f)
            out[n++] = *c;
    if (text && strlen(text) > 64) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

arca_error_t *arca_search_op_parse(apr_pool_t *p, const char *text, arca_search_op_t *op)
{
    char norm[16];
    size_t n = 0;
    int space = 0;

    /* case and runs of blanks do not matter: "not  like" is NOT LIKE */
    for (const char *c = text ? text : ""; *c; c++) {
        if (isspace((unsigned char)*c)) {
            space = n > 0;
            continue;
        }
        if (n + 2 >= sizeof norm)
            goto unknown;
        if (space)
            norm[n++] = ' ';
        space = 0;
        norm[n++] = (char)toupper((unsigned char)*c);
    }
    norm[n] = '\0';
    if (strcmp(norm, "ILIKE") == 0)
        strcpy(norm, "LIKE");
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++) {
        if (strcmp(op_names[i].name, norm) == 0) {
            *op = op_names[i].op;
            return ARCA_OK;
        }
    }
unknown:
    return arca_error_create(p, 400, "unknown comparison '%s': use =, !=, <, <=, >, >=, "
                             "LIKE, NOT LIKE, IN, NOT IN, IS NULL or IS NOT NULL",
                             arca_search_quote(p, text));
}

int arca_search_split_path(apr_pool_t *p, const char *path, arca_search_column_t *col)
{
    const char *slash = strchr(path, '/'), *colon = strchr(path, ':');

    /* XNAT's display form "xnat:subjectData.SUBJECT_LABEL" too */
    if (slash == NULL && colon && strchr(colon, '.'))
        slash = strchr(colon, '.');
    if (slash == NULL || slash == path || slash[1] == '\0')
        return 0;
    col->element = arca_search_element_name(apr_pstrmemdup(p, path,
                                                           (apr_size_t)(slash - path)));
    col->field = apr_pstrdup(p, slash + 1);
    col->schema_path = 0;
    return 1;
}

/* An xdat:search_field's field_ID: a display field ID of its element_name
 * ("SUBJECT_LABEL"), or a schema path qualified with its type ("xnat:mrSessionData/ID",
 * "xnat:subjectData/label": what xnatpy sends), which names the type itself. */
static void search_field_of(apr_pool_t *p, const char *element, const char *field,
                            arca_search_column_t *col)
{
    arca_search_column_t q;

    if (arca_search_split_path(p, field, &q) && arca_valid_xsi_type(q.element)
        && field[strlen(q.element)] == '/') {
        *col = q;
        col->schema_path = 1;
        return;
    }
    col->element = arca_search_element_name(element);
    col->field = field;
    col->schema_path = 0;
}

static arca_error_t *count_node(apr_pool_t *p, const arca_search_node_t *n, int depth,
                                int *criteria)
{
    arca_error_t *err;

    if (depth > ARCA_SEARCH_MAX_DEPTH)
        return arca_error_create(p, 400, "%s: AND/OR groups nest deeper than %d", n->where,
                                 ARCA_SEARCH_MAX_DEPTH);
    if (!n->is_group) {
        if (++*criteria > ARCA_SEARCH_MAX_CRITERIA)
            return arca_error_create(p, 400, "more than %d criteria in one search",
                                     ARCA_SEARCH_MAX_CRITERIA);
        if (n->values && n->values->nelts > ARCA_SEARCH_MAX_IN)
            return arca_error_create(p, 400, "%s: more than %d values in one IN list",
                                     n->where, ARCA_SEARCH_MAX_IN);
        if (n->value && strlen(n->value) > ARCA_SEARCH_MAX_VALUE)
            return arca_error_create(p, 400, "%s: a value longer than %d bytes", n->where,
                                     ARCA_SEARCH_MAX_VALUE);
        for (int i = 0; n->values && i < n->values->nelts; i++)
            if (strlen(APR_ARRAY_IDX(n->values, i, const char *)) > ARCA_SEARCH_MAX_VALUE)
                return arca_error_create(p, 400, "%s: a value longer than %d bytes",
                                         n->where, ARCA_SEARCH_MAX_VALUE);
        return ARCA_OK;
    }
    for (int i = 0; i < n->children->nelts; i++)
        if ((err = count_node(p, APR_ARRAY_IDX(n->children, i, arca_search_node_t *),
                              depth + 1, criteria)))
            return err;
    return ARCA_OK;
}

arca_error_t *arca_search_check_limits(apr_pool_t *p, const arca_search_t *s)
{
    int criteria = 0;

    if (s->columns->nelts > ARCA_SEARCH_MAX_COLUMNS)
        return arca_error_create(p, 400, "more than %d search fields",
                                 ARCA_SEARCH_MAX_COLUMNS);
    return s->where ? count_node(p, s->where, 1, &criteria) : ARCA_OK;
}

/* "a, 'b',c" -> a, b, c (XNAT's IN lists; quotes around an item are dropped). */
static apr_array_header_t *split_list(apr_pool_t *p, const char *text)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    char *copy = apr_pstrdup(p, text ? text : ""), *state = NULL, *tok;

    for (tok = apr_strtok(copy, ",", &state); tok; tok = apr_strtok(NULL, ",", &state)) {
        char *end;
        while (isspace((unsigned char)*tok))
            tok++;
        end = tok + strlen(tok);
        while (end > tok && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (end - tok >= 2 && (*tok == '\'' || *tok == '"') && end[-1] == *tok) {
            end[-1] = '\0';
            tok++;
        }
        APR_ARRAY_PUSH(out, const char *) = tok;
        if (out->nelts > ARCA_SEARCH_MAX_IN)
            break; /* the limit check says so */
    }
    return out;
}

/* ---- XML in ------------------------------------------------------------------------------ */

typedef struct {
    apr_pool_t *p;
    int criteria;
} parse_t;

static const char *local_name(xmlNodePtr n)
{
    return n && n->type == XML_ELEMENT_NODE ? (const char *)n->name : "";
}

static const char *trimmed(apr_pool_t *p, const char *s)
{
    const char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    return apr_pstrmemdup(p, s, (apr_size_t)(end - s));
}

static const char *text_of(apr_pool_t *p, xmlNodePtr n)
{
    xmlChar *c = n ? xmlNodeGetContent(n) : NULL;
    const char *s = c ? trimmed(p, (const char *)c) : NULL;

    xmlFree(c);
    return s;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (arca_xml_is(c, name))
            return c;
    return NULL;
}

static arca_error_t *parse_group(parse_t *ps, xmlNodePtr n, int depth,
                                 arca_search_node_t **out);

static arca_error_t *parse_criteria(parse_t *ps, xmlNodePtr n, arca_search_node_t **out)
{
    apr_pool_t *p = ps->p;
    arca_search_node_t *c = apr_pcalloc(p, sizeof *c);
    const char *field = text_of(p, child(n, "schema_field"));
    const char *op = text_of(p, child(n, "comparison_type"));
    const char *value = text_of(p, child(n, "value"));
    arca_error_t *err;

    c->where = apr_psprintf(p, "criteria %d (line %ld)", ++ps->criteria, xmlGetLineNo(n));
    if (ps->criteria > ARCA_SEARCH_MAX_CRITERIA)
        return arca_error_create(p, 400, "more than %d criteria in one search",
                                 ARCA_SEARCH_MAX_CRITERIA);
    if (field == NULL || *field == '\0')
        return arca_error_create(p, 400, "%s: no xdat:schema_field", c->where);
    if (!arca_search_split_path(p, field, &c->column))
        return arca_error_create(p, 400, "%s: schema_field '%s' is not {type}/{field}",
                                 c->where, arca_search_quote(p, field));
    if (op == NULL)
        return arca_error_create(p, 400, "%s: no xdat:comparison_type", c->where);
    if ((err = arca_search_op_parse(p, op, &c->op)))
        return arca_error_create(p, 400, "%s: %s", c->where, err->message);
    if (c->op == ARCA_OP_IN || c->op == ARCA_OP_NOT_IN)
        c->values = split_list(p, value);
    else if (c->op != ARCA_OP_IS_NULL && c->op != ARCA_OP_IS_NOT_NULL)
        c->value = value ? value : "";
    *out = c;
    return ARCA_OK;
}

/* A child_set: its criteria and nested child_sets. search_json.c's parse_node builds the
 * same tree from JSON, so the two mirror each other by design. */
static arca_error_t *parse_group(parse_t *ps, xmlNodePtr n, int depth,
                                 arca_search_node_t **out)
{
    apr_pool_t *p = ps->p;
    arca_search_node_t *g = apr_pcalloc(p, sizeof *g);
    const char *method = arca_xml_attr(p, n, "method");
    arca_error_t *err;

    g->is_group = 1;
    g->children = apr_array_make(p, 4, sizeof(arca_search_node_t *));
    g->where = apr_psprintf(p, "%s (line %ld)", local_name(n), xmlGetLineNo(n));
    if (depth > ARCA_SEARCH_MAX_DEPTH)
        return arca_error_create(p, 400, "%s: AND/OR groups nest deeper than %d", g->where,
                                 ARCA_SEARCH_MAX_DEPTH);
    if (method && strcasecmp(method, "OR") == 0)
        g->is_or = 1;
    else if (method && *method && strcasecmp(method, "AND") != 0)
        return arca_error_create(p, 400, "%s: method '%s': use AND or OR", g->where,
                                 arca_search_quote(p, method));
    for (xmlNodePtr c = n->children; c; c = c->next) {
        arca_search_node_t *node = NULL;
        if (arca_xml_is(c, "criteria"))
            err = parse_criteria(ps, c, &node);
        else if (arca_xml_is(c, "child_set"))
            err = parse_group(ps, c, depth + 1, &node);
        else
            continue;
        if (err)
            return err;
        APR_ARRAY_PUSH(g->children, arca_search_node_t *) = node;
    }
    *out = g;
    return ARCA_OK;
}

arca_error_t *arca_search_parse_xml(apr_pool_t *p, const char *doc, apr_size_t len,
                                    arca_search_t **out)
{
    xmlDocPtr xdoc;
    xmlNodePtr root;
    arca_search_t *s;
    parse_t ps = {p, 0};
    arca_error_t *err;

    if (len > ARCA_SEARCH_MAX_DOCUMENT)
        return arca_error_create(p, 413, "the search document is larger than %d bytes",
                                 ARCA_SEARCH_MAX_DOCUMENT);
    if (len == 0)
        return arca_error_create(p, 400, "no search document: send XNAT's search XML "
                                 "(xdat:bundle) or the JSON form as the body");
    if ((err = arca_xml_parse(p, doc, len, "the search document", 0, &xdoc)))
        return err;
    root = xmlDocGetRootElement(xdoc);
    if (root == NULL || (!arca_xml_is(root, "bundle") && !arca_xml_is(root, "search")
                         && !arca_xml_is(root, "stored_search")))
        return arca_error_create(p, 400, "the root element is <%s>: a search is an "
                                 "xdat:bundle document", arca_search_quote(p, local_name(root)));
    s = apr_pcalloc(p, sizeof *s);
    s->columns = apr_array_make(p, 8, sizeof(arca_search_column_t));
    s->users = apr_array_make(p, 2, sizeof(const char *));
    s->limit = -1;
    s->id = arca_xml_attr(p, root, "ID");
    s->brief_description = arca_xml_attr(p, root, "brief-description");
    s->description = arca_xml_attr(p, root, "description");
    s->project = arca_xml_attr(p, root, "tag");
    if (s->project && *s->project == '\0')
        s->project = NULL;
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (arca_xml_is(c, "root_element_name")) {
            s->root = arca_search_element_name(text_of(p, c));
        } else if (arca_xml_is(c, "search_field")) {
            arca_search_column_t *col;
            const char *element = text_of(p, child(c, "element_name"));
            const char *field = text_of(p, child(c, "field_ID"));
            if (s->columns->nelts >= ARCA_SEARCH_MAX_COLUMNS)
                return arca_error_create(p, 400, "more than %d search fields",
                                         ARCA_SEARCH_MAX_COLUMNS);
            if (element == NULL || *element == '\0' || field == NULL || *field == '\0')
                return arca_error_create(p, 400, "search_field (line %ld): element_name "
                                         "and field_ID are both needed", xmlGetLineNo(c));
            col = &APR_ARRAY_PUSH(s->columns, arca_search_column_t);
            search_field_of(p, element, field, col);
        } else if (arca_xml_is(c, "search_where")) {
            if (s->where)
                return arca_error_create(p, 400, "search_where (line %ld): only one per "
                                         "search", xmlGetLineNo(c));
            if ((err = parse_group(&ps, c, 1, &s->where)))
                return err;
        } else if (arca_xml_is(c, "allowed_user")) {
            for (xmlNodePtr l = c->children; l; l = l->next)
                if (arca_xml_is(l, "login") && s->users->nelts < ARCA_SEARCH_MAX_USERS)
                    APR_ARRAY_PUSH(s->users, const char *) = text_of(p, l);
        }
    }
    if (s->root == NULL || *s->root == '\0')
        return arca_error_create(p, 400, "no xdat:root_element_name: say which type of row "
                                 "the search returns (xnat:subjectData...)");
    if ((err = arca_search_check_limits(p, s)))
        return err;
    *out = s;
    return ARCA_OK;
}

/* ---- XML out ----------------------------------------------------------------------------- */

static int write_el(xmlTextWriterPtr w, const char *name, const char *text)
{
    return xmlTextWriterWriteElementNS(w, BAD_CAST "xdat", BAD_CAST name, NULL,
                                       BAD_CAST(text ? text : "")) < 0;
}

static int write_group(apr_pool_t *p, xmlTextWriterPtr w, const char *name,
                       const arca_search_node_t *g)
{
    int rc = xmlTextWriterStartElementNS(w, BAD_CAST "xdat", BAD_CAST name, NULL) < 0;

    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "method",
                                      BAD_CAST(g->is_or ? "OR" : "AND")) < 0;
    /* conditions first, then groups: the order pyxnat reads them back in */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        for (int i = 0; i < g->children->nelts && !rc; i++) {
            const arca_search_node_t *c = APR_ARRAY_IDX(g->children, i, arca_search_node_t *);
            if (c->is_group != pass)
                continue;
            if (c->is_group) {
                rc |= write_group(p, w, "child_set", c);
                continue;
            }
            const char *value = c->value ? c->value : "";
            if (c->values) {
                value = "";
                for (int v = 0; v < c->values->nelts; v++)
                    value = apr_pstrcat(p, value, v ? "," : "",
                                        APR_ARRAY_IDX(c->values, v, const char *), NULL);
            }
            rc |= xmlTextWriterStartElementNS(w, BAD_CAST "xdat", BAD_CAST "criteria",
                                              NULL) < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "override_value_formatting",
                                              BAD_CAST "0") < 0;
            rc |= write_el(w, "schema_field", apr_pstrcat(p, c->column.element, "/",
                                                          c->column.field, NULL));
            rc |= write_el(w, "comparison_type", arca_search_op_name(c->op));
            rc |= write_el(w, "value", value);
            rc |= xmlTextWriterEndElement(w) < 0;
        }
    }
    return rc | (xmlTextWriterEndElement(w) < 0);
}

arca_error_t *arca_search_to_xml(apr_pool_t *p, const arca_search_t *s, const char **xml)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    int rc = w == NULL;

    if (!rc) {
        rc |= xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0;
        rc |= xmlTextWriterStartElementNS(w, BAD_CAST "xdat", BAD_CAST "stored_search",
                                          BAD_CAST XDAT_NS) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "ID", BAD_CAST(s->id ? s->id : "")) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "brief-description",
                                          BAD_CAST(s->brief_description
                                                   ? s->brief_description : "")) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "description",
                                          BAD_CAST(s->description ? s->description : "")) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "allow-diff-columns", BAD_CAST "0") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "secure", BAD_CAST "false") < 0;
        if (s->project)
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "tag", BAD_CAST s->project) < 0;
        rc |= write_el(w, "root_element_name", s->root);
        for (int i = 0; i < s->columns->nelts && !rc; i++) {
            const arca_search_column_t *c = &APR_ARRAY_IDX(s->columns, i, arca_search_column_t);
            rc |= xmlTextWriterStartElementNS(w, BAD_CAST "xdat", BAD_CAST "search_field",
                                              NULL) < 0;
            rc |= write_el(w, "element_name", c->element);
            rc |= write_el(w, "field_ID", c->schema_path
                                              ? apr_pstrcat(p, c->element, "/", c->field, NULL)
                                              : c->field);
            rc |= write_el(w, "sequence", apr_itoa(p, i));
            rc |= write_el(w, "type", "string");
            rc |= write_el(w, "header", apr_pstrcat(p, c->element, "/", c->field, NULL));
            rc |= xmlTextWriterEndElement(w) < 0;
        }
        if (s->where && !rc)
            rc |= write_group(p, w, "search_where", s->where);
        for (int i = 0; s->users && i < s->users->nelts && !rc; i++) {
            rc |= xmlTextWriterStartElementNS(w, BAD_CAST "xdat", BAD_CAST "allowed_user",
                                              NULL) < 0;
            rc |= write_el(w, "login", APR_ARRAY_IDX(s->users, i, const char *));
            rc |= xmlTextWriterEndElement(w) < 0;
        }
        rc |= xmlTextWriterEndDocument(w) < 0;
    }
    if (w)
        xmlFreeTextWriter(w);
    if (!rc)
        *xml = apr_pstrmemdup(p, (const char *)xmlBufferContent(buf),
                              (apr_size_t)xmlBufferLength(buf));
    if (buf)
        xmlBufferFree(buf);
    return rc ? arca_error_create(p, 500, "could not write the search document") : ARCA_OK;
}
