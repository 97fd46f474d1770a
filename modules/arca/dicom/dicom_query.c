/* C-FIND over the archive (see dicom_query.h). SQL is put together from the fixed
 * fragments of the attribute table below; every value from the peer is a parameter. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "access/authz.h"
#include "dicom/dicom_query.h"

enum { L_PATIENT, L_STUDY, L_SERIES, L_IMAGE };
enum { K_TEXT, K_NAME, K_UID, K_DATE, K_TIME };

typedef struct {
    unsigned group, element;
    int level;          /* the level the attribute belongs to */
    int kind;
    const char *expr;   /* over sl (subject label), e (experiment), s (scan), f (file) */
} attr_t;

#define SOP_UID "regexp_replace(f.path, '\\.dcm$', '')"

static const attr_t attrs[] = {
    {0x0010, 0x0010, L_PATIENT, K_NAME, "sl.label"},                  /* Patient's Name */
    {0x0010, 0x0020, L_PATIENT, K_TEXT, "sl.label"},                  /* Patient ID */
    {0x0020, 0x1200, L_PATIENT, K_TEXT, "(SELECT count(*) FROM arca_experiment x WHERE "
                                         "x.subject_id = sl.subject_id AND x.session_id IS "
                                         "NULL)::text"},
    {0x0020, 0x000D, L_STUDY, K_UID, "e.uid"},
    {0x0008, 0x0020, L_STUDY, K_DATE, "coalesce(to_char(e.date, 'YYYYMMDD'), '')"},
    {0x0008, 0x0030, L_STUDY, K_TIME, "coalesce(to_char(e.time, 'HH24MISS'), '')"},
    {0x0008, 0x0050, L_STUDY, K_TEXT, "e.id"},                        /* Accession Number */
    {0x0020, 0x0010, L_STUDY, K_TEXT, "el.label"},                    /* Study ID */
    {0x0008, 0x1030, L_STUDY, K_TEXT, "el.label"},                    /* Study Description */
    {0x0008, 0x0061, L_STUDY, K_TEXT, "coalesce((SELECT string_agg(DISTINCT x.modality, "
                                      "'\\') FROM arca_scan x WHERE x.experiment_id = e.id "
                                      "AND x.modality <> ''), e.modality)"},
    {0x0020, 0x1206, L_STUDY, K_TEXT, "(SELECT count(*) FROM arca_scan x WHERE "
                                      "x.experiment_id = e.id)::text"},
    {0x0020, 0x1208, L_STUDY, K_TEXT, "(SELECT count(*) FROM arca_file xf JOIN arca_resource "
                                      "xr ON xr.pk = xf.resource_pk JOIN arca_scan x ON x.pk "
                                      "= xr.scan_pk WHERE x.experiment_id = e.id AND xr.label "
                                      "= 'DICOM')::text"},
    {0x0020, 0x000E, L_SERIES, K_UID, "s.uid"},
    {0x0008, 0x0060, L_SERIES, K_TEXT, "s.modality"},
    {0x0020, 0x0011, L_SERIES, K_TEXT, "s.id"},                       /* Series Number */
    {0x0008, 0x103E, L_SERIES, K_TEXT, "s.series_description"},
    {0x0020, 0x1209, L_SERIES, K_TEXT, "(SELECT count(*) FROM arca_file xf JOIN arca_resource "
                                       "xr ON xr.pk = xf.resource_pk WHERE xr.scan_pk = s.pk "
                                       "AND xr.label = 'DICOM')::text"},
    {0x0008, 0x0018, L_IMAGE, K_UID, SOP_UID},
};

static const attr_t *attr_of(unsigned g, unsigned e)
{
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (attrs[i].group == g && attrs[i].element == e)
            return &attrs[i];
    return NULL;
}

static int level_of(const char *level)
{
    static const char *const names[] = {"PATIENT", "STUDY", "SERIES", "IMAGE"};

    for (int i = 0; level && i < 4; i++)
        if (strcmp(level, names[i]) == 0)
            return i;
    return -1;
}

typedef struct {
    apr_pool_t *p;
    const char *sql;
    const char **params;
    int n;                        /* params used; build() sizes params for all keys */
} query_t;

static const char *param(query_t *q, const char *value)
{
    q->params[q->n++] = value;
    return apr_psprintf(q->p, "$%d", q->n);
}

static void add(query_t *q, const char *cond)
{
    q->sql = apr_pstrcat(q->p, q->sql, " AND ", cond, NULL);
}

const char *arca_dicom_like_pattern(apr_pool_t *p, const char *v)
{
    char *out = apr_palloc(p, strlen(v) * 2 + 1), *o = out;

    for (; *v; v++) {
        if (*v == '%' || *v == '_' || *v == '\\')
            *o++ = '\\', *o++ = *v;
        else
            *o++ = *v == '*' ? '%' : *v == '?' ? '_' : *v;
    }
    *o = '\0';
    return out;
}

static const char *trimmed(apr_pool_t *p, const char *v)
{
    size_t n = strlen(v);

    while (n && v[n - 1] == ' ')
        n--;
    while (n && *v == ' ')
        v++, n--;
    return apr_pstrmemdup(p, v, n);
}

/* One key's condition on its expression. */
static void match(query_t *q, const attr_t *a, const char *value)
{
    const char *v = trimmed(q->p, value), *dash;

    if (*v == '\0' || strcmp(v, "*") == 0)
        return;
    if ((a->kind == K_DATE || a->kind == K_TIME) && (dash = strchr(v, '-'))) {
        const char *from = apr_pstrmemdup(q->p, v, (apr_size_t)(dash - v));
        if (*from)
            add(q, apr_pstrcat(q->p, "(", a->expr, " <> '' AND ", a->expr, " >= ",
                               param(q, from), ")", NULL));
        if (dash[1])
            add(q, apr_pstrcat(q->p, "(", a->expr, " <> '' AND ", a->expr, " <= ",
                               param(q, dash + 1), ")", NULL));
        return;
    }
    if (a->kind == K_UID && strchr(v, '\\')) {
        add(q, apr_pstrcat(q->p, a->expr, " = ANY(string_to_array(", param(q, v),
                           ", '\\'))", NULL));
        return;
    }
    if (strpbrk(v, "*?"))
        add(q, apr_pstrcat(q->p, a->expr, a->kind == K_NAME ? " ILIKE " : " LIKE ",
                           param(q, arca_dicom_like_pattern(q->p, v)), NULL));
    else if (a->kind == K_NAME)
        add(q, apr_pstrcat(q->p, "lower(", a->expr, ") = lower(", param(q, v), ")", NULL));
    else
        add(q, apr_pstrcat(q->p, a->expr, " = ", param(q, v), NULL));
}

/* FROM and WHERE for a level, with the access filter; `files` joins down to the files. */
static void base(query_t *q, int level, const arca_account_t *who, int files)
{
    /* readable through any project it is in (its primary or one it is shared into) */
    const char *shared = level == L_PATIENT && !files
        ? "EXISTS (SELECT 1 FROM arca_subject_label x WHERE x.subject_id = sl.subject_id AND "
          "x.project IN ("
        : "EXISTS (SELECT 1 FROM arca_experiment_label x WHERE x.experiment_id = e.id AND "
          "x.project IN (";

    if (level == L_PATIENT && !files)
        q->sql = "FROM arca_subject_label sl WHERE sl.is_primary";
    else
        q->sql = apr_pstrcat(q->p, "FROM arca_experiment e JOIN arca_subject_label sl ON "
            "sl.subject_id = e.subject_id AND sl.project = e.project JOIN "
            "arca_experiment_label el ON el.experiment_id = e.id AND el.project = e.project",
            level >= L_SERIES || files ? " JOIN arca_scan s ON s.experiment_id = e.id" : "",
            level >= L_IMAGE || files ? " JOIN arca_resource r ON r.scan_pk = s.pk AND "
            "r.label = 'DICOM' JOIN arca_file f ON f.resource_pk = r.pk" : "",
            " WHERE e.session_id IS NULL AND e.uid <> ''",
            level >= L_SERIES && !files ? " AND s.uid <> ''" : "", NULL);
    if (arca_is_disabled(who))
        add(q, "false");
    else if (!arca_sees_all(who))
        add(q, apr_pstrcat(q->p, shared,
                           arca_readable_projects_sql(q->p, param(q, who ? who->id : NULL)),
                           "))", NULL));
}

static arca_error_t *build(apr_pool_t *p, const arca_account_t *who, const char *level_name,
                           const arca_dnet_key_t *keys, int n, int files, query_t *q, int *level)
{
    memset(q, 0, sizeof *q);
    q->p = p;
    q->params = apr_pcalloc(p, sizeof(const char *) * (size_t)(n * 2 + 2));
    if ((*level = level_of(level_name)) < 0)
        return arca_error_create(p, 400, "query level '%s': use PATIENT, STUDY, SERIES or "
                                 "IMAGE", level_name ? level_name : "");
    base(q, *level, who, files);
    for (int i = 0; i < n; i++) {
        const attr_t *a = attr_of(keys[i].group, keys[i].element);
        if (a && a->level <= *level && keys[i].value)
            match(q, a, keys[i].value);
    }
    return ARCA_OK;
}

arca_error_t *arca_dicom_find(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                              const char *level_name, const arca_dnet_key_t *keys, int n,
                              arca_dnet_match_fn fn, void *ctx)
{
    const char *cols = "";
    arca_dnet_key_t *values = apr_pcalloc(p, sizeof *values * (size_t)(n ? n : 1));
    const attr_t **col = apr_pcalloc(p, sizeof *col * (size_t)(n ? n : 1));
    query_t q;
    PGresult *res;
    int level, ncols = 0;
    arca_error_t *err = build(p, who, level_name, keys, n, 0, &q, &level);

    if (err)
        return err;
    for (int i = 0; i < n; i++) {
        const attr_t *a = attr_of(keys[i].group, keys[i].element);
        col[i] = a && a->level <= level ? a : NULL;
        if (col[i])
            cols = apr_pstrcat(p, cols, ncols++ ? ", " : "", a->expr, NULL);
    }
    /* one row per object of the level: subjects by label, the rest by UID */
    q.sql = apr_pstrcat(p, "SELECT DISTINCT ", ncols ? cols : "1", " ", q.sql, " LIMIT 10000",
                        NULL);
    if ((err = arca_db_query(db, p, &res, q.sql, q.n, q.params)))
        return err;
    for (int r = 0; r < PQntuples(res); r++) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            values[i].group = keys[i].group;
            values[i].element = keys[i].element;
            values[i].value = col[i] ? PQgetvalue(res, r, c++) : "";
        }
        if (fn(ctx, values, n))
            break;
    }
    return ARCA_OK;
}

arca_error_t *arca_dicom_locate(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                                const char *archive, const char *level_name,
                                const arca_dnet_key_t *keys, int n,
                                apr_array_header_t **files)
{
    query_t q;
    PGresult *res;
    int level;
    arca_error_t *err = build(p, who, level_name, keys, n, 1, &q, &level);

    if (err)
        return err;
    q.sql = apr_pstrcat(p, "SELECT r.dir || '/' || f.path ", q.sql,
                        " ORDER BY 1", NULL);
    if ((err = arca_db_query(db, p, &res, q.sql, q.n, q.params)))
        return err;
    *files = apr_array_make(p, PQntuples(res), sizeof(const char *));
    for (int r = 0; r < PQntuples(res); r++)
        APR_ARRAY_PUSH(*files, const char *) = apr_pstrcat(p, archive, "/",
                                                           PQgetvalue(res, r, 0), NULL);
    return ARCA_OK;
}
