/* Listing queries. The SELECT is assembled from fixed SQL fragments (model_fields.c) chosen
 * by the client's column names; every client value is a parameter. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "access/authz.h"
#include "format/row_stream.h"
#include "model/file_set.h"
#include "model/listing.h"

#define MAX_PARAMS 64
#define MAX_COLUMNS 48

typedef struct {
    apr_pool_t *p;
    const char *params[MAX_PARAMS];
    int n;
    int scans_joined;   /* an experiments listing joined with its scans as "sc" */
    int steps_joined;   /* ... or with its provenance steps as "ps" */
} params_t;

/* Adds a parameter; returns its "$k". */
static const char *param(params_t *ps, const char *value)
{
    if (ps->n == MAX_PARAMS)
        return NULL;
    ps->params[ps->n++] = value;
    return apr_psprintf(ps->p, "$%d", ps->n);
}

static const char *const default_columns[ARCA_KIND_COUNT] = {
    [ARCA_KIND_PROJECT] = "ID,secondary_ID,name,description,pi_firstname,pi_lastname,URI",
    [ARCA_KIND_SUBJECT] = "ID,project,label,insert_date,insert_user,URI",
    [ARCA_KIND_EXPERIMENT] = "ID,project,date,xsiType,label,insert_date,subject_ID,"
                             "subject_label,URI",
    [ARCA_KIND_SCAN] = "xnat_imagescandata_id,ID,type,quality,xsiType,note,"
                       "series_description,URI",
    [ARCA_KIND_RESOURCE] = "xnat_abstractresource_id,label,element_name,category,cat_id,"
                           "cat_desc,file_count,file_size,tags,content,format",
    [ARCA_KIND_FILE] = "Name,Size,URI,collection,file_tags,file_format,file_content,cat_ID,"
                       "digest",
    [ARCA_KIND_RECONSTRUCTION] = "xnat_reconstructedimagedata_id,ID,type,baseScanType,"
                                 "xsiType,URI",
};

const char *arca_listing_default_columns(arca_kind_t kind)
{
    return default_columns[kind];
}

static const char *title_of(arca_kind_t kind)
{
    static const char *const titles[ARCA_KIND_COUNT] = {
        "Projects", "Subjects", "Experiments", "Scans", "Resources", "Files",
        "Reconstructions"};
    return titles[kind];
}

/* param() for arca_file_set_sql; past the last parameter the statement fails whole. */
static const char *set_param(void *baton, const char *value)
{
    const char *ph = param(baton, value);

    return ph ? ph : "NULL::text";
}

/* The access filter of a listing: site-wide lists show only rows of projects the user may
 * read (projects: may see listed); lists inside a project or object were checked whole by
 * the caller. The same rules as arca_can_project(), in SQL (authz.c). */
static const char *access_filter(apr_pool_t *p, const arca_listing_query_t *q, params_t *ps)
{
    const arca_location_t *loc = q->loc;
    const char *ph;

    if (q->unrestricted || arca_sees_all(q->who))
        return NULL;
    if (loc->kind == ARCA_KIND_PROJECT)
        return apr_pstrcat(p, "o.id IN (", arca_listed_projects_sql(p, param(ps, q->who ?
                           q->who->id : NULL)), ")", NULL);
    /* inside a project, or below a session: the caller checked the whole list */
    if (loc->project || loc->kind > ARCA_KIND_EXPERIMENT
        || (loc->kind == ARCA_KIND_EXPERIMENT && loc->session_id))
        return NULL;
    ph = param(ps, q->who ? q->who->id : NULL);
    if (loc->kind == ARCA_KIND_SUBJECT)
        return apr_pstrcat(p, "EXISTS (SELECT 1 FROM arca_subject_label x WHERE x.subject_id "
                           "= o.id AND x.project IN (", arca_readable_projects_sql(p, ph),
                           "))", NULL);
    return apr_pstrcat(p, "EXISTS (SELECT 1 FROM arca_experiment_label x WHERE "
                       "x.experiment_id = o.id AND x.project IN (",
                       arca_readable_projects_sql(p, ph), "))", NULL);
}

/* XNAT's owner=true, member=true, collaborator=true on a projects listing: only the
 * projects where the caller has one of the roles asked (any of them); NULL when none is
 * asked. Everyone's own roles, site admins' too. */
static const char *role_filter(apr_pool_t *p, const arca_listing_query_t *q, params_t *ps)
{
    static const char *const roles[] = {"owner", "member", "collaborator"};
    const char *list = NULL, *v;

    if (q->loc->kind != ARCA_KIND_PROJECT || q->args == NULL)
        return NULL;
    for (int i = 0; i < 3; i++)
        if ((v = apr_table_get(q->args, roles[i])) && strcasecmp(v, "true") == 0)
            list = apr_pstrcat(p, list ? list : "", list ? ", '" : "'", roles[i], "'", NULL);
    if (list == NULL)
        return NULL;
    return apr_pstrcat(p, "o.id IN (", arca_role_projects_sql(p, param(ps, q->who ? q->who->id
                       : NULL), list), ")", NULL);
}

/* FROM and WHERE of each kind's listing, in the context the location gives. */
static arca_error_t *from_where(apr_pool_t *p, const arca_location_t *loc, params_t *ps,
                                const char **from, const char **where)
{
    switch (loc->kind) {
    case ARCA_KIND_PROJECT:
        *from = "arca_project o";
        *where = "true";
        /* the projects a subject or experiment is in: its own and its shares, joined as
         * sh so that the order can put its own first (see natural_order) */
        if (loc->projects_of && loc->projects_kind == ARCA_KIND_SUBJECT) {
            *from = "arca_project o JOIN arca_subject_label sh ON sh.project = o.id";
            *where = apr_pstrcat(p, "sh.subject_id = ", param(ps, loc->subject_id), NULL);
        } else if (loc->projects_of) {
            *from = "arca_project o JOIN arca_experiment_label sh ON sh.project = o.id";
            *where = apr_pstrcat(p, "sh.experiment_id = ", param(ps, loc->experiment_id),
                                 NULL);
        }
        return ARCA_OK;
    case ARCA_KIND_SUBJECT:
        if (loc->project) {
            *from = "arca_subject_label l JOIN arca_subject o ON o.id = l.subject_id";
            *where = apr_pstrcat(p, "l.project = ", param(ps, loc->project), NULL);
        } else {
            *from = "arca_subject o JOIN arca_subject_label l ON l.subject_id = o.id "
                    "AND l.is_primary";
            *where = "true";
        }
        return ARCA_OK;
    case ARCA_KIND_EXPERIMENT: {
        /* the subject's label in the listing's project, else its primary one */
        static const char subject_label[] =
            " LEFT JOIN LATERAL (SELECT x.label FROM arca_subject_label x "
            "WHERE x.subject_id = o.subject_id ORDER BY (x.project = l.project) DESC, "
            "x.is_primary DESC LIMIT 1) sl ON true";
        if (loc->project) {
            *from = apr_pstrcat(p, "arca_experiment_label l JOIN arca_experiment o "
                                "ON o.id = l.experiment_id", subject_label, NULL);
            *where = apr_pstrcat(p, "l.project = ", param(ps, loc->project), NULL);
        } else {
            *from = apr_pstrcat(p, "arca_experiment o JOIN arca_experiment_label l "
                                "ON l.experiment_id = o.id AND l.is_primary", subject_label,
                                NULL);
            *where = "true";
        }
        /* a session's assessors, or else the sessions (and subject assessors) */
        if (loc->session_id)
            *where = apr_pstrcat(p, *where, " AND o.session_id = ", param(ps, loc->session_id),
                                 NULL);
        else
            *where = apr_pstrcat(p, *where, " AND o.session_id IS NULL", NULL);
        if (loc->subject_id && !loc->session_id)
            *where = apr_pstrcat(p, *where, " AND o.subject_id = ",
                                 param(ps, loc->subject_id), NULL);
        return ARCA_OK;
    }
    case ARCA_KIND_SCAN:
        *from = "arca_scan o";
        *where = apr_pstrcat(p, "o.experiment_id = ", param(ps, loc->experiment_id), NULL);
        return ARCA_OK;
    case ARCA_KIND_RECONSTRUCTION:
        *from = "arca_reconstruction o";
        *where = apr_pstrcat(p, "o.experiment_id = ", param(ps, loc->experiment_id), NULL);
        return ARCA_OK;
    case ARCA_KIND_RESOURCE:
        *from = "arca_resource o LEFT JOIN arca_scan sc ON sc.pk = o.scan_pk "
                "LEFT JOIN arca_reconstruction rc ON rc.pk = o.recon_pk";
        switch (loc->owner) {
        case ARCA_KIND_PROJECT:
            *where = apr_pstrcat(p, "o.project = ", param(ps, loc->project), NULL);
            break;
        case ARCA_KIND_SUBJECT:
            *where = apr_pstrcat(p, "o.subject_id = ", param(ps, loc->subject_id), NULL);
            break;
        case ARCA_KIND_EXPERIMENT:
            *where = apr_pstrcat(p, "o.experiment_id = ", param(ps, loc->experiment_id),
                                 NULL);
            break;
        case ARCA_KIND_RECONSTRUCTION:
            *where = apr_pstrcat(p, "o.recon_pk = ", param(ps, loc->recon_pk), "::bigint",
                                 NULL);
            break;
        default:
            *where = apr_pstrcat(p, "o.scan_pk = ", param(ps, loc->scan_pk), "::bigint",
                                 NULL);
            break;
        }
        return ARCA_OK;
    case ARCA_KIND_FILE:
        *from = "arca_file o JOIN arca_resource r ON r.pk = o.resource_pk "
                "LEFT JOIN arca_scan rs ON rs.pk = r.scan_pk "
                "LEFT JOIN arca_reconstruction rx ON rx.pk = r.recon_pk";
        if (loc->resource_pk) {
            *where = apr_pstrcat(p, "r.pk = ", param(ps, loc->resource_pk), "::bigint", NULL);
            return ARCA_OK;
        }
        *where = apr_pstrcat(p, "r.pk IN (", arca_file_set_sql(p, loc, set_param, ps), ")",
                             NULL);
        return ARCA_OK;
    default:
        return arca_error_create(p, 500, "no listing for this kind");
    }
}

/* "xnat:mrScanData/type" in an experiments listing: a column of the experiments' scans
 * of that type (XNAT answers one row per such scan). The type, or NULL. */
static const char *scan_type_of(apr_pool_t *p, arca_kind_t kind, const char *name)
{
    const char *slash = strchr(name, '/');
    const char *type;
    size_t n;

    if (kind != ARCA_KIND_EXPERIMENT || !arca_field_name_is_xpath(name))
        return NULL;
    type = apr_pstrmemdup(p, name, (apr_size_t)(slash - name));
    n = strlen(type);
    if (n < 8 || strcasecmp(type + n - 8, "ScanData") != 0 || !arca_valid_xsi_type(type))
        return NULL;
    return type;
}

/* `sql` (over a scan as "o") read over the joined scan "sc" instead. The field tables'
 * fragments name their row "o." and nothing else ends in "o." (model_fields.c). */
static const char *over_joined_scan(apr_pool_t *p, const char *sql)
{
    const char *at, *from = sql, *out = "";

    while ((at = strstr(from, "o.")) != NULL) {
        int word = at > sql && (apr_isalnum(at[-1]) || at[-1] == '_');
        out = apr_pstrcat(p, out, apr_pstrmemdup(p, from, (apr_size_t)(at - from)),
                          word ? "o." : "sc.", NULL);
        from = at + 2;
    }
    return apr_pstrcat(p, out, from, NULL);
}

/* "xnat:subjectData/label" in an experiments listing: the experiment's subject's label,
 * "subject_label" (XNAT's header for it); ".../ID" its "subject_ID"; "" for the subject's
 * other fields, which experiment listings do not show. NULL: not a subject's field. */
static const char *subject_alias(arca_kind_t kind, const char *name)
{
    static const char prefix[] = "xnat:subjectData/";
    const char *rest = name + sizeof prefix - 1;

    if (kind != ARCA_KIND_EXPERIMENT || strncasecmp(name, prefix, sizeof prefix - 1) != 0)
        return NULL;
    if (strcasecmp(rest, "label") == 0)
        return "subject_label";
    if (strcasecmp(rest, "ID") == 0)
        return "subject_ID";
    return "";
}

/* ".../provenance/processStep/program_version" (or "program/version", in any case): the
 * arca_process_step column it reads, else NULL. */
static const char *step_column(apr_pool_t *p, arca_kind_t kind, const char *name)
{
    static const char marker[] = "/provenance/processstep/";
    static const char *const columns[] = {"program", "program_version", "program_arguments",
        "timestamp", "cvs", "user", "machine", "platform", "platform_version", "compiler",
        "compiler_version", "library", "library_version", NULL};
    char *lower, *part;

    if (kind != ARCA_KIND_EXPERIMENT)
        return NULL;
    lower = apr_pstrdup(p, name);
    for (char *c = lower; *c; c++)
        *c = (char)apr_tolower(*c);
    if ((part = strstr(lower, marker)) == NULL)
        return NULL;
    part += sizeof marker - 1;
    for (char *c = part; *c; c++)
        if (*c == '/')
            *c = '_';
    for (int i = 0; columns[i]; i++)
        if (strcmp(part, columns[i]) == 0)
            return apr_pstrcat(p, "coalesce(ps.\"", columns[i], "\", '')", NULL);
    return NULL;
}

/* The SQL of one requested column, or NULL when the name means nothing here. */
static const char *column_sql(apr_pool_t *p, const arca_listing_query_t *q, params_t *ps,
                              const char *name)
{
    arca_field_ref_t ref;
    arca_kind_t kind = q->loc->kind;
    const char *sql, *subject = subject_alias(kind, name);
    int scan = ps->scans_joined && scan_type_of(p, kind, name) != NULL;

    if (subject && *subject == '\0')
        return NULL;
    if (subject)
        name = subject;
    if (ps->steps_joined && (sql = step_column(p, kind, name)) != NULL)
        return sql;
    if (scan)
        kind = ARCA_KIND_SCAN;
    if (!arca_field_resolve(p, kind, name, &ref))
        return NULL;
    if (ref.custom)
        sql = apr_pstrcat(p, "coalesce(o.fields ->> ", param(ps, ref.custom), ", '')", NULL);
    else if (ref.add_param)
        sql = apr_pstrcat(p, "coalesce(o.add_params ->> ", param(ps, ref.add_param), ", '')",
                          NULL);
    else
        sql = ref.field->read_sql;
    return scan ? over_joined_scan(p, sql) : sql;
}

static const char *const key_column[ARCA_KIND_COUNT] = {
    [ARCA_KIND_PROJECT] = "ID", [ARCA_KIND_SUBJECT] = "ID", [ARCA_KIND_EXPERIMENT] = "ID",
    [ARCA_KIND_SCAN] = "ID", [ARCA_KIND_RESOURCE] = "xnat_abstractresource_id",
    [ARCA_KIND_RECONSTRUCTION] = "ID",
};

/* The header a requested column gets: the name as asked (pyxnat matches headers to the
 * XPaths it sent), except the subject of an experiment, which XNAT heads "subject_ID"
 * however it was asked for (pyxnat reads row['subject_ID'] after asking for
 * "xnat:subjectAssessorData/subject_id"), and its label "subject_label". */
static const char *header_of(apr_pool_t *p, const arca_listing_query_t *q, const char *name,
                             int joined)
{
    arca_field_ref_t ref;
    const char *subject = subject_alias(q->loc->kind, name);

    if (subject && *subject)
        return subject;
    /* with scans joined, XPath columns are in lower case, as XNAT heads the columns of
     * its joins (pyxnat reads row['xnat:mrscandata/id'], row['xnat:mrsessiondata/label']) */
    if (joined && arca_field_name_is_xpath(name)
        && !(arca_field_resolve(p, q->loc->kind, name, &ref) && ref.field
             && strcmp(ref.field->alias, "subject_ID") == 0)) {
        char *lower = apr_pstrdup(p, name);
        for (char *c = lower; *c; c++)
            *c = (char)apr_tolower(*c);
        return lower;
    }
    if (arca_field_resolve(p, q->loc->kind, name, &ref) && ref.field
        && strcmp(ref.field->alias, "subject_ID") == 0)
        return "subject_ID";
    return name;
}

static int listed(apr_array_header_t *names, const char *name)
{
    for (int i = 0; i < names->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(names, i, const char *), name) == 0)
            return 1;
    return 0;
}

/* Is some listed column the field `alias`, by any of its names? */
static int has_field(apr_pool_t *p, const arca_listing_query_t *q, apr_array_header_t *names,
                     const char *alias)
{
    arca_field_ref_t ref;

    for (int i = 0; i < names->nelts; i++)
        if (!scan_type_of(p, q->loc->kind, APR_ARRAY_IDX(names, i, const char *))
            && arca_field_resolve(p, q->loc->kind, APR_ARRAY_IDX(names, i, const char *), &ref)
            && ref.field && strcmp(ref.field->alias, alias) == 0)
            return 1;
    return 0;
}

/* Resources and files answer XNAT's own columns whatever `columns` asks (asked ones that
 * exist come first): xnatpy asks for ID,URI,label,xsiType but reads element_name, and a
 * file's path from its URI; a row with an empty ID or xsiType it would drop. */
static int fixed_columns(arca_kind_t kind)
{
    return kind == ARCA_KIND_RESOURCE || kind == ARCA_KIND_FILE;
}

static int known_column(apr_pool_t *p, const arca_listing_query_t *q, const char *name)
{
    arca_field_ref_t ref;

    return arca_field_resolve(p, q->loc->kind, name, &ref);
}

/* The columns to show: the client's ("DEFAULT" stands for the defaults; a name that means
 * nothing here comes back as an empty column, which clients matching headers cope with
 * better than a missing one), with the key and URI added. */
static void add_columns(apr_pool_t *p, const arca_listing_query_t *q,
                        apr_array_header_t *names, const char *asked, int joined)
{
    char *list = apr_pstrdup(p, asked), *state = NULL, *tok;

    for (tok = apr_strtok(list, ",", &state); tok; tok = apr_strtok(NULL, ",", &state)) {
        if (names->nelts >= MAX_COLUMNS)
            break;
        apr_collapse_spaces(tok, tok);
        if (strcmp(tok, "DEFAULT") == 0)
            add_columns(p, q, names, default_columns[q->loc->kind], joined);
        else if (*tok && !listed(names, tok) && (!fixed_columns(q->loc->kind)
                                                 || known_column(p, q, tok)))
            APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(p, header_of(p, q, tok, joined));
    }
}

static void choose_columns(apr_pool_t *p, const arca_listing_query_t *q,
                           apr_array_header_t *names, int joined)
{
    const char *asked = q->args ? apr_table_get(q->args, "columns") : NULL;

    add_columns(p, q, names, asked && *asked ? asked : "DEFAULT", joined);
    if (fixed_columns(q->loc->kind))
        add_columns(p, q, names, "DEFAULT", joined);
    /* Clients build objects from the key and URI of each row whatever they asked for
     * (pyxnat reads ID beside `columns=alias`), so both are always there; but XNAT's
     * resource rows carry a URI only when asked, and xnatpy finds a resource's own row
     * by its numeric ID only in rows without one. */
    if (key_column[q->loc->kind] && !has_field(p, q, names, key_column[q->loc->kind]))
        APR_ARRAY_PUSH(names, const char *) = key_column[q->loc->kind];
    if (q->loc->kind != ARCA_KIND_RESOURCE && !listed(names, "URI"))
        APR_ARRAY_PUSH(names, const char *) = "URI";
}

typedef struct {
    const arca_listing_query_t *q;
    params_t *ps;
    const char *where;
    apr_pool_t *p;
} filter_baton;

/* Query-string names that steer the listing rather than filter it. */
static int is_control_arg(const char *name)
{
    static const char *const control[] = {
        "format", "columns", "sortBy", "sortOrder", "limit", "offset", "req_format",
        "event_reason", "_", "accept-not-found", "xsiType_filter", "owner", "member",
        "collaborator", NULL};
    for (int i = 0; control[i]; i++)
        if (strcmp(name, control[i]) == 0)
            return 1;
    return 0;
}

/* xsiType=a,b: any of the types, each with its subtypes as far as XNAT clients ask for
 * them: xnat:experimentData and xnat:subjectAssessorData are every experiment,
 * xnat:imageSessionData every session, xnat:imageScanData every scan. */
static void add_type_filter(filter_baton *fb, const char *value)
{
    char *list = apr_pstrdup(fb->p, value), *state = NULL, *t;
    const char *any = NULL;

    for (t = apr_strtok(list, ",", &state); t; t = apr_strtok(NULL, ",", &state)) {
        const char *cond, *ph;
        apr_collapse_spaces(t, t);
        if (!strcmp(t, "xnat:experimentData") || !strcmp(t, "xnat:subjectAssessorData")
            || !strcmp(t, "xnat:imageScanData"))
            return; /* everything */
        if (!strcmp(t, "xnat:imageSessionData"))
            cond = "o.xsi_type LIKE '%SessionData'";
        else if ((ph = param(fb->ps, t)))
            cond = apr_pstrcat(fb->p, "o.xsi_type = ", ph, NULL);
        else
            continue;
        any = any ? apr_pstrcat(fb->p, any, " OR ", cond, NULL) : cond;
    }
    fb->where = apr_pstrcat(fb->p, fb->where, " AND (", any ? any : "false", ")", NULL);
}

static int add_filter(void *data, const char *name, const char *value)
{
    filter_baton *fb = data;
    const char *expr, *ph;

    if (strcmp(name, "xsiType") == 0 && (fb->q->loc->kind == ARCA_KIND_EXPERIMENT
                                          || fb->q->loc->kind == ARCA_KIND_SCAN)) {
        add_type_filter(fb, value);
        return 1;
    }
    if (is_control_arg(name) || (expr = column_sql(fb->p, fb->q, fb->ps, name)) == NULL)
        return 1;
    if (strchr(value, '*')) {
        char *pattern = apr_pstrdup(fb->p, value);
        for (char *c = pattern; *c; c++)
            if (*c == '*')
                *c = '%';
        if ((ph = param(fb->ps, pattern)))
            fb->where = apr_pstrcat(fb->p, fb->where, " AND (", expr, ") ILIKE ", ph, NULL);
    } else if ((ph = param(fb->ps, value))) {
        fb->where = apr_pstrcat(fb->p, fb->where, " AND (", expr, ") = ", ph, NULL);
    }
    return 1;
}

static const char *natural_order(const arca_location_t *loc)
{
    switch (loc->kind) {
    /* a subject's or experiment's projects: its own first, as XNAT lists them */
    case ARCA_KIND_PROJECT: return loc->projects_of ? "sh.is_primary DESC, o.id" : "o.id";
    case ARCA_KIND_SUBJECT:
    case ARCA_KIND_EXPERIMENT: return "l.label";
    /* scan IDs are numbers as text: 2 before 10 */
    case ARCA_KIND_SCAN:
    case ARCA_KIND_RECONSTRUCTION: return "length(o.id), o.id";
    case ARCA_KIND_RESOURCE: return "o.label";
    default: return "o.path";
    }
}

static arca_error_t *parse_count(apr_pool_t *p, const apr_table_t *args, const char *name,
                                 long dflt, long max, long *out)
{
    const char *v = args ? apr_table_get(args, name) : NULL;
    char *end;

    *out = dflt;
    if (v == NULL)
        return ARCA_OK;
    *out = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || *out < 0 || *out > max)
        return arca_error_create(p, 400, "%s must be a whole number from 0 to %ld", name, max);
    return ARCA_OK;
}

/* Scan columns in an experiments listing (columns=ID,xnat:mrScanData/ID): the rows become
 * the experiments' scans of the first such column's type (xnat:imageScanData: every
 * scan), one join; experiments without one are left out, as XNAT's join leaves them. The
 * type is the first parameter after the context's, so the count query shares it. */
static arca_error_t *join_scans(apr_pool_t *p, const arca_listing_query_t *q, params_t *ps,
                                const char **from)
{
    const char *asked = q->args ? apr_table_get(q->args, "columns") : NULL;
    char *list, *state = NULL, *tok;
    const char *type = NULL, *ph;

    if (asked == NULL || q->loc->kind != ARCA_KIND_EXPERIMENT)
        return ARCA_OK;
    list = apr_pstrdup(p, asked);
    for (tok = apr_strtok(list, ",", &state); tok && !type; tok = apr_strtok(NULL, ",", &state)) {
        apr_collapse_spaces(tok, tok);
        type = scan_type_of(p, q->loc->kind, tok);
    }
    if (type == NULL)
        return ARCA_OK;
    ps->scans_joined = 1;
    if (strcasecmp(type, "xnat:imageScanData") == 0) {
        *from = apr_pstrcat(p, *from, " JOIN arca_scan sc ON sc.experiment_id = o.id", NULL);
        return ARCA_OK;
    }
    if ((ph = param(ps, type)) == NULL)
        return arca_error_create(p, 400, "too many columns or filters in this listing");
    *from = apr_pstrcat(p, *from, " JOIN arca_scan sc ON sc.experiment_id = o.id "
                        "AND lower(sc.xsi_type) = lower(", ph, ")", NULL);
    return ARCA_OK;
}

/* Columns of provenance/processStep (pyxnat's provenance.get asks for them with the
 * experiment's ID): one row per step of each experiment, headed in lower case as XNAT
 * heads the columns of its joins; experiments without steps keep one row of empty ones. */
static void join_steps(apr_pool_t *p, const arca_listing_query_t *q, params_t *ps,
                       const char **from)
{
    const char *asked = q->args ? apr_table_get(q->args, "columns") : NULL;
    char *list, *state = NULL, *tok;

    if (asked == NULL || q->loc->kind != ARCA_KIND_EXPERIMENT || ps->scans_joined)
        return;
    list = apr_pstrdup(p, asked);
    for (tok = apr_strtok(list, ",", &state); tok; tok = apr_strtok(NULL, ",", &state)) {
        apr_collapse_spaces(tok, tok);
        if (step_column(p, q->loc->kind, tok)) {
            ps->steps_joined = 1;
            *from = apr_pstrcat(p, *from, " LEFT JOIN arca_process_step ps "
                                "ON ps.experiment_id = o.id", NULL);
            return;
        }
    }
}

/* A listing's statements: its rows, and (for a page) the count of the whole list. */
typedef struct {
    params_t ps;
    apr_array_header_t *names;
    const char *sql, *count_sql;
    int n_filters;               /* the count's parameters: the first n_filters */
    int paged;
} built_t;

static arca_error_t *build(apr_pool_t *p, const arca_listing_query_t *q, built_t *b)
{
    const char *from = NULL, *where = NULL, *select = NULL, *order, *sort_by, *sort_order;
    filter_baton fb;
    long limit, offset;
    arca_error_t *err;

    b->ps = (params_t){p, {0}, 0, 0, 0};
    b->names = apr_array_make(p, 16, sizeof(const char *));
    if ((err = parse_count(p, q->args, "limit", -1, 1000000, &limit))
        || (err = parse_count(p, q->args, "offset", 0, 1000000000, &offset))
        || (err = from_where(p, q->loc, &b->ps, &from, &where)))
        return err;
    if ((err = join_scans(p, q, &b->ps, &from)))
        return err;
    join_steps(p, q, &b->ps, &from);
    {
        const char *filter = access_filter(p, q, &b->ps), *mine = role_filter(p, q, &b->ps);
        if (filter)
            where = apr_pstrcat(p, where, " AND ", filter, NULL);
        if (mine)
            where = apr_pstrcat(p, where, " AND ", mine, NULL);
    }
    /* parameters in this order: context, filters (the count query stops here), then
     * the columns' and the sort's */
    fb = (filter_baton){q, &b->ps, where, p};
    if (q->args)
        apr_table_do(add_filter, &fb, q->args, NULL);
    b->n_filters = b->ps.n;
    choose_columns(p, q, b->names, b->ps.scans_joined || b->ps.steps_joined);
    for (int i = 0; i < b->names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(b->names, i, const char *);
        const char *sql = column_sql(p, q, &b->ps, name);
        if (sql == NULL && b->ps.n == MAX_PARAMS)
            return arca_error_create(p, 400, "too many columns or filters in this listing");
        if (sql == NULL)
            sql = "''";
        select = apr_pstrcat(p, select ? select : "", select ? ", " : "", "(", sql, ")::text",
                             NULL);
    }
    order = natural_order(q->loc);
    if (b->ps.scans_joined)
        order = apr_pstrcat(p, order, ", o.id, length(sc.id), sc.id", NULL);
    if (b->ps.steps_joined)
        order = apr_pstrcat(p, order, ", o.id, ps.ord", NULL);
    sort_by = q->args ? apr_table_get(q->args, "sortBy") : NULL;
    sort_order = q->args ? apr_table_get(q->args, "sortOrder") : NULL;
    if (sort_by) {
        const char *expr = column_sql(p, q, &b->ps, sort_by);
        if (expr == NULL)
            return arca_error_create(p, 400, "sortBy: no column '%s' in this listing",
                                     sort_by);
        order = apr_pstrcat(p, "(", expr, ")",
                            sort_order && strcasecmp(sort_order, "DESC") == 0 ? " DESC" : "",
                            ", ", natural_order(q->loc),
                            b->ps.scans_joined ? ", o.id, length(sc.id), sc.id" : "",
                            b->ps.steps_joined ? ", o.id, ps.ord" : "", NULL);
    }
    b->sql = apr_pstrcat(p, "SELECT ", select, " FROM ", from, " WHERE ", fb.where,
                         " ORDER BY ", order,
                         limit >= 0 ? apr_psprintf(p, " LIMIT %ld", limit) : "",
                         offset > 0 ? apr_psprintf(p, " OFFSET %ld", offset) : "", NULL);
    b->count_sql = apr_pstrcat(p, "SELECT count(*) FROM ", from, " WHERE ", fb.where, NULL);
    b->paged = limit >= 0 || offset > 0;
    return ARCA_OK;
}

arca_error_t *arca_listing(arca_db_t *db, apr_pool_t *p, const arca_listing_query_t *q,
                           arca_resultset_t **out)
{
    built_t b;
    PGresult *res;
    arca_resultset_t *rs;
    arca_error_t *err;

    if ((err = build(p, q, &b))
        || (err = arca_db_query(db, p, &res, b.sql, b.ps.n, b.ps.params)))
        return err;
    rs = arca_resultset_make(p, title_of(q->loc->kind), b.names->nelts,
                             (const char *const *)b.names->elts);
    for (int r = 0; r < PQntuples(res); r++) {
        const char **row = apr_palloc(p, sizeof(char *) * (apr_size_t)b.names->nelts);
        for (int c = 0; c < b.names->nelts; c++)
            row[c] = PQgetvalue(res, r, c);
        arca_resultset_add(rs, row);
    }
    /* A page: totalRecords is the count of the whole list, which costs a second query;
     * a whole list counts itself. */
    if (b.paged) {
        PGresult *cnt;
        if ((err = arca_db_query(db, p, &cnt, b.count_sql, b.n_filters, b.ps.params)))
            return err;
        rs->total = atol(PQgetvalue(cnt, 0, 0));
    }
    *out = rs;
    return ARCA_OK;
}

/* ---- streaming ----------------------------------------------------------------------------- */

arca_error_t *arca_listing_stream(arca_db_t *db, apr_pool_t *p, const arca_listing_query_t *q,
                                  arca_format_t fmt, int header_only, arca_write_fn write,
                                  void *baton)
{
    built_t b;
    long total = -1;
    arca_row_out_t o;
    PGresult *res;
    arca_error_t *err;

    if ((err = build(p, q, &b)) || header_only)
        return err;
    /* one snapshot for the count and the rows, so that totalRecords is the rows' count */
    if ((err = arca_db_query(db, p, NULL, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                             0, NULL))) {
        arca_db_rollback(db, p);
        return err;
    }
    /* totalRecords, the whole list's count: a page's (JSON and XML), and a whole list's in
     * XML, which writes it before the rows (JSON counts the rows as they go) */
    if ((b.paged && fmt == ARCA_FORMAT_JSON) || fmt == ARCA_FORMAT_XML) {
        if ((err = arca_db_query(db, p, &res, b.count_sql, b.n_filters, b.ps.params))) {
            arca_db_rollback(db, p);
            return err;
        }
        total = atol(PQgetvalue(res, 0, 0));
    }
    o = (arca_row_out_t){fmt, title_of(q->loc->kind), b.names, total, 0, "listing",
                            write, baton};
    return arca_row_stream(db, p, b.sql, b.ps.n, b.ps.params, &o);
}
