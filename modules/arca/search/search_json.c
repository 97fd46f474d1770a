/* The JSON form of a search (for the web UI), parsed into the same tree as the XML form:
 *
 *   { "root": "xnat:ctSessionData",
 *     "columns": ["xnat:ctSessionData/LABEL", "xnat:subjectData/fields/field[name=kvp]/field"],
 *     "where": {"and": [ {"field": "xnat:ctSessionData/SCANNER", "op": "=", "value": "A"},
 *                        {"or": [ {...}, {...} ]} ]},
 *     "sort": {"field": "xnat:ctSessionData/DATE", "order": "desc"},
 *     "limit": 100, "offset": 0 }
 *
 * Errors name the path of the bad part: "where.and[1].op: unknown comparison 'EQ'". */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <jansson.h>

#include "search/search.h"

typedef struct {
    apr_pool_t *p;
    int criteria;
} jparse_t;

static arca_error_t *bad(apr_pool_t *p, const char *path, const char *what)
{
    return arca_error_create(p, 400, "%s: %s", *path ? path : "(top)", what);
}

/* Only these keys in an object. */
static arca_error_t *known_keys(apr_pool_t *p, json_t *obj, const char *path,
                                const char *const *keys)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v) {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++)
            ok = strcmp(keys[i], key) == 0;
        if (!ok)
            return arca_error_create(p, 400, "%s: unknown key '%s'", *path ? path : "(top)",
                                     arca_search_quote(p, key));
    }
    return ARCA_OK;
}

/* A value as text: strings as they are, numbers and booleans written out. */
static const char *scalar_text(apr_pool_t *p, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: return apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)json_integer_value(v));
    case JSON_REAL: return apr_psprintf(p, "%.17g", json_real_value(v));
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return NULL;
    }
}

static arca_error_t *parse_node(jparse_t *jp, json_t *v, const char *path, int depth,
                                arca_search_node_t **out);

static arca_error_t *parse_condition(jparse_t *jp, json_t *v, const char *path,
                                     arca_search_node_t **out)
{
    static const char *const keys[] = {"field", "op", "value", NULL};
    apr_pool_t *p = jp->p;
    arca_search_node_t *c = apr_pcalloc(p, sizeof *c);
    json_t *field = json_object_get(v, "field"), *op = json_object_get(v, "op");
    json_t *value = json_object_get(v, "value");
    arca_error_t *err;

    c->where = path;
    if (++jp->criteria > ARCA_SEARCH_MAX_CRITERIA)
        return arca_error_create(p, 400, "more than %d criteria in one search",
                                 ARCA_SEARCH_MAX_CRITERIA);
    if ((err = known_keys(p, v, path, keys)))
        return err;
    if (!json_is_string(field))
        return bad(p, apr_pstrcat(p, path, ".field", NULL), "a string {type}/{field} is "
                   "needed");
    if (!arca_search_split_path(p, json_string_value(field), &c->column))
        return bad(p, apr_pstrcat(p, path, ".field", NULL),
                   apr_psprintf(p, "'%s' is not {type}/{field}",
                                arca_search_quote(p, json_string_value(field))));
    if (op == NULL)
        c->op = ARCA_OP_EQ;
    else if (!json_is_string(op))
        return bad(p, apr_pstrcat(p, path, ".op", NULL), "a string is needed");
    else if ((err = arca_search_op_parse(p, json_string_value(op), &c->op)))
        return bad(p, apr_pstrcat(p, path, ".op", NULL), err->message);
    if (c->op == ARCA_OP_IS_NULL || c->op == ARCA_OP_IS_NOT_NULL)
        return (*out = c), ARCA_OK;
    if (c->op == ARCA_OP_IN || c->op == ARCA_OP_NOT_IN) {
        size_t i;
        json_t *item;
        if (!json_is_array(value))
            return bad(p, apr_pstrcat(p, path, ".value", NULL), "IN takes an array of values");
        if (json_array_size(value) > ARCA_SEARCH_MAX_IN)
            return bad(p, apr_pstrcat(p, path, ".value", NULL),
                       apr_psprintf(p, "more than %d values in one IN list",
                                    ARCA_SEARCH_MAX_IN));
        c->values = apr_array_make(p, (int)json_array_size(value) + 1, sizeof(const char *));
        json_array_foreach(value, i, item) {
            const char *t = scalar_text(p, item);
            if (t == NULL)
                return bad(p, apr_psprintf(p, "%s.value[%" APR_SIZE_T_FMT "]", path, i),
                           "a string, number or boolean is needed");
            APR_ARRAY_PUSH(c->values, const char *) = t;
        }
    } else if (value == NULL || (c->value = scalar_text(p, value)) == NULL) {
        return bad(p, apr_pstrcat(p, path, ".value", NULL),
                   "a string, number or boolean is needed");
    }
    *out = c;
    return ARCA_OK;
}

/* A condition, or an AND/OR group of nodes. search_xml.c's parse_group builds the same tree
 * from XML, so the two mirror each other by design. */
static arca_error_t *parse_node(jparse_t *jp, json_t *v, const char *path, int depth,
                                arca_search_node_t **out)
{
    apr_pool_t *p = jp->p;
    json_t *and = json_object_get(v, "and"), *or = json_object_get(v, "or"), *list, *item;
    arca_search_node_t *g;
    size_t i;

    if (!json_is_object(v))
        return bad(p, path, "a condition ({\"field\",\"op\",\"value\"}) or a group "
                   "({\"and\": [...]} or {\"or\": [...]}) is needed");
    if (and == NULL && or == NULL)
        return parse_condition(jp, v, path, out);
    if ((and && or) || json_object_size(v) != 1)
        return bad(p, path, "a group has exactly one key, \"and\" or \"or\"");
    if (depth > ARCA_SEARCH_MAX_DEPTH)
        return bad(p, path, apr_psprintf(p, "AND/OR groups nest deeper than %d",
                                         ARCA_SEARCH_MAX_DEPTH));
    list = and ? and : or;
    path = apr_pstrcat(p, path, *path ? "." : "", and ? "and" : "or", NULL);
    if (!json_is_array(list))
        return bad(p, path, "an array of conditions is needed");
    g = apr_pcalloc(p, sizeof *g);
    g->is_group = 1;
    g->is_or = or != NULL;
    g->where = path;
    g->children = apr_array_make(p, (int)json_array_size(list) + 1,
                                 sizeof(arca_search_node_t *));
    json_array_foreach(list, i, item) {
        arca_search_node_t *c;
        arca_error_t *err = parse_node(jp, item, apr_psprintf(p, "%s[%" APR_SIZE_T_FMT "]", path, i),
                                       depth + 1, &c);
        if (err)
            return err;
        APR_ARRAY_PUSH(g->children, arca_search_node_t *) = c;
    }
    *out = g;
    return ARCA_OK;
}

static apr_status_t free_json(void *v)
{
    json_decref(v);
    return APR_SUCCESS;
}

static arca_error_t *count_arg(apr_pool_t *p, json_t *v, const char *name, long max,
                               long *out)
{
    if (v == NULL)
        return ARCA_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return arca_error_create(p, 400, "%s: a whole number from 0 to %ld is needed", name,
                                 max);
    *out = (long)json_integer_value(v);
    return ARCA_OK;
}

arca_error_t *arca_search_parse_json(apr_pool_t *p, const char *doc, apr_size_t len,
                                     arca_search_t **out)
{
    static const char *const keys[] = {"root", "columns", "where", "sort", "limit", "offset",
                                       "brief_description", "description", "users", NULL};
    static const char *const sort_keys[] = {"field", "order", NULL};
    json_error_t jerr;
    json_t *top, *v, *item;
    arca_search_t *s;
    jparse_t jp = {p, 0};
    arca_error_t *err;
    size_t i;

    if (len > ARCA_SEARCH_MAX_DOCUMENT)
        return arca_error_create(p, 413, "the search document is larger than %d bytes",
                                 ARCA_SEARCH_MAX_DOCUMENT);
    top = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
    if (top == NULL)
        return arca_error_create(p, 400, "the search is not JSON: line %d, column %d: %s",
                                 jerr.line, jerr.column, arca_search_quote(p, jerr.text));
    apr_pool_cleanup_register(p, top, free_json, apr_pool_cleanup_null);
    if (!json_is_object(top))
        return arca_error_create(p, 400, "the search must be a JSON object");
    if ((err = known_keys(p, top, "", keys)))
        return err;
    s = apr_pcalloc(p, sizeof *s);
    s->columns = apr_array_make(p, 8, sizeof(arca_search_column_t));
    s->users = apr_array_make(p, 1, sizeof(const char *));
    s->limit = -1;
    if (!json_is_string(v = json_object_get(top, "root")) || json_string_length(v) == 0)
        return bad(p, "root", "the type of row returned is needed (\"xnat:subjectData\"...)");
    s->root = arca_search_element_name(json_string_value(v));
    if ((v = json_object_get(top, "brief_description")) && json_is_string(v))
        s->brief_description = json_string_value(v);
    if ((v = json_object_get(top, "description")) && json_is_string(v))
        s->description = json_string_value(v);
    /* a stored search's allowed users (XNAT's allowed_user): with none and no project,
     * every user sees it, so a private one names its owner */
    if ((v = json_object_get(top, "users"))) {
        if (!json_is_array(v) || json_array_size(v) > ARCA_SEARCH_MAX_USERS)
            return bad(p, "users", apr_psprintf(p, "an array of at most %d logins is needed",
                                                ARCA_SEARCH_MAX_USERS));
        json_array_foreach(v, i, item) {
            if (!json_is_string(item) || json_string_length(item) == 0
                || json_string_length(item) > 255)
                return bad(p, apr_psprintf(p, "users[%" APR_SIZE_T_FMT "]", i),
                           "a login (a non-empty string) is needed");
            APR_ARRAY_PUSH(s->users, const char *) = json_string_value(item);
        }
    }
    if ((v = json_object_get(top, "columns"))) {
        if (!json_is_array(v))
            return bad(p, "columns", "an array of \"{type}/{field}\" strings is needed");
        if (json_array_size(v) > ARCA_SEARCH_MAX_COLUMNS)
            return bad(p, "columns", apr_psprintf(p, "more than %d columns",
                                                  ARCA_SEARCH_MAX_COLUMNS));
        json_array_foreach(v, i, item) {
            arca_search_column_t col;
            if (!json_is_string(item) || !arca_search_split_path(p, json_string_value(item),
                                                                 &col))
                return bad(p, apr_psprintf(p, "columns[%" APR_SIZE_T_FMT "]", i),
                           "a string {type}/{field} is needed");
            APR_ARRAY_PUSH(s->columns, arca_search_column_t) = col;
        }
    }
    if ((v = json_object_get(top, "where")) && (err = parse_node(&jp, v, "where", 1,
                                                                 &s->where)))
        return err;
    if (s->where && !s->where->is_group) { /* one condition: a group of one */
        arca_search_node_t *g = apr_pcalloc(p, sizeof *g);
        g->is_group = 1;
        g->where = "where";
        g->children = apr_array_make(p, 1, sizeof(arca_search_node_t *));
        APR_ARRAY_PUSH(g->children, arca_search_node_t *) = s->where;
        s->where = g;
    }
    if ((v = json_object_get(top, "sort"))) {
        json_t *f = json_object_get(v, "field"), *o = json_object_get(v, "order");
        if (!json_is_object(v))
            return bad(p, "sort", "{\"field\": ..., \"order\": \"asc\"|\"desc\"} is needed");
        if ((err = known_keys(p, v, "sort", sort_keys)))
            return err;
        if (!json_is_string(f) || !arca_search_split_path(p, json_string_value(f), &s->sort))
            return bad(p, "sort.field", "a string {type}/{field} is needed");
        if (o && (!json_is_string(o) || (strcasecmp(json_string_value(o), "asc") != 0
                                         && strcasecmp(json_string_value(o), "desc") != 0)))
            return bad(p, "sort.order", "use \"asc\" or \"desc\"");
        s->sort_desc = o && strcasecmp(json_string_value(o), "desc") == 0;
    }
    if ((err = count_arg(p, json_object_get(top, "limit"), "limit", 1000000, &s->limit))
        || (err = count_arg(p, json_object_get(top, "offset"), "offset", 1000000000,
                            &s->offset)))
        return err;
    if ((err = arca_search_check_limits(p, s)))
        return err;
    *out = s;
    return ARCA_OK;
}
