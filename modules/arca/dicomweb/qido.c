/* QIDO-RS over the index (see dicomweb.h). One SELECT per request: the sessions (studies),
 * scans (series) or indexed instances the scope may read, each answered attribute an
 * expression of the table below, over the session and subject rows and the stored headers
 * of a representative instance (the first of the study, of the series). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "dicom/dicom.h"
#include "dicom/dicom_query.h"
#include "dicomweb/dw_internal.h"

enum { L_STUDY, L_SERIES, L_INSTANCE };
enum { M_NONE, M_UID, M_DATE, M_TIME, M_TEXT, M_NAME, M_ANY };

#define MAX_RESULTS 1000

typedef struct {
    const char *tag;        /* 8 hex digits */
    const char *vr;
    int level;
    int match;
    const char *expr;       /* text, '\' between values; NULL: RetrieveURL (made in C) */
} attr_t;

/* sh: the study's representative header, ss: the series', i: the instance row */
#define SH(t) "arca_dicom_text(sh.header, '" t "')"
#define SS(t) "arca_dicom_text(ss.header, '" t "')"
#define IH(t) "arca_dicom_text(i.header, '" t "')"

static const attr_t attrs[] = {
    {"00080005", "CS", L_STUDY, M_NONE, "'ISO_IR 192'"},
    {"00080020", "DA", L_STUDY, M_DATE, "to_char(e.date, 'YYYYMMDD')"},
    {"00080030", "TM", L_STUDY, M_TIME, "to_char(e.time, 'HH24MISS')"},
    {"00080050", "SH", L_STUDY, M_TEXT, SH("00080050")},
    {"00080056", "CS", L_STUDY, M_NONE, "'ONLINE'"},
    {"00080061", "CS", L_STUDY, M_ANY, "(SELECT string_agg(DISTINCT x.modality, '\\') FROM "
                                       "arca_scan x WHERE x.experiment_id = e.id AND "
                                       "x.modality <> '')"},
    {"00080090", "PN", L_STUDY, M_NAME, SH("00080090")},
    {"00081030", "LO", L_STUDY, M_TEXT, SH("00081030")},
    {"00081190", "UR", L_STUDY, M_NONE, NULL},
    {"00100010", "PN", L_STUDY, M_NAME, "coalesce(" SH("00100010") ", sl.label)"},
    {"00100020", "LO", L_STUDY, M_TEXT, "coalesce(" SH("00100020") ", sl.label)"},
    {"00100030", "DA", L_STUDY, M_DATE, SH("00100030")},
    {"00100040", "CS", L_STUDY, M_TEXT, SH("00100040")},
    {"0020000D", "UI", L_STUDY, M_UID, "e.uid"},
    {"00200010", "SH", L_STUDY, M_TEXT, SH("00200010")},
    {"00201206", "IS", L_STUDY, M_NONE, "(SELECT count(*) FROM arca_scan x WHERE "
                                        "x.experiment_id = e.id AND x.uid <> '')::text"},
    {"00201208", "IS", L_STUDY, M_NONE, "(SELECT count(*) FROM arca_file xf JOIN "
                                        "arca_resource xr ON xr.pk = xf.resource_pk JOIN "
                                        "arca_scan x ON x.pk = xr.scan_pk WHERE "
                                        "x.experiment_id = e.id AND xr.label = 'DICOM')::text"},
    {"00080021", "DA", L_SERIES, M_DATE, SS("00080021")},
    {"00080031", "TM", L_SERIES, M_TIME, SS("00080031")},
    {"00080060", "CS", L_SERIES, M_TEXT, "nullif(s.modality, '')"},
    {"0008103E", "LO", L_SERIES, M_TEXT, "nullif(s.series_description, '')"},
    {"00081190", "UR", L_SERIES, M_NONE, NULL},
    {"0020000E", "UI", L_SERIES, M_UID, "s.uid"},
    {"00200011", "IS", L_SERIES, M_TEXT, "coalesce(" SS("00200011") ", s.id)"},
    {"00201209", "IS", L_SERIES, M_NONE, "(SELECT count(*) FROM arca_file xf JOIN "
                                         "arca_resource xr ON xr.pk = xf.resource_pk WHERE "
                                         "xr.scan_pk = s.pk AND xr.label = 'DICOM')::text"},
    {"00400244", "DA", L_SERIES, M_DATE, SS("00400244")},
    {"00400245", "TM", L_SERIES, M_TIME, SS("00400245")},
    {"00080016", "UI", L_INSTANCE, M_UID, "i.sop_class_uid"},
    {"00080018", "UI", L_INSTANCE, M_UID, "i.sop_uid"},
    {"00081190", "UR", L_INSTANCE, M_NONE, NULL},
    {"00200013", "IS", L_INSTANCE, M_TEXT, "i.instance_number::text"},
    {"00280008", "IS", L_INSTANCE, M_NONE, IH("00280008")},
    {"00280010", "US", L_INSTANCE, M_NONE, IH("00280010")},
    {"00280011", "US", L_INSTANCE, M_NONE, IH("00280011")},
    {"00280100", "US", L_INSTANCE, M_NONE, IH("00280100")},
};
#define NATTRS (sizeof attrs / sizeof attrs[0])

static const attr_t *attr_at(const char *tag, int level)
{
    const attr_t *found = NULL;

    for (size_t i = 0; i < NATTRS; i++)
        if (strcmp(attrs[i].tag, tag) == 0 && attrs[i].level <= level
            && (!found || attrs[i].level > found->level))
            found = &attrs[i];
    return found;
}

/* A key as 8 upper-case hex digits: a tag or a data dictionary keyword. */
static const char *tag_of(apr_pool_t *p, const char *key)
{
    unsigned g, e;

    if (!arca_dicom_tag_lookup(key, &g, &e))
        return NULL;
    return apr_psprintf(p, "%04X%04X", g, e);
}

static int all_of(const char *v, const char *set)
{
    return *v && strspn(v, set) == strlen(v);
}

/* '\' or ',' between values, as '\'. */
static const char *as_list(apr_pool_t *p, const char *v)
{
    char *s = apr_pstrdup(p, v);

    for (char *c = s; *c; c++)
        if (*c == ',')
            *c = '\\';
    return s;
}

static arca_error_t *match(dw_sql_t *q, const char *key, const attr_t *a, const char *value)
{
    apr_pool_t *p = q->p;
    const char *v = value, *dash;

    if (*v == '\0' || strcmp(v, "*") == 0)
        return ARCA_OK;
    switch (a->match) {
    case M_UID: {
        const char *list = as_list(p, v);
        if (!all_of(list, "0123456789.\\"))
            return arca_error_create(p, 400, "%s: a UID (digits and dots; several separated "
                                     "by '\\' or ',') is expected", key);
        dw_where(q, apr_pstrcat(p, a->expr, " = ANY(string_to_array(", dw_param(q, list),
                                ", '\\'))", NULL));
        return ARCA_OK;
    }
    case M_DATE:
    case M_TIME: {
        const char *digits = a->match == M_DATE ? "0123456789" : "0123456789.:";
        const char *from = v, *to = v;
        if ((dash = strchr(v, '-'))) {
            from = apr_pstrmemdup(p, v, (apr_size_t)(dash - v));
            to = dash + 1;
        }
        if ((*from && !all_of(from, digits)) || (*to && !all_of(to, digits))
            || (!*from && !*to))
            return arca_error_create(p, 400, "%s: a %s or a range A-B of them is expected "
                                     "(YYYYMMDD, HHMMSS)", key,
                                     a->match == M_DATE ? "date" : "time");
        if (a->match == M_TIME) { /* times compare as HHMMSS */
            char *f = apr_pstrdup(p, from), *t = apr_pstrdup(p, to), *c, *o;
            for (c = o = f; *c; c++)
                if (*c != ':')
                    *o++ = *c;
            *o = '\0';
            for (c = o = t; *c; c++)
                if (*c != ':')
                    *o++ = *c;
            *o = '\0';
            from = f, to = *t ? apr_pstrcat(p, t, "999999", NULL) : t;
        }
        if (!dash) {
            dw_where(q, apr_pstrcat(p, a->expr, a->match == M_TIME ? " LIKE " : " = ",
                                    dw_param(q, a->match == M_TIME
                                             ? apr_pstrcat(p, from, "%", NULL) : from), NULL));
            return ARCA_OK;
        }
        if (*from)
            dw_where(q, apr_pstrcat(p, a->expr, " >= ", dw_param(q, from), NULL));
        if (*to)
            dw_where(q, apr_pstrcat(p, a->expr, " <= ", dw_param(q, to), NULL));
        return ARCA_OK;
    }
    case M_ANY:
        dw_where(q, apr_pstrcat(p, "string_to_array(upper(", a->expr, "), '\\') && "
                                "string_to_array(upper(", dw_param(q, as_list(p, v)),
                                "), '\\')", NULL));
        return ARCA_OK;
    case M_TEXT:
    case M_NAME:
        if (strpbrk(v, "*?"))
            dw_where(q, apr_pstrcat(p, a->expr, a->match == M_NAME ? " ILIKE " : " LIKE ",
                                    dw_param(q, arca_dicom_like_pattern(p, v)), NULL));
        else if (a->match == M_NAME)
            dw_where(q, apr_pstrcat(p, "lower(", a->expr, ") = lower(", dw_param(q, v), ")",
                                    NULL));
        else
            dw_where(q, apr_pstrcat(p, a->expr, " = ", dw_param(q, v), NULL));
        return ARCA_OK;
    default:
        return arca_error_create(p, 400, "%s: matching on this attribute is not supported",
                                 key);
    }
}

static arca_error_t *number_arg(apr_pool_t *p, const char *name, const char *v, long max,
                                long *out)
{
    char *end;
    long n;

    if (v == NULL)
        return ARCA_OK;
    n = strtol(v, &end, 10);
    if (!*v || *end || n < 0 || n > max)
        return arca_error_create(p, 400, "%s: a number from 0 to %ld is expected", name, max);
    *out = n;
    return ARCA_OK;
}

typedef struct {
    apr_pool_t *p;
    dw_sql_t *q;
    int level;
    apr_array_header_t *extra;   /* const char * tags asked by includefield, not in attrs */
    int all;
    const char *warning;
} walk_t;

static arca_error_t *include(walk_t *w, const char *list)
{
    char *copy = apr_pstrdup(w->p, list), *state, *one;

    for (one = apr_strtok(copy, ", ", &state); one; one = apr_strtok(NULL, ", ", &state)) {
        const char *tag;
        if (strcmp(one, "all") == 0) {
            w->all = 1;
            continue;
        }
        if ((tag = tag_of(w->p, one)) == NULL)
            return arca_error_create(w->p, 400, "includefield: '%s' is not a DICOM tag or "
                                     "keyword", one);
        if (!attr_at(tag, w->level))
            APR_ARRAY_PUSH(w->extra, const char *) = tag;
    }
    return ARCA_OK;
}

typedef struct {
    walk_t *w;
    arca_error_t *err;
    long limit, offset;
} args_t;

static int each_arg(void *baton, const char *key, const char *value)
{
    args_t *a = baton;
    walk_t *w = a->w;
    const char *tag;
    const attr_t *attr;

    if (a->err)
        return 0;
    if (strcmp(key, "limit") == 0)
        a->err = number_arg(w->p, key, value, 1000000, &a->limit);
    else if (strcmp(key, "offset") == 0)
        a->err = number_arg(w->p, key, value, 1000000000L, &a->offset);
    else if (strcmp(key, "includefield") == 0)
        a->err = include(w, value);
    else if (strcmp(key, "fuzzymatching") == 0) {
        if (strcmp(value, "true") == 0)
            w->warning = "fuzzy matching is not supported: the keys were matched exactly";
        else if (strcmp(value, "false") != 0)
            a->err = arca_error_create(w->p, 400, "fuzzymatching: true or false");
    } else if ((tag = tag_of(w->p, key)) == NULL)
        a->err = arca_error_create(w->p, 400, "'%s' is not a DICOM tag or keyword, nor limit, "
                                   "offset, includefield or fuzzymatching", key);
    else if ((attr = attr_at(tag, w->level)) == NULL || attr->match == M_NONE)
        a->err = arca_error_create(w->p, 400, "%s: matching on this attribute is not "
                                   "supported at this level", key);
    else
        a->err = match(w->q, key, attr, value);
    return 1;
}

/* The representative headers: the study's first indexed instance, the series'. */
#define STUDY_HEADER "LEFT JOIN LATERAL (SELECT xi.header FROM arca_scan xs JOIN " \
    "arca_instance xi ON xi.scan_pk = xs.pk WHERE xs.experiment_id = e.id LIMIT 1) sh ON true"
#define SERIES_HEADER "LEFT JOIN LATERAL (SELECT xi.header FROM arca_instance xi WHERE " \
    "xi.scan_pk = s.pk LIMIT 1) ss ON true"

/* FROM of a level, for matching: sessions with their primary subject label and the study's
 * header; scans with the series'; indexed instances. */
static const char *from_of(apr_pool_t *p, int level)
{
    return apr_pstrcat(p, "FROM arca_experiment e JOIN arca_subject_label sl ON "
        "sl.subject_id = e.subject_id AND sl.is_primary " STUDY_HEADER,
        level >= L_SERIES ? " JOIN arca_scan s ON s.experiment_id = e.id AND s.uid <> '' "
        SERIES_HEADER : "",
        level >= L_INSTANCE ? " JOIN arca_instance i ON i.scan_pk = s.pk" : "",
        " WHERE e.session_id IS NULL AND e.uid <> ''", NULL);
}

/* The same rows again by key, for the answer: the attributes (counts, aggregates) are
 * computed for the page only, not for every row an offset skips. */
static const char *page_from(apr_pool_t *p, int level, const char *page)
{
    return apr_pstrcat(p, "FROM (", page, ") page JOIN arca_experiment e ON e.id = page.k_e "
        "JOIN arca_subject_label sl ON sl.subject_id = e.subject_id AND sl.is_primary "
        STUDY_HEADER,
        level >= L_SERIES ? " JOIN arca_scan s ON s.pk = page.k_s " SERIES_HEADER : "",
        level >= L_INSTANCE ? " JOIN arca_instance i ON i.resource_pk = page.k_r AND "
        "i.path = page.k_p" : "", NULL);
}

static const char *keys_of(int level)
{
    return level == L_STUDY ? "e.id AS k_e"
         : level == L_SERIES ? "e.id AS k_e, s.pk AS k_s"
         : "e.id AS k_e, s.pk AS k_s, i.resource_pk AS k_r, i.path AS k_p";
}

static const char *order_of(int level)
{
    return level == L_STUDY ? "ORDER BY e.date DESC NULLS LAST, e.uid, e.id"
         : level == L_SERIES ? "ORDER BY e.uid, e.id, s.pk"
         : "ORDER BY e.uid, e.id, s.pk, i.instance_number NULLS LAST, i.sop_uid";
}

/* The header an includefield outside the table comes from, at each level. */
static const char *rep_of(int level)
{
    return level == L_STUDY ? "sh.header" : level == L_SERIES ? "ss.header" : "i.header";
}

arca_error_t *arca_qido(arca_db_t *db, apr_pool_t *p, const arca_dw_scope_t *scope,
                        const arca_qido_t *qr, json_t **out, const char **warning)
{
    dw_sql_t q = {.p = p};
    walk_t w = {.p = p, .q = &q, .level = (int)qr->level};
    args_t a = {.w = &w, .limit = MAX_RESULTS};
    const char *cols, *page;
    PGresult *res;
    arca_error_t *err;
    int ncols, rows;

    *out = NULL;
    *warning = NULL;
    w.extra = apr_array_make(p, 4, sizeof(const char *));
    dw_where_access(&q, scope);
    if (qr->study_uid)
        dw_where(&q, apr_pstrcat(p, "e.uid = ", dw_param(&q, qr->study_uid), NULL));
    if (qr->series_uid)
        dw_where(&q, apr_pstrcat(p, "s.uid = ", dw_param(&q, qr->series_uid), NULL));
    if (qr->args)
        apr_table_do(each_arg, &a, qr->args, NULL);
    if (a.err)
        return a.err;
    if (a.limit == 0 || a.limit > MAX_RESULTS)
        a.limit = MAX_RESULTS;
    /* columns: the three UIDs, every attribute of the level, the extra ones */
    cols = apr_pstrcat(p, "e.uid, ", w.level >= L_SERIES ? "s.uid" : "''", ", ",
                       w.level >= L_INSTANCE ? "i.sop_uid" : "''", NULL);
    for (size_t k = 0; k < NATTRS; k++)
        if (attrs[k].level <= w.level && attrs[k].expr)
            cols = apr_pstrcat(p, cols, ", ", attrs[k].expr, NULL);
    for (int k = 0; k < w.extra->nelts; k++)
        cols = apr_pstrcat(p, cols, ", (", rep_of(w.level), ")->(",
                           dw_param(&q, APR_ARRAY_IDX(w.extra, k, const char *)), "::text)",
                           NULL);
    if (w.all && w.level == L_INSTANCE)
        cols = apr_pstrcat(p, cols, ", i.header", NULL);
    page = apr_pstrcat(p, "SELECT ", keys_of(w.level), ", row_number() OVER (",
                       order_of(w.level), ") AS k_n ", from_of(p, w.level),
                       q.where ? q.where : "", " ORDER BY k_n LIMIT ",
                       apr_ltoa(p, a.limit + 1), " OFFSET ", apr_ltoa(p, a.offset), NULL);
    if ((err = arca_db_query(db, p, &res, apr_pstrcat(p, "SELECT ", cols, " ",
                             page_from(p, w.level, page), " ORDER BY page.k_n", NULL),
                             q.n, q.params)))
        return err;
    ncols = PQnfields(res);
    rows = PQntuples(res);
    if (rows > a.limit) {
        rows = (int)a.limit;
        w.warning = apr_psprintf(p, "the answer was cut at %ld results: ask with offset=%ld "
                                 "for more", a.limit, a.offset + a.limit);
    }
    *out = json_array();
    for (int r = 0; r < rows; r++) {
        json_t *o = json_object();
        const char *study = PQgetvalue(res, r, 0), *series = PQgetvalue(res, r, 1),
                   *sop = PQgetvalue(res, r, 2);
        int c = 3;
        const char *url = w.level == L_STUDY
            ? apr_pstrcat(p, scope->base_url, "/studies/", study, NULL)
            : w.level == L_SERIES
            ? apr_pstrcat(p, scope->base_url, "/studies/", study, "/series/", series, NULL)
            : dw_instance_url(p, scope, study, series, sop);

        if (w.all && w.level == L_INSTANCE) {  /* the whole header, under the table's */
            json_t *h = json_loads(PQgetvalue(res, r, ncols - 1), 0, NULL);
            if (h) {
                dw_bulk_uris(h, url);
                json_object_update(o, h);
                json_decref(h);
            }
        }
        for (int k = 0; k < w.extra->nelts; k++) {
            int col = c + k;
            for (size_t x = 0; x < NATTRS; x++)
                if (attrs[x].level <= w.level && attrs[x].expr)
                    col++;
            if (PQgetisnull(res, r, col))
                continue;
            json_t *v = json_loads(PQgetvalue(res, r, col), 0, NULL);
            if (v) {
                json_object_del(v, "BulkDataURI");
                json_object_set_new(o, APR_ARRAY_IDX(w.extra, k, const char *), v);
            }
        }
        for (size_t k = 0; k < NATTRS; k++) {
            const attr_t *at = &attrs[k];
            if (at->level > w.level)
                continue;
            if (!at->expr) {
                if (at->level == w.level)
                    json_object_set_new(o, at->tag, arca_dw_attr(at->vr, url));
                continue;
            }
            json_object_set_new(o, at->tag, arca_dw_attr(at->vr, PQgetisnull(res, r, c)
                                                         ? NULL : PQgetvalue(res, r, c)));
            c++;
        }
        json_array_append_new(*out, o);
    }
    *warning = w.warning;
    return ARCA_OK;
}
