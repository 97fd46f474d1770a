/* The search compiler: a parsed search (search.h) to one SELECT with $n parameters.
 *
 * Every fragment of SQL text comes from this file or from the field tables of
 * model_fields.c; what the client sent reaches the query only as parameters (values,
 * custom variable names, type names). The query has one row per row of the root type:
 *
 *   SELECT cols FROM root o [JOIN label l ...] [CROSS JOIN LATERAL (keys of o) k]
 *   WHERE type filter AND access AND criteria ORDER BY ... [LIMIT/OFFSET]
 *
 * Criteria on the root type are expressions over o. Criteria on another type (a subject
 * search by session scanner) become `o.key IN (SELECT ... FROM other o WHERE ...)`, one
 * semi-join per type and AND/OR group, so "scanner = A AND date > D" inside one group
 * means the same session. A root row's single related rows (a session's subject, a scan's
 * session and subject) are joined instead, once each:
 *
 *   LEFT JOIN LATERAL (SELECT expr AS c1, cond AS c2 ... FROM subject o ... WHERE
 *                      o.id = k.subject_id AND access) js ON true
 *
 * with the columns and criteria over them reading js.c1, js.c2 (the field tables' alias o
 * stays the related row inside; PostgreSQL flattens the lateral into a plain join). Their
 * custom variables go through the side tables by the joined row's key. Columns of other
 * types are correlated subqueries through the keys k (one value, or the distinct values
 * joined by ", " when there are many). Rows of every type involved are filtered by what
 * the user may read (authz.c's subquery), joined rows inside their lateral.
 *
 * Custom variables compare as the type their projects declare (text when projects
 * disagree), through side tables of typed values (sql/0009_search.sql) that index them. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "access/authz.h"
#include "search/search.h"

typedef struct {
    apr_pool_t *p;
    const arca_search_ctx_t *ctx;
    arca_kind_t root;
    apr_array_header_t *params;
    const char *account_ph;
    int uses_keys;
    /* the root's single related rows (a session's subject; a scan's session and subject):
     * one LEFT JOIN LATERAL each, whose select list collects what columns and criteria
     * read of that row (by kind; NULL: not joined) */
    apr_array_header_t *joined[ARCA_KIND_COUNT];
    /* criteria of the top AND group over such a row: they go into its join, which becomes
     * an inner join (PostgreSQL then sees them as plain conditions, with their indexes and
     * statistics, rather than as a boolean computed by an outer join) */
    const char *join_where[ARCA_KIND_COUNT];
    /* custom variables such a row shows (their names' placeholders): each a LEFT JOIN of
     * its side table inside the row's join, cv1, cv2... */
    apr_array_header_t *shown[ARCA_KIND_COUNT];
} cc_t;

static const char *param(cc_t *cc, const char *value)
{
    APR_ARRAY_PUSH(cc->params, const char *) = value;
    return apr_psprintf(cc->p, "$%d", cc->params->nelts);
}

int arca_search_element_kind(const char *element, arca_kind_t *kind)
{
    size_t n = element ? strlen(element) : 0;

    if (!arca_valid_xsi_type(element))
        return 0;
    if (strcmp(element, "xnat:projectData") == 0)
        *kind = ARCA_KIND_PROJECT;
    else if (strcmp(element, "xnat:subjectData") == 0)
        *kind = ARCA_KIND_SUBJECT;
    else if (n > 8 && strcmp(element + n - 8, "ScanData") == 0)
        *kind = ARCA_KIND_SCAN;
    else if (n > 4 && strcmp(element + n - 4, "Data") == 0)
        *kind = ARCA_KIND_EXPERIMENT;
    else
        return 0;
    return 1;
}

/* The rows of a kind, with the aliases the field tables' read_sql expect. */
static const char *from_of(arca_kind_t kind)
{
    switch (kind) {
    case ARCA_KIND_PROJECT: return "arca_project o";
    case ARCA_KIND_SUBJECT:
        return "arca_subject o JOIN arca_subject_label l ON l.subject_id = o.id "
               "AND l.is_primary";
    case ARCA_KIND_EXPERIMENT:
        return "arca_experiment o JOIN arca_experiment_label l ON l.experiment_id = o.id "
               "AND l.is_primary LEFT JOIN arca_subject_label sl ON sl.subject_id = "
               "o.subject_id AND sl.is_primary";
    default: return "arca_scan o";
    }
}

/* Does `sql` read the alias `a` ("l" in "l.label", not in "sl.label")? */
static int reads(const char *sql, const char *a)
{
    size_t n = strlen(a);

    for (const char *at = strstr(sql, a); at; at = strstr(at + 1, a))
        if (at[n] == '.' && (at == sql || !(isalnum((unsigned char)at[-1]) || at[-1] == '_')))
            return 1;
    return 0;
}

/* from_of(), without the label joins `sql` does not read (a subquery over subjects by
 * custom variable need not visit their labels; a session's subject label is joined only
 * when something shows it). */
static const char *from_for(arca_kind_t kind, const char *sql)
{
    switch (kind) {
    case ARCA_KIND_SUBJECT:
        return reads(sql, "l") ? from_of(kind) : "arca_subject o";
    case ARCA_KIND_EXPERIMENT:
        if (reads(sql, "sl"))
            return reads(sql, "l") ? from_of(kind)
                                   : "arca_experiment o LEFT JOIN arca_subject_label sl ON "
                                     "sl.subject_id = o.subject_id AND sl.is_primary";
        return reads(sql, "l") ? "arca_experiment o JOIN arca_experiment_label l ON "
                                 "l.experiment_id = o.id AND l.is_primary"
                               : "arca_experiment o";
    default: return from_of(kind);
    }
}

/* Which rows of a kind an element names: NULL for all of them. */
static const char *type_filter(cc_t *cc, arca_kind_t kind, const char *element)
{
    if (kind == ARCA_KIND_EXPERIMENT) {
        if (!strcmp(element, "xnat:experimentData") || !strcmp(element, "xnat:subjectAssessorData"))
            return NULL;
        if (!strcmp(element, "xnat:imageSessionData"))
            return "o.xsi_type LIKE '%SessionData'";
        if (!strcmp(element, "xnat:imageAssessorData"))
            return "o.session_id IS NOT NULL";
        return apr_pstrcat(cc->p, "o.xsi_type = ", param(cc, element), NULL);
    }
    if (kind == ARCA_KIND_SCAN && strcmp(element, "xnat:imageScanData") != 0)
        return apr_pstrcat(cc->p, "o.xsi_type = ", param(cc, element), NULL);
    return NULL;
}

/* Rows of a kind the user may read (NULL: all of them). */
static const char *access_of(cc_t *cc, arca_kind_t kind)
{
    const char *readable;

    if (cc->ctx->sees_all)
        return NULL;
    if (cc->account_ph == NULL)
        cc->account_ph = param(cc, cc->ctx->account_id);
    readable = arca_readable_projects_sql(cc->p, cc->account_ph);
    switch (kind) {
    case ARCA_KIND_PROJECT:
        return apr_pstrcat(cc->p, "o.id IN (", readable, ")", NULL);
    case ARCA_KIND_SUBJECT:
        return apr_pstrcat(cc->p, "EXISTS (SELECT 1 FROM arca_subject_label x WHERE "
                           "x.subject_id = o.id AND x.project IN (", readable, "))", NULL);
    case ARCA_KIND_EXPERIMENT:
        return apr_pstrcat(cc->p, "EXISTS (SELECT 1 FROM arca_experiment_label x WHERE "
                           "x.experiment_id = o.id AND x.project IN (", readable, "))", NULL);
    default:
        return apr_pstrcat(cc->p, "EXISTS (SELECT 1 FROM arca_experiment_label x WHERE "
                           "x.experiment_id = o.experiment_id AND x.project IN (", readable,
                           "))", NULL);
    }
}

static const char *and_all(apr_pool_t *p, const char *const *parts, int n)
{
    const char *out = NULL;

    for (int i = 0; i < n; i++)
        if (parts[i])
            out = out ? apr_pstrcat(p, out, " AND ", parts[i], NULL) : parts[i];
    return out ? out : "true";
}

/* ---- fields -------------------------------------------------------------------------------- */

typedef struct {
    const char *text;   /* the value as text (columns, LIKE) */
    const char *typed;  /* the value as its type (comparisons, order) */
    arca_type_t type;
    const char *custom_ph; /* custom variables: the parameter holding the name */
    const char *custom;    /* and the name */
    const char *name;   /* as the client wrote it, for messages */
} fexpr_t;

static arca_type_t custom_type(cc_t *cc, arca_kind_t kind, const char *name)
{
    void *t = cc->ctx->types ? apr_hash_get((apr_hash_t *)cc->ctx->types,
                                            apr_pstrcat(cc->p, arca_kind_name(kind), "/", name,
                                                        NULL), APR_HASH_KEY_STRING)
                             : NULL;

    return t ? (arca_type_t)((intptr_t)t - 1) : ARCA_TYPE_TEXT;
}

static arca_error_t *field_expr(cc_t *cc, arca_kind_t kind, const arca_search_column_t *col,
                                const char *where, fexpr_t *out)
{
    arca_field_ref_t ref;

    out->name = apr_pstrcat(cc->p, col->element, "/", col->field, NULL);
    if (!arca_field_resolve_search(cc->p, kind, col->element, col->field, &ref))
        return arca_error_create(cc->p, 400, "%s: unknown field '%s'", where,
                                 arca_search_quote(cc->p, out->name));
    if (ref.custom) {
        const char *ph = param(cc, ref.custom), *raw = apr_pstrcat(cc->p, "(o.fields ->> ", ph,
                                                                   ")", NULL);
        out->custom_ph = ph;
        out->custom = ref.custom;
        out->text = apr_pstrcat(cc->p, "coalesce(o.fields ->> ", ph, ", '')", NULL);
        out->type = custom_type(cc, kind, ref.custom);
        switch (out->type) {
        case ARCA_TYPE_INTEGER:
        case ARCA_TYPE_FLOAT: out->typed = apr_pstrcat(cc->p, "arca_num", raw, NULL); break;
        case ARCA_TYPE_DATE: out->typed = apr_pstrcat(cc->p, "arca_date_text", raw, NULL); break;
        case ARCA_TYPE_BOOLEAN: out->typed = apr_pstrcat(cc->p, "arca_bool", raw, NULL); break;
        default: out->typed = raw; break;
        }
        return ARCA_OK;
    }
    out->custom_ph = NULL;
    out->custom = NULL;
    if (ref.add_param) { /* a scan's parameters/addParam[name=..]: text */
        out->typed = apr_pstrcat(cc->p, "(o.add_params ->> ", param(cc, ref.add_param), ")",
                                 NULL);
        out->text = apr_pstrcat(cc->p, "coalesce(", out->typed, ", '')", NULL);
        out->type = ARCA_TYPE_TEXT;
        return ARCA_OK;
    }
    out->text = ref.field->read_sql;
    out->type = ref.field->type;
    if (out->type != ARCA_TYPE_TEXT && ref.field->column)
        out->typed = apr_pstrcat(cc->p, "o.", ref.field->column, NULL);
    else if (out->type == ARCA_TYPE_INTEGER) /* a count: compare it as a number */
        out->typed = apr_pstrcat(cc->p, "nullif(", ref.field->read_sql, ", '')::bigint", NULL);
    else {
        out->type = ARCA_TYPE_TEXT; /* typed but computed: compare its text */
        out->typed = ref.field->read_sql;
    }
    return ARCA_OK;
}

/* {"a","b\"c"}: a PostgreSQL array literal (sent as a parameter, never as SQL). */
static const char *array_literal(apr_pool_t *p, const apr_array_header_t *values)
{
    apr_size_t n = 3;
    char *out, *o;

    for (int i = 0; i < values->nelts; i++)
        n += 2 * strlen(APR_ARRAY_IDX(values, i, const char *)) + 3;
    o = out = apr_palloc(p, n);
    *o++ = '{';
    for (int i = 0; i < values->nelts; i++) {
        if (i)
            *o++ = ',';
        *o++ = '"';
        for (const char *c = APR_ARRAY_IDX(values, i, const char *); *c; c++) {
            if (*c == '"' || *c == '\\')
                *o++ = '\\';
            *o++ = *c;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return out;
}

/* The SQL type a typed comparison casts its parameter to ("" for text). */
static const char *cast_of(const fexpr_t *f)
{
    switch (f->type) {
    case ARCA_TYPE_INTEGER: return f->custom_ph ? "::float8" : "::bigint";
    case ARCA_TYPE_FLOAT: return "::float8";
    case ARCA_TYPE_BOOLEAN: return "::boolean";
    case ARCA_TYPE_DATE: return f->custom_ph ? "" : "::date";
    case ARCA_TYPE_TIME: return "::time";
    default: return "";
    }
}

static arca_error_t *check_value(cc_t *cc, const fexpr_t *f, const char *where,
                                 const char *value)
{
    if (f->type == ARCA_TYPE_TEXT)
        return ARCA_OK;
    if (*value == '\0' || arca_value_check(cc->p, f->name, f->type, value))
        return arca_error_create(cc->p, 400, "%s: '%s' is not a valid %s for %s%s", where,
                                 arca_search_quote(cc->p, value), arca_type_name(f->type),
                                 arca_search_quote(cc->p, f->name),
                                 f->type == ARCA_TYPE_DATE ? " (use YYYY-MM-DD)" : "");
    return ARCA_OK;
}

/* A date as XNAT also takes it, MM/DD/YYYY (xnatpy writes date values so), as YYYY-MM-DD;
 * any other value as it is (check_value judges it). */
static const char *typed_value(apr_pool_t *p, const fexpr_t *f, const char *value)
{
    const char *v = value;

    if (f->type != ARCA_TYPE_DATE || strlen(v) != 10 || v[2] != '/' || v[5] != '/')
        return value;
    for (int i = 0; i < 10; i++)
        if (i != 2 && i != 5 && !isdigit((unsigned char)v[i]))
            return value;
    return apr_psprintf(p, "%.4s-%.2s-%.2s", v + 6, v, v + 3);
}

/* A LIKE value as XNAT reads it: '*' is a wildcard like '%' ("MR*" is "MR%"); '%' and '_'
 * stay wildcards, and a backslash still makes the next character literal ("\*" is '*'). */
static const char *like_pattern(apr_pool_t *p, const char *value)
{
    char *out = apr_pstrdup(p, value);

    for (char *c = out; *c; c++) {
        if (*c == '\\' && c[1])
            c++;
        else if (*c == '*')
            *c = '%';
    }
    return out;
}

/* Custom variables of subjects, experiments and scans have an indexed side table. */
static const char *side_table(arca_kind_t kind, const char **fk, const char **key)
{
    switch (kind) {
    case ARCA_KIND_SUBJECT: *fk = "subject_id"; *key = "o.id"; return "arca_subject_value";
    case ARCA_KIND_EXPERIMENT:
        *fk = "experiment_id"; *key = "o.id"; return "arca_experiment_value";
    case ARCA_KIND_SCAN: *fk = "scan_pk"; *key = "o.pk"; return "arca_scan_value";
    default: return NULL;
    }
}

/* The 1-based position of `text` in *list, where it is added the first time (the list is
 * made on first use): the numbers of a join's columns and value tables. */
static int number_of(apr_pool_t *p, apr_array_header_t **list, const char *text)
{
    if (*list == NULL)
        *list = apr_array_make(p, 4, sizeof(const char *));
    for (int i = 0; i < (*list)->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(*list, i, const char *), text) == 0)
            return i + 1;
    APR_ARRAY_PUSH(*list, const char *) = text;
    return (*list)->nelts;
}

/* A joined related row's custom variable, as `coalesce(o.fields ->> name, '')` reads it,
 * from a join of its side table, whose primary key carries the value (0011): a session's
 * subject shown in a search then costs index pages only. A join, not a subquery: a
 * correlated subquery would keep the join out of PostgreSQL's parallel workers. */
static const char *shown_value(cc_t *cc, arca_kind_t kind, const char *name_ph)
{
    return apr_psprintf(cc->p, "coalesce(cv%d.txt, '')",
                        number_of(cc->p, &cc->shown[kind], name_ph));
}

/* " LEFT JOIN side table cvN ON ..." for each variable shown_value() gave out. */
static const char *shown_joins(cc_t *cc, arca_kind_t kind)
{
    const apr_array_header_t *names = cc->shown[kind];
    const char *fk, *key, *table = side_table(kind, &fk, &key), *out = "";

    for (int i = 0; names && i < names->nelts; i++)
        out = apr_psprintf(cc->p, "%s LEFT JOIN %s cv%d ON cv%d.%s = %s AND cv%d.name = %s", out,
                           table, i + 1, i + 1, fk, key, i + 1,
                           APR_ARRAY_IDX(names, i, const char *));
    return out;
}

static const char *const op_sql[] = {
    [ARCA_OP_EQ] = " = ", [ARCA_OP_NE] = " <> ", [ARCA_OP_LT] = " < ", [ARCA_OP_LE] = " <= ",
    [ARCA_OP_GT] = " > ", [ARCA_OP_GE] = " >= ",
};

/* A condition on a custom variable's side table: `key IN (SELECT v.fk FROM table v WHERE
 * v.name = name_ph AND cond)`. Conditions of one group on the same variable share one such
 * subquery (each object has one row per variable, so AND and OR both combine inside it):
 * "CTDIvol >= 12 AND CTDIvol < 13" is one index range. */
typedef struct {
    const char *table, *fk, *key, *name, *name_ph, *cond;
    const char *element; /* a joined related row's: its element, for the type filter */
} side_t;

static const char *side_sql(apr_pool_t *p, const side_t *s)
{
    return apr_pstrcat(p, s->key, " IN (SELECT v.", s->fk, " FROM ", s->table, " v WHERE "
                       "v.name = ", s->name_ph, " AND (", s->cond, "))", NULL);
}

static arca_error_t *condition_sql(cc_t *cc, arca_kind_t kind, const arca_search_node_t *n,
                                   const char **out, side_t *side_out)
{
    apr_pool_t *p = cc->p;
    fexpr_t f;
    const char *fk = NULL, *key = NULL, *table, *v, *side = NULL;
    arca_error_t *err;

    if ((err = field_expr(cc, kind, &n->column, n->where, &f)))
        return err;
    table = f.custom_ph ? side_table(kind, &fk, &key) : NULL;
    switch (n->op) {
    case ARCA_OP_IS_NULL:
    case ARCA_OP_IS_NOT_NULL:
        *out = f.type == ARCA_TYPE_TEXT || f.custom_ph
                   ? apr_pstrcat(p, "coalesce((", f.text, ")::text, '') ",
                                 n->op == ARCA_OP_IS_NULL ? "=" : "<>", " ''", NULL)
                   : apr_pstrcat(p, f.typed, n->op == ARCA_OP_IS_NULL ? " IS NULL"
                                                                     : " IS NOT NULL", NULL);
        return ARCA_OK;
    case ARCA_OP_LIKE:
    case ARCA_OP_NOT_LIKE:
        v = param(cc, like_pattern(p, n->value));
        if (table && n->op == ARCA_OP_LIKE)
            side = apr_pstrcat(p, "v.txt ILIKE ", v, NULL);
        else
            *out = apr_pstrcat(p, n->op == ARCA_OP_LIKE ? "" : "NOT ", "(", f.text,
                               ")::text ILIKE ", v, NULL);
        break;
    case ARCA_OP_IN:
    case ARCA_OP_NOT_IN: {
        const char *cast = cast_of(&f);
        apr_array_header_t *values = apr_array_make(p, n->values->nelts, sizeof(const char *));
        for (int i = 0; i < n->values->nelts; i++) {
            const char *one = typed_value(p, &f, APR_ARRAY_IDX(n->values, i, const char *));
            if ((err = check_value(cc, &f, n->where, one)))
                return err;
            APR_ARRAY_PUSH(values, const char *) = one;
        }
        if (n->values->nelts == 0)
            return arca_error_create(p, 400, "%s: IN needs at least one value", n->where);
        v = param(cc, array_literal(p, values));
        if (table && n->op == ARCA_OP_IN && f.type == ARCA_TYPE_TEXT)
            side = apr_pstrcat(p, "v.txt = ANY(", v, "::text[])", NULL);
        else
            *out = apr_pstrcat(p, n->op == ARCA_OP_IN ? "" : "NOT coalesce(", f.typed,
                               " = ANY(", v, *cast ? cast : "::text", "[])",
                               n->op == ARCA_OP_IN ? "" : ", false)", NULL);
        break;
    }
    default: {
        const char *cast = cast_of(&f), *value = typed_value(p, &f, n->value);
        if ((err = check_value(cc, &f, n->where, value)))
            return err;
        v = param(cc, value);
        if (table && n->op != ARCA_OP_NE) {
            if (f.type == ARCA_TYPE_INTEGER || f.type == ARCA_TYPE_FLOAT)
                side = apr_pstrcat(p, "v.num", op_sql[n->op], v, "::float8", NULL);
            else if (f.type == ARCA_TYPE_DATE)
                side = apr_pstrcat(p, "v.txt", op_sql[n->op], v,
                                   " AND arca_date_text(v.txt) IS NOT NULL", NULL);
            else if (f.type == ARCA_TYPE_BOOLEAN)
                side = apr_pstrcat(p, "arca_bool(v.txt)", op_sql[n->op], v, "::boolean", NULL);
            else
                side = apr_pstrcat(p, "v.txt", op_sql[n->op], v, NULL);
        } else {
            *out = apr_pstrcat(p, f.typed, op_sql[n->op], v, cast, NULL);
        }
        break;
    }
    }
    if (side) {
        /* each condition names the variable again, so that every parameter is used */
        side_t st = {table, fk, key, f.custom, f.custom_ph,
                     apr_pstrcat(p, "v.name = ", f.custom_ph, " AND ", side, NULL)};
        if (side_out)
            *side_out = st;
        else
            *out = side_sql(p, &st);
    }
    return ARCA_OK;
}

/* ---- other types ------------------------------------------------------------------------- */

static const char *related_rows(cc_t *cc, arca_kind_t kind, const char *element,
                                const char *cond)
{
    const char *parts[] = {cond, type_filter(cc, kind, element), access_of(cc, kind)};

    return and_all(cc->p, parts, 3);
}

/* Outer rows (kind `outer`, alias o) related to inner rows of `inner` meeting `where`. */
static const char *related_in(cc_t *cc, arca_kind_t outer, arca_kind_t inner,
                              const char *where)
{
    apr_pool_t *p = cc->p;
    const char *in = apr_pstrcat(p, " FROM ", from_for(inner, where), " WHERE ", where, ")",
                                 NULL);
    static const char scan_exp[] = " FROM arca_scan o JOIN arca_experiment e ON e.id = "
                                   "o.experiment_id WHERE ";

    switch (outer) {
    case ARCA_KIND_SUBJECT:
        if (inner == ARCA_KIND_EXPERIMENT)
            return apr_pstrcat(p, "o.id IN (SELECT o.subject_id", in, NULL);
        if (inner == ARCA_KIND_SCAN)
            return apr_pstrcat(p, "o.id IN (SELECT e.subject_id", scan_exp, where, ")", NULL);
        return apr_pstrcat(p, "o.project IN (SELECT o.id", in, NULL);
    case ARCA_KIND_EXPERIMENT:
        if (inner == ARCA_KIND_SUBJECT)
            return apr_pstrcat(p, "o.subject_id IN (SELECT o.id", in, NULL);
        if (inner == ARCA_KIND_SCAN)
            return apr_pstrcat(p, "o.id IN (SELECT o.experiment_id", in, NULL);
        return apr_pstrcat(p, "o.project IN (SELECT o.id", in, NULL);
    case ARCA_KIND_SCAN:
        if (inner == ARCA_KIND_EXPERIMENT)
            return apr_pstrcat(p, "o.experiment_id IN (SELECT o.id", in, NULL);
        return apr_pstrcat(p, "o.experiment_id IN (SELECT e.id FROM arca_experiment e WHERE e.",
                           inner == ARCA_KIND_SUBJECT ? "subject_id" : "project",
                           " IN (SELECT o.id", in, ")", NULL);
    default:
        if (inner == ARCA_KIND_SCAN)
            return apr_pstrcat(p, "o.id IN (SELECT e.project", scan_exp, where, ")", NULL);
        return apr_pstrcat(p, "o.id IN (SELECT o.project", in, NULL);
    }
}

/* How inner rows correlate with the root row's keys k; *many when there may be several. */
static const char *correlation(arca_kind_t root, arca_kind_t inner, int *many)
{
    *many = 0;
    switch (root) {
    case ARCA_KIND_SUBJECT:
        *many = inner != ARCA_KIND_PROJECT;
        if (inner == ARCA_KIND_EXPERIMENT)
            return "o.subject_id = k.id";
        if (inner == ARCA_KIND_SCAN)
            return "o.experiment_id IN (SELECT id FROM arca_experiment WHERE subject_id = k.id)";
        return "o.id = k.project";
    case ARCA_KIND_EXPERIMENT:
        if (inner == ARCA_KIND_SCAN)
            return (*many = 1), "o.experiment_id = k.id";
        return inner == ARCA_KIND_SUBJECT ? "o.id = k.subject_id" : "o.id = k.project";
    case ARCA_KIND_SCAN:
        if (inner == ARCA_KIND_EXPERIMENT)
            return "o.id = k.experiment_id";
        return inner == ARCA_KIND_SUBJECT
                   ? "o.id = (SELECT subject_id FROM arca_experiment WHERE id = k.experiment_id)"
                   : "o.id = (SELECT project FROM arca_experiment WHERE id = k.experiment_id)";
    default:
        *many = 1;
        if (inner == ARCA_KIND_SCAN)
            return "o.experiment_id IN (SELECT id FROM arca_experiment WHERE project = k.id)";
        return "o.project = k.id";
    }
}

static const char *keys_of(arca_kind_t kind)
{
    switch (kind) {
    case ARCA_KIND_PROJECT: return "SELECT o.id";
    case ARCA_KIND_SUBJECT: return "SELECT o.id, o.project";
    case ARCA_KIND_EXPERIMENT: return "SELECT o.id, o.subject_id, o.project";
    default: return "SELECT o.pk, o.experiment_id";
    }
}

/* ---- single related rows: joins -------------------------------------------------------- */

/* Is `kind` a single row of each root row (joined), rather than many or a project? Projects
 * stay semi-joins: a project criterion narrows the root rows by their project column. */
static int joins(arca_kind_t root, arca_kind_t kind)
{
    return (root == ARCA_KIND_EXPERIMENT && kind == ARCA_KIND_SUBJECT)
           || (root == ARCA_KIND_SCAN
               && (kind == ARCA_KIND_EXPERIMENT || kind == ARCA_KIND_SUBJECT));
}

static const char *join_alias(arca_kind_t kind)
{
    return kind == ARCA_KIND_SUBJECT ? "js" : "je";
}

/* `expr` (over the related row as o) in the join of `kind`; returns "js.cN". */
static const char *join_col(cc_t *cc, arca_kind_t kind, const char *expr)
{
    cc->uses_keys = 1;
    return apr_psprintf(cc->p, "%s.c%d", join_alias(kind),
                        number_of(cc->p, &cc->joined[kind], expr));
}

/* The key of the joined row (what its side table of custom values refers to). */
static const char *join_key(cc_t *cc, arca_kind_t kind)
{
    return join_col(cc, kind, "o.id");
}

/* " LEFT JOIN LATERAL (SELECT ... FROM kind o WHERE o.id = <the root's reference> AND
 * access) jX ON true". A row the user may not read is not joined: its columns are empty
 * and criteria over it false, as they were as subqueries. */
static const char *join_sql(cc_t *cc, arca_kind_t kind)
{
    apr_pool_t *p = cc->p;
    const apr_array_header_t *exprs = cc->joined[kind];
    const char *select = NULL, *all = "", *from, *corr, *parts[3];

    for (int i = 0; exprs && i < exprs->nelts; i++) {
        const char *e = APR_ARRAY_IDX(exprs, i, const char *);
        select = apr_psprintf(p, "%s%s%s AS c%d", select ? select : "", select ? ", " : "", e,
                              i + 1);
        all = apr_pstrcat(p, all, " ", e, NULL);
    }
    if (cc->root == ARCA_KIND_EXPERIMENT)
        corr = "o.id = k.subject_id";
    else if (kind == ARCA_KIND_EXPERIMENT)
        corr = "o.id = k.experiment_id";
    else /* a scan's subject, through its session */
        corr = "jx.id = k.experiment_id AND o.id = jx.subject_id";
    parts[0] = corr;
    parts[1] = cc->join_where[kind];
    /* a scan is readable exactly when its session is: the root's filter is the session's */
    parts[2] = cc->root == ARCA_KIND_SCAN && kind == ARCA_KIND_EXPERIMENT ? NULL
                                                                        : access_of(cc, kind);
    if (cc->join_where[kind])
        all = apr_pstrcat(p, all, " ", cc->join_where[kind], NULL);
    from = apr_pstrcat(p, from_for(kind, all), shown_joins(cc, kind), NULL);
    if (kind == ARCA_KIND_SUBJECT && cc->root == ARCA_KIND_SCAN)
        from = apr_pstrcat(p, from, ", arca_experiment jx", NULL);
    return apr_pstrcat(p, cc->join_where[kind] ? " JOIN" : " LEFT JOIN", " LATERAL (SELECT ",
                       select ? select : "o.id AS c0", " FROM ", from, " WHERE ",
                       and_all(p, parts, 3), ") ", join_alias(kind), " ON true", NULL);
}

/* ---- criteria ---------------------------------------------------------------------------- */

static arca_error_t *element_of(cc_t *cc, const arca_search_node_t *n, arca_kind_t *kind)
{
    if (!arca_search_element_kind(n->column.element, kind))
        return arca_error_create(cc->p, 400, "%s: unknown type '%s'", n->where,
                                 arca_search_quote(cc->p, n->column.element));
    return ARCA_OK;
}

/* `prev` and then `part`, parenthesised, joined by `glue`; `part` alone when `prev` is
 * NULL. */
static const char *glued(apr_pool_t *p, const char *prev, const char *glue, const char *part)
{
    return prev ? apr_pstrcat(p, prev, glue, "(", part, ")", NULL)
                : apr_pstrcat(p, "(", part, ")", NULL);
}

/* Adds `part` to the "a|b|c" list kept under `key` in `h` (joined by `glue`), keeping
 * first-seen order in `order`. */
static void gather(apr_pool_t *p, apr_hash_t *h, apr_array_header_t *order, const char *key,
                   const char *glue, const char *part)
{
    const char *prev = apr_hash_get(h, key, APR_HASH_KEY_STRING);

    if (prev == NULL)
        APR_ARRAY_PUSH(order, const char *) = key;
    apr_hash_set(h, key, APR_HASH_KEY_STRING, glued(p, prev, glue, part));
}

/* A condition over a custom variable's side table, gathered under `key` into `conds`; the
 * first such side_t under `key` (in `side_of`) describes the one subquery they share. */
static void gather_side(apr_pool_t *p, apr_hash_t *side_of, apr_hash_t *conds,
                        apr_array_header_t *order, const char *key, const char *glue,
                        const side_t *side)
{
    if (apr_hash_get(side_of, key, APR_HASH_KEY_STRING) == NULL)
        apr_hash_set(side_of, key, APR_HASH_KEY_STRING, apr_pmemdup(p, side, sizeof *side));
    gather(p, conds, order, key, glue, side->cond);
}

/* `top`: the search's top group, when it is an AND (its criteria over a joined row may go
 * into the join). */
static arca_error_t *group_sql(cc_t *cc, arca_kind_t kind, const arca_search_node_t *g,
                               int top, const char **out)
{
    apr_pool_t *p = cc->p;
    const char *glue = g->is_or ? " OR " : " AND ", *sql = NULL;
    /* conditions on other types, gathered per type: element -> conditions */
    apr_hash_t *others = apr_hash_make(p), *sides = apr_hash_make(p);
    apr_hash_t *side_of = apr_hash_make(p);
    apr_array_header_t *order = apr_array_make(p, 2, sizeof(const char *));
    apr_array_header_t *side_order = apr_array_make(p, 2, sizeof(const char *));
    arca_error_t *err;

    for (int i = 0; i < g->children->nelts; i++) {
        const arca_search_node_t *c = APR_ARRAY_IDX(g->children, i, arca_search_node_t *);
        const char *part = NULL;
        arca_kind_t ck;
        if (c->is_group) {
            if ((err = group_sql(cc, kind, c, 0, &part)))
                return err;
        } else {
            side_t side = {NULL};
            if ((err = element_of(cc, c, &ck)))
                return err;
            if (ck != kind) {
                /* a joined row's custom variable: its side table, by the joined row's key
                 * (which applies access); a session's subject, for a user who sees all,
                 * straight from o.subject_id, without visiting the subjects */
                int joined = joins(kind, ck);
                if ((err = condition_sql(cc, ck, c, &part, joined ? &side : NULL)))
                    return err;
                if (side.table) {
                    const char *key = apr_pstrcat(p, c->column.element, "/", side.name, NULL);
                    side.key = kind == ARCA_KIND_EXPERIMENT && cc->ctx->sees_all
                                   ? "o.subject_id" : join_key(cc, ck);
                    side.element = c->column.element;
                    gather_side(p, side_of, sides, side_order, key, glue, &side);
                    continue;
                }
                gather(p, others, order, c->column.element, glue, part);
                continue;
            }
            if ((err = condition_sql(cc, kind, c, &part, &side)))
                return err;
            if (side.table) { /* one subquery per custom variable */
                gather_side(p, side_of, sides, side_order, side.name, glue, &side);
                continue;
            }
        }
        sql = glued(p, sql, glue, part);
    }
    for (int i = 0; i < side_order->nelts; i++) {
        const char *name = APR_ARRAY_IDX(side_order, i, const char *), *part;
        side_t st = *(side_t *)apr_hash_get(side_of, name, APR_HASH_KEY_STRING);
        st.cond = apr_hash_get(sides, name, APR_HASH_KEY_STRING);
        part = side_sql(p, &st);
        if (st.element) { /* a joined row's: of the element's type */
            arca_kind_t ek;
            const char *tf;
            arca_search_element_kind(st.element, &ek);
            if ((tf = type_filter(cc, ek, st.element)))
                part = apr_pstrcat(p, join_col(cc, ek, tf), " AND ", part, NULL);
        }
        sql = glued(p, sql, glue, part);
    }
    for (int i = 0; i < order->nelts; i++) {
        const char *element = APR_ARRAY_IDX(order, i, const char *), *part;
        arca_kind_t ek;
        const char *cond = apr_pstrcat(p, "(", apr_hash_get(others, element,
                                                             APR_HASH_KEY_STRING), ")", NULL);
        arca_search_element_kind(element, &ek);
        if (joins(kind, ek)) {
            const char *tf = type_filter(cc, ek, element);
            if (tf)
                cond = apr_pstrcat(p, "(", cond, " AND ", tf, ")", NULL);
            if (top && !g->is_or) { /* into the join's WHERE */
                cc->join_where[ek] = cc->join_where[ek]
                                         ? apr_pstrcat(p, cc->join_where[ek], " AND ", cond, NULL)
                                         : cond;
                cc->uses_keys = 1;
                continue;
            }
            part = join_col(cc, ek, cond); /* a boolean */
        } else {
            part = related_in(cc, kind, ek, related_rows(cc, ek, element, cond));
        }
        sql = glued(p, sql, glue, part);
    }
    /* parenthesised whole: an OR group must never bind looser than the access filter
     * and type filter it is ANDed with */
    *out = sql ? apr_pstrcat(p, "(", sql, ")", NULL) : "true";
    return ARCA_OK;
}

/* ---- columns ----------------------------------------------------------------------------- */

static const char *lower_underscored(apr_pool_t *p, const char *s)
{
    char *out = apr_pstrdup(p, s);

    for (char *c = out; *c; c++)
        *c = *c == ':' ? '_' : (char)tolower((unsigned char)*c);
    return out;
}

/* A field named by its schema path ("xnat:mrSessionData/ID") as XNAT heads its column: by
 * the ID of the display field showing it ("SESSION_ID"); the path's field when none does. */
static const char *display_id(apr_pool_t *p, arca_kind_t kind, const arca_search_column_t *col)
{
    arca_field_ref_t ref;

    if (!arca_field_resolve_search(p, kind, col->element, col->field, &ref) || !ref.field)
        return col->field;
    for (const arca_display_field_t *d = arca_kind_display_fields(kind); d->id; d++)
        if (strcmp(d->alias, ref.field->alias) == 0)
            return d->id;
    return col->field;
}

/* XNAT's CSV headers: the field ID in lower case for the root type ("subject_label"),
 * "{type}_{field}" for others ("xnat_ctsessiondata_scanner"); pyxnat matches its columns
 * to these. Repeated headers get _2, _3. */
static const char *header_of(cc_t *cc, arca_kind_t kind, const arca_search_column_t *col,
                             apr_hash_t *seen)
{
    const char *id = col->schema_path ? display_id(cc->p, kind, col) : col->field;
    const char *h = kind == cc->root ? lower_underscored(cc->p, id)
                    : apr_pstrcat(cc->p, lower_underscored(cc->p, col->element), "_",
                                  lower_underscored(cc->p, id), NULL);
    const char *base = h;

    for (int n = 2; apr_hash_get(seen, h, APR_HASH_KEY_STRING); n++)
        h = apr_psprintf(cc->p, "%s_%d", base, n);
    apr_hash_set(seen, h, APR_HASH_KEY_STRING, "");
    return h;
}

static arca_error_t *column_sql(cc_t *cc, const arca_search_column_t *col, int i,
                                arca_kind_t *kind, const char **out)
{
    const char *where = apr_psprintf(cc->p, "search field %d", i + 1);
    const char *inner, *corr;
    fexpr_t f;
    int many;
    arca_error_t *err;

    if (!arca_search_element_kind(col->element, kind))
        return arca_error_create(cc->p, 400, "%s: unknown type '%s'", where,
                                 arca_search_quote(cc->p, col->element));
    if ((err = field_expr(cc, *kind, col, where, &f)))
        return err;
    if (*kind == cc->root) {
        *out = apr_pstrcat(cc->p, "(", f.text, ")::text", NULL);
        return ARCA_OK;
    }
    if (joins(cc->root, *kind)) {
        const char *tf = type_filter(cc, *kind, col->element), *text = f.text;
        if (f.custom_ph)
            text = shown_value(cc, *kind, f.custom_ph);
        *out = join_col(cc, *kind, tf ? apr_pstrcat(cc->p, "CASE WHEN ", tf, " THEN (", text,
                                                    ")::text END", NULL)
                                      : apr_pstrcat(cc->p, "(", text, ")::text", NULL));
        return ARCA_OK;
    }
    cc->uses_keys = 1;
    corr = correlation(cc->root, *kind, &many);
    inner = related_rows(cc, *kind, col->element, corr);
    *out = many ? apr_pstrcat(cc->p, "(SELECT string_agg(DISTINCT (", f.text, ")::text, ', ') "
                              "FROM ", from_for(*kind, f.text), " WHERE ", inner, ")", NULL)
                : apr_pstrcat(cc->p, "(SELECT (", f.text, ")::text FROM ",
                              from_for(*kind, f.text), " WHERE ", inner, " LIMIT 1)", NULL);
    return ARCA_OK;
}

/* A search without search fields answers these display fields of its root type, as XNAT
 * answers its listing display: lower-cased, they are the columns xnatpy builds each row's
 * URI from ("{project}/subjects/{subjectid}", ".../experiments/{session_id}", "{id}"). */
static const char *const default_fields[ARCA_KIND_SCAN + 1] = {
    [ARCA_KIND_PROJECT] = "ID,SECONDARY_ID,NAME,DESCRIPTION,PI",
    [ARCA_KIND_SUBJECT] = "SUBJECTID,PROJECT,SUBJECT_LABEL,GENDER_TEXT,HANDEDNESS_TEXT,YOB,"
                          "INSERT_DATE",
    [ARCA_KIND_EXPERIMENT] = "SESSION_ID,LABEL,SUBJECT_ID,SUBJECT_LABEL,PROJECT,DATE,XSI_TYPE,"
                             "INSERT_DATE",
    [ARCA_KIND_SCAN] = "ID,IMAGE_SESSION_ID,TYPE,SERIES_DESCRIPTION,QUALITY,XSI_TYPE",
};

static const char *natural_order(arca_kind_t kind)
{
    switch (kind) {
    case ARCA_KIND_PROJECT: return "o.id";
    case ARCA_KIND_SCAN: return "o.experiment_id, length(o.id), o.id";
    default: return "l.label, o.id";
    }
}

arca_error_t *arca_search_compile(apr_pool_t *p, const arca_search_t *s,
                                  const arca_search_ctx_t *ctx, arca_search_sql_t **out)
{
    cc_t cc = {p, ctx, ARCA_KIND_PROJECT, apr_array_make(p, 16, sizeof(const char *)),
               NULL, 0, {NULL}};
    apr_array_header_t *columns = s->columns;
    apr_hash_t *seen = apr_hash_make(p);
    arca_search_sql_t *q = apr_pcalloc(p, sizeof *q);
    const char *select = NULL, *where = "true", *order, *from;
    const char *parts[3];
    arca_error_t *err;

    if (!arca_search_element_kind(s->root, &cc.root))
        return arca_error_create(p, 400, "root_element_name: '%s' is not a searchable type "
                                 "(xnat:projectData, xnat:subjectData, a session, experiment "
                                 "or scan type)", arca_search_quote(p, s->root));
    if ((err = arca_search_check_limits(p, s)))
        return err;
    q->kind = cc.root;
    q->headers = apr_array_make(p, 8, sizeof(const char *));
    if (columns->nelts == 0) { /* XNAT's default display fields of the root type */
        char *list = apr_pstrdup(p, default_fields[cc.root]), *st = NULL, *t;
        columns = apr_array_make(p, 8, sizeof(arca_search_column_t));
        for (t = apr_strtok(list, ",", &st); t; t = apr_strtok(NULL, ",", &st))
            APR_ARRAY_PUSH(columns, arca_search_column_t) = (arca_search_column_t){s->root, t};
    }
    for (int i = 0; i < columns->nelts; i++) {
        const arca_search_column_t *col = &APR_ARRAY_IDX(columns, i, arca_search_column_t);
        const char *sql = NULL;
        arca_kind_t kind;
        if ((err = column_sql(&cc, col, i, &kind, &sql)))
            return err;
        select = select ? apr_pstrcat(p, select, ", ", sql, NULL) : sql;
        APR_ARRAY_PUSH(q->headers, const char *) = header_of(&cc, kind, col, seen);
    }
    if (s->where && (err = group_sql(&cc, cc.root, s->where, 1, &where)))
        return err;
    order = natural_order(cc.root);
    if (s->sort.element) {
        arca_kind_t kind;
        fexpr_t f;
        if (!arca_search_element_kind(s->sort.element, &kind) || kind != cc.root)
            return arca_error_create(p, 400, "sort: '%s/%s' is not a field of %s",
                                     arca_search_quote(p, s->sort.element),
                                     arca_search_quote(p, s->sort.field), s->root);
        if ((err = field_expr(&cc, kind, &s->sort, "sort", &f)))
            return err;
        order = apr_pstrcat(p, f.typed, s->sort_desc ? " DESC NULLS LAST, " : " NULLS LAST, ",
                            order, NULL);
    }
    parts[0] = type_filter(&cc, cc.root, s->root);
    parts[1] = access_of(&cc, cc.root);
    parts[2] = where;
    from = from_for(cc.root, apr_pstrcat(p, select, " ", where, " ", order, NULL));
    if (cc.uses_keys)
        from = apr_pstrcat(p, from, " CROSS JOIN LATERAL (", keys_of(cc.root), ") k", NULL);
    for (arca_kind_t k = ARCA_KIND_EXPERIMENT; k >= ARCA_KIND_SUBJECT; k--)
        if (cc.joined[k] || cc.join_where[k])
            from = apr_pstrcat(p, from, join_sql(&cc, k), NULL);
    q->sql = apr_pstrcat(p, "SELECT ", select, " FROM ", from, " WHERE ",
                         and_all(p, parts, 3), " ORDER BY ", order,
                         s->limit >= 0 ? apr_psprintf(p, " LIMIT %ld", s->limit) : "",
                         s->offset > 0 ? apr_psprintf(p, " OFFSET %ld", s->offset) : "", NULL);
    q->params = cc.params;
    *out = q;
    return ARCA_OK;
}
