/* Running searches: the custom variable types a search needs, the streaming of its rows,
 * and the lists of searchable types and fields clients ask for. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "access/authz.h"
#include "format/row_stream.h"
#include "search/search.h"

/* A search only reads, and may take this long (one round trip). */
#define SEARCH_TRANSACTION "BEGIN READ ONLY; SET LOCAL statement_timeout = 30000"

void arca_search_ctx_for(const arca_account_t *who, const arca_search_types_t *types,
                         arca_search_ctx_t *ctx)
{
    ctx->account_id = who ? who->id : NULL;
    ctx->sees_all = arca_sees_all(who);
    ctx->types = types;
}

static void note_custom(apr_pool_t *p, apr_array_header_t *names,
                        const arca_search_column_t *col)
{
    arca_kind_t kind;
    arca_field_ref_t ref;

    if (col->element && arca_search_element_kind(col->element, &kind)
        && arca_field_resolve_search(p, kind, col->element, col->field, &ref) && ref.custom)
        APR_ARRAY_PUSH(names, const char *) = ref.custom;
}

static void note_node(apr_pool_t *p, apr_array_header_t *names, const arca_search_node_t *n)
{
    if (!n->is_group) {
        note_custom(p, names, &n->column);
        return;
    }
    for (int i = 0; i < n->children->nelts; i++)
        note_node(p, names, APR_ARRAY_IDX(n->children, i, arca_search_node_t *));
}

static const char *text_array(apr_pool_t *p, const apr_array_header_t *names)
{
    const char *out = "{";

    /* names are [a-z][a-z0-9_]* (custom_field_name checks): no quoting needed */
    for (int i = 0; i < names->nelts; i++)
        out = apr_pstrcat(p, out, i ? "," : "", APR_ARRAY_IDX(names, i, const char *), NULL);
    return apr_pstrcat(p, out, "}", NULL);
}

arca_error_t *arca_search_load_types(arca_db_t *db, apr_pool_t *p, const arca_search_t *s,
                                     arca_search_types_t **out)
{
    apr_array_header_t *names = apr_array_make(p, 4, sizeof(const char *));
    apr_hash_t *types = apr_hash_make(p);
    PGresult *res;
    arca_error_t *err;

    *out = types;
    for (int i = 0; i < s->columns->nelts; i++)
        note_custom(p, names, &APR_ARRAY_IDX(s->columns, i, arca_search_column_t));
    if (s->where)
        note_node(p, names, s->where);
    if (s->sort.element)
        note_custom(p, names, &s->sort);
    if (names->nelts == 0)
        return ARCA_OK;
    err = arca_db_query(db, p, &res,
                        "SELECT level, name, min(type), count(DISTINCT type) FROM arca_field_def "
                        "WHERE name = ANY($1::text[]) GROUP BY level, name", 1,
                        (const char *const[]){text_array(p, names)});
    for (int r = 0; !err && r < PQntuples(res); r++) {
        int ok;
        arca_type_t t = arca_type_from_name(PQgetvalue(res, r, 2), &ok);
        if (!ok || strcmp(PQgetvalue(res, r, 3), "1") != 0)
            t = ARCA_TYPE_TEXT; /* projects disagree: compare as text */
        apr_hash_set(types, apr_pstrcat(p, PQgetvalue(res, r, 0), "/", PQgetvalue(res, r, 1),
                                        NULL), APR_HASH_KEY_STRING, (void *)(intptr_t)(t + 1));
    }
    return err;
}

/* ---- running ------------------------------------------------------------------------------ */

arca_error_t *arca_search_run(arca_db_t *db, apr_pool_t *p, const arca_search_sql_t *q,
                              arca_format_t fmt, arca_write_fn write, void *baton)
{
    arca_row_out_t o = {fmt, "Search Results", q->headers, -1, 1, "results", write, baton};
    arca_error_t *err;

    if ((err = arca_db_exec_script(db, p, SEARCH_TRANSACTION))) {
        arca_db_rollback(db, p);
        return err;
    }
    return arca_row_stream(db, p, q->sql, q->params->nelts,
                           (const char *const *)q->params->elts, &o);
}

/* ---- what can be searched ---------------------------------------------------------------- */

static const struct {
    const char *element, *singular, *plural;
} elements[] = {
    {"xnat:projectData", "Project", "Projects"},
    {"xnat:subjectData", "Subject", "Subjects"},
    {"xnat:mrSessionData", "MR Session", "MR Sessions"},
    {"xnat:ctSessionData", "CT Session", "CT Sessions"},
    {"xnat:petSessionData", "PET Session", "PET Sessions"},
    {"xnat:crSessionData", "CR Session", "CR Sessions"},
    {"xnat:dxSessionData", "DX Session", "DX Sessions"},
    {"xnat:usSessionData", "US Session", "US Sessions"},
    {"xnat:otherDicomSessionData", "Other DICOM Session", "Other DICOM Sessions"},
    {"xnat:imageSessionData", "Image Session", "Image Sessions"},
    {"xnat:experimentData", "Experiment", "Experiments"},
    {"xnat:mrScanData", "MR Scan", "MR Scans"},
    {"xnat:ctScanData", "CT Scan", "CT Scans"},
    {"xnat:petScanData", "PET Scan", "PET Scans"},
    {"xnat:crScanData", "CR Scan", "CR Scans"},
    {"xnat:otherDicomScanData", "Other DICOM Scan", "Other DICOM Scans"},
    {"xnat:imageScanData", "Scan", "Scans"},
};

const char *arca_search_element_name(const char *element)
{
    /* the types searches name that are not listed as searchable on their own */
    static const char *const others[] = {"xnat:subjectAssessorData", "xnat:imageAssessorData"};

    if (element == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof elements / sizeof elements[0]; i++)
        if (strcasecmp(elements[i].element, element) == 0)
            return elements[i].element;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (strcasecmp(others[i], element) == 0)
            return others[i];
    return element;
}

arca_error_t *arca_search_elements(arca_db_t *db, apr_pool_t *p, const arca_search_ctx_t *ctx,
                                   arca_resultset_t **out)
{
    static const char *const columns[] = {"ELEMENT_NAME", "SINGULAR", "PLURAL", "SECURED",
                                          "COUNT"};
    arca_resultset_t *rs = arca_resultset_make(p, "Elements", 5, columns);
    apr_hash_t *counts = apr_hash_make(p);
    const char *readable = arca_readable_projects_sql(p, "$1");
    PGresult *res;
    arca_error_t *err;

    /* counts of what the user may read: projects, subjects, experiments by type (scans
     * are not counted: at millions of rows that would cost more than the list is worth) */
    err = arca_db_query(db, p, &res, apr_pstrcat(p,
        "SELECT 'xnat:projectData', count(*) FROM arca_project o WHERE $2 OR o.id IN (",
        readable, ") UNION ALL SELECT 'xnat:subjectData', count(*) FROM arca_subject o "
        "WHERE $2 OR EXISTS (SELECT 1 FROM arca_subject_label x WHERE x.subject_id = o.id "
        "AND x.project IN (", readable, ")) UNION ALL SELECT o.xsi_type, count(*) FROM "
        "arca_experiment o WHERE $2 OR EXISTS (SELECT 1 FROM arca_experiment_label x WHERE "
        "x.experiment_id = o.id AND x.project IN (", readable, ")) GROUP BY o.xsi_type",
        NULL), 2, (const char *const[]){ctx->account_id, ctx->sees_all ? "true" : "false"});
    if (err)
        return err;
    for (int r = 0; r < PQntuples(res); r++)
        apr_hash_set(counts, PQgetvalue(res, r, 0), APR_HASH_KEY_STRING, PQgetvalue(res, r, 1));
    for (size_t i = 0; i < sizeof elements / sizeof elements[0]; i++) {
        const char **row = apr_palloc(p, 5 * sizeof(char *));
        const char *count = apr_hash_get(counts, elements[i].element, APR_HASH_KEY_STRING);
        row[0] = elements[i].element;
        row[1] = elements[i].singular;
        row[2] = elements[i].plural;
        row[3] = "1";
        row[4] = count ? count : strstr(elements[i].element, "ScanData") ? "" : "0";
        arca_resultset_add(rs, row);
    }
    *out = rs;
    return ARCA_OK;
}

arca_error_t *arca_search_element_fields(arca_db_t *db, apr_pool_t *p,
                                         const arca_search_ctx_t *ctx, const char *element,
                                         arca_resultset_t **out)
{
    static const char *const columns[] = {"FIELD_ID", "HEADER", "SUMMARY", "TYPE",
                                          "REQUIRES_VALUE", "DESC"};
    arca_resultset_t *rs = arca_resultset_make(p, "Fields", 6, columns);
    const arca_field_t *fields;
    apr_hash_t *done = apr_hash_make(p);
    arca_kind_t kind;
    char *prefix;
    PGresult *res;
    arca_error_t *err;

    if (!arca_search_element_kind(element, &kind))
        return arca_error_create(p, 404, "no searchable type '%s'",
                                 arca_search_quote(p, element));
    fields = arca_kind_fields(kind);
    for (const arca_display_field_t *d = arca_kind_display_fields(kind); d->id; d++) {
        const char **row;
        const arca_field_t *f = fields;
        while (f->alias && strcmp(f->alias, d->alias) != 0)
            f++;
        if (f->alias == NULL || apr_hash_get(done, d->alias, APR_HASH_KEY_STRING))
            continue; /* each field once, under its first (XNAT's own) ID */
        apr_hash_set(done, d->alias, APR_HASH_KEY_STRING, "");
        row = apr_palloc(p, 6 * sizeof(char *));
        row[0] = d->id;
        row[1] = f->alias;
        row[2] = f->alias;
        row[3] = arca_type_name(f->type);
        row[4] = "0";
        row[5] = f->paths ? apr_pstrcat(p, element, "/", f->paths, NULL) : "";
        arca_resultset_add(rs, row);
    }
    /* custom variables defined in projects the user may read */
    prefix = apr_pstrdup(p, element);
    for (char *c = prefix; *c; c++)
        *c = *c == ':' ? '_' : (char)apr_toupper(*c);
    if (kind != ARCA_KIND_PROJECT && kind != ARCA_KIND_SUBJECT && kind != ARCA_KIND_EXPERIMENT
        && kind != ARCA_KIND_SCAN)
        return (*out = rs), ARCA_OK;
    err = arca_db_query(db, p, &res, apr_pstrcat(p,
        "SELECT name, CASE WHEN count(DISTINCT type) = 1 THEN min(type) ELSE 'string' END "
        "FROM arca_field_def WHERE level = $1 AND ($3 OR project IN (",
        arca_readable_projects_sql(p, "$2"), ")) GROUP BY name ORDER BY name", NULL), 3,
        (const char *const[]){arca_kind_name(kind), ctx->account_id,
                              ctx->sees_all ? "true" : "false"});
    for (int r = 0; !err && r < PQntuples(res); r++) {
        const char **row = apr_palloc(p, 6 * sizeof(char *));
        row[0] = apr_pstrcat(p, prefix, "_FIELD_MAP=", PQgetvalue(res, r, 0), NULL);
        row[1] = PQgetvalue(res, r, 0);
        row[2] = PQgetvalue(res, r, 0);
        row[3] = PQgetvalue(res, r, 1);
        row[4] = "0";
        row[5] = apr_pstrcat(p, element, "/fields/field[name=", PQgetvalue(res, r, 0),
                             "]/field", NULL);
        arca_resultset_add(rs, row);
    }
    *out = rs;
    return err;
}
