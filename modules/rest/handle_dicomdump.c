/* XNAT's DICOM header dump:
 *   GET /data/services/dicomdump?src={path}[&field={tag}...][&format=json|csv|xml|html]
 * src names a scan or a session, in the archive (/archive/projects/P[/subjects/S]/
 * experiments/E[/scans/N], also after /data or /data/archive, or /experiments/E...) or in the
 * prearchive (/prearchive/projects/P/{timestamp}/{session}[/scans/N]). The answer is the
 * header of the first DICOM file of the scan (of the session's first scan with one) as a
 * ResultSet of tag1, tag2, vr, value, desc: file meta elements first, then the dataset; an
 * element inside a sequence has its top-level sequence's tag as tag1 and its own as tag2.
 * Binary values (OB, OW, UN...) are left empty and the pixel data is not listed. The same
 * rights as reading the object (archive) or working in the prearchive. */
#include <string.h>
#include <strings.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "dicom/dicom.h"
#include "dicom/dicom_values.h"
#include "store/file_rows.h"
#include "data.h"
#include "handlers.h"
#include "prearchive_rest.h"

typedef struct {
    unsigned group, element;
} tag_t;

typedef struct {
    apr_pool_t *p;
    arca_resultset_t *rs;
    apr_array_header_t *fields; /* tag_t; empty: every element */
    const char *top;            /* the tag of the current top-level element */
    int top_wanted;
} dump_t;

static const char *const columns[] = {"tag1", "tag2", "vr", "value", "desc"};

static int binary_vr(const char *vr)
{
    static const char *const binary[] = {"OB", "OW", "OF", "OD", "OL", "OV", "UN", "ox",
                                         "xs", "lt", "na", "up"};
    for (size_t i = 0; i < sizeof binary / sizeof *binary; i++)
        if (strcmp(vr, binary[i]) == 0)
            return 1;
    return 0;
}

static int wanted(const dump_t *d, unsigned group, unsigned element)
{
    if (d->fields->nelts == 0)
        return 1;
    for (int i = 0; i < d->fields->nelts; i++) {
        const tag_t *t = &APR_ARRAY_IDX(d->fields, i, tag_t);
        if (t->group == group && t->element == element)
            return 1;
    }
    return 0;
}

static arca_error_t *add_row(void *baton, const arca_dicom_element_t *e)
{
    dump_t *d = baton;
    const char *tag = apr_psprintf(d->p, "(%04X,%04X)", e->group, e->element);
    const char **row;
    arca_error_t *err;

    if (e->depth == 0) {
        d->top = tag;
        d->top_wanted = wanted(d, e->group, e->element);
    }
    if (!d->top_wanted)
        return ARCA_OK;
    row = apr_pcalloc(d->p, 5 * sizeof *row);
    row[0] = e->depth == 0 ? tag : d->top;
    row[1] = e->depth == 0 ? "" : tag;
    row[2] = e->vr;
    row[3] = "";
    if (strcmp(e->vr, "SQ") != 0 && !binary_vr(e->vr)
        && (err = arca_dicom_element_value(e, d->p, &row[3])))
        return err;
    row[3] = arca_dicom_text(d->p, row[3]);
    row[4] = e->name ? e->name : "";
    arca_resultset_add(d->rs, row);
    return ARCA_OK;
}

typedef struct {
    apr_array_header_t *fields; /* tag_t */
    const char *bad;            /* the first value that names no tag */
} fields_t;

/* Each field= value, comma-separated lists too. */
static int add_field(void *baton, const char *key, const char *value)
{
    fields_t *f = baton;
    char *list, *last, *one;

    if (strcmp(key, "field") != 0)
        return 1;
    list = apr_pstrdup(f->fields->pool, value);
    for (one = apr_strtok(list, ",", &last); one; one = apr_strtok(NULL, ",", &last)) {
        tag_t t;
        apr_collapse_spaces(one, one);
        if (!arca_dicom_tag_lookup(one, &t.group, &t.element)) {
            f->bad = one;
            return 0;
        }
        APR_ARRAY_PUSH(f->fields, tag_t) = t;
    }
    return 1;
}

static int send_dump(request_rec *r, const char *path, apr_array_header_t *fields,
                     arca_format_t fmt)
{
    dump_t d = {r->pool, arca_resultset_make(r->pool, "DICOM header", 5, columns), fields,
                "", 0};
    arca_dicom_t *obj;
    arca_error_t *err;

    if ((err = arca_dicom_read_file(r->pool, path, &obj))
        || (err = arca_dicom_iterate_meta(obj, r->pool, add_row, &d))
        || (err = arca_dicom_iterate(obj, r->pool, add_row, &d)))
        return arca_http_error(r, err->status == 400
            ? arca_error_create(r->pool, HTTP_NOT_FOUND, "no readable DICOM file there") : err);
    return arca_http_send_resultset(r, d.rs, fmt);
}

/* The first DICOM file of a prearchived session's scan, or of its first scan with one. */
static arca_error_t *prearchive_file(request_rec *r, char **seg, int n, const char **path)
{
    arca_db_t *db;
    arca_prearc_t *s;
    apr_array_header_t *scans, *files;
    arca_error_t *err;

    *path = NULL;
    if ((n != 5 && n != 7) || strcmp(seg[1], "projects") || (n == 7 && strcmp(seg[5], "scans")))
        return arca_error_create(r->pool, HTTP_BAD_REQUEST, "src: a prearchive path is "
                                 "/prearchive/projects/{project}/{timestamp}/{session}"
                                 "[/scans/{scan}]");
    if ((err = prearchive_open(r, &db, seg[2], seg[3], seg[4], &s))
        || (err = arca_prearchive_scans(r->pool, s, &scans)))
        return err;
    for (int i = 0; i < scans->nelts && !*path; i++) {
        const arca_prearc_scan_t *sc = APR_ARRAY_IDX(scans, i, arca_prearc_scan_t *);
        if (n == 7 && strcmp(sc->id, seg[6]) != 0)
            continue;
        for (int j = 0; j < sc->resources->nelts && !*path; j++) {
            const char *label = APR_ARRAY_IDX(sc->resources, j, arca_prearc_resource_t).label;
            if (strcmp(label, "DICOM") != 0)
                continue;
            if ((err = arca_prearchive_files(r->pool, s, sc->id, label, &files)))
                return err;
            if (files->nelts)
                *path = APR_ARRAY_IDX(files, 0, arca_prearc_file_t).path;
        }
    }
    if (!*path)
        return arca_error_create(r->pool, HTTP_NOT_FOUND, n == 7 ? "no DICOM file in scan "
                                 "'%s'" : "no DICOM file in this session", seg[n - 1]);
    return ARCA_OK;
}

/* The first DICOM file of an archived scan or session the user may read. */
static arca_error_t *archive_file(request_rec *r, char **seg, int n, const char **path)
{
    arca_db_t *db;
    const arca_account_t *who;
    arca_location_t loc;
    const char *rel, *root = arca_core.site_get(r)->archive;
    arca_error_t *err;

    if ((err = arca_core.request_db(r, &db))
        || (err = arca_core.request_account(r, &who))
        || (err = arca_locate(db, r->pool, (const char *const *)seg, n, &loc)))
        return err;
    if (!loc.exists)
        return arca_error_create(r->pool, HTTP_NOT_FOUND, "src: no %s '%s'",
                                 arca_kind_name(loc.kind), loc.name);
    if (loc.is_list || loc.share_project || loc.projects_of
        || loc.subject_missing
        || (loc.kind != ARCA_KIND_SCAN && loc.kind != ARCA_KIND_EXPERIMENT)
        || (loc.kind == ARCA_KIND_EXPERIMENT && loc.session_id))
        return arca_error_create(r->pool, HTTP_BAD_REQUEST, "src: name a scan or an "
                                 "imaging session");
    if ((err = data_check_access(r, db, &loc, who)))
        return err;
    if (!root)
        return arca_error_create(r->pool, 500, "ArcaArchive is not configured");
    if ((err = arca_first_dicom_file(db, r->pool, loc.experiment_id,
                                     loc.kind == ARCA_KIND_SCAN ? loc.scan_pk : NULL, &rel)))
        return err;
    if (!rel)
        return arca_error_create(r->pool, HTTP_NOT_FOUND, loc.kind == ARCA_KIND_SCAN
                                 ? "no DICOM file in scan '%s'" : "no DICOM file in "
                                 "session '%s'", loc.kind == ARCA_KIND_SCAN ? loc.scan_id
                                 : loc.experiment_label);
    *path = apr_pstrcat(r->pool, root, "/", rel, NULL);
    return ARCA_OK;
}

int handle_dicomdump(request_rec *r, const route_match *m)
{
    const char *src = arca_http_arg(r, "src"), *path;
    fields_t f = {apr_array_make(r->pool, 4, sizeof(tag_t)), NULL};
    char **seg, *copy, *last, *one;
    int n = 0;
    arca_format_t fmt;
    arca_error_t *err;

    (void)m;
    if (!src || !*src)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "src is missing: the path of a scan or "
                                "session, e.g. /archive/projects/P/experiments/E/scans/1");
    if (!apr_table_do(add_field, &f, arca_http_args(r), NULL))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "field '%s': not a DICOM tag (GGGGEEEE) "
                                "or keyword", f.bad);
    if ((err = arca_http_format(r, ARCA_FORMAT_JSON, &fmt)))
        return arca_http_error(r, err);

    copy = apr_pstrdup(r->pool, src);
    seg = apr_pcalloc(r->pool, (strlen(src) / 2 + 2) * sizeof *seg);
    for (one = apr_strtok(copy, "/", &last); one; one = apr_strtok(NULL, "/", &last))
        seg[n++] = one;
    /* XNAT's prefixes: /data, /REST, /archive, /data/archive */
    if (n && (!strcmp(seg[0], "data") || !strcmp(seg[0], "REST"))) {
        seg++;
        n--;
    }
    if (n && !strcmp(seg[0], "archive")) {
        seg++;
        n--;
    }
    if (n && !strcmp(seg[0], "prearchive"))
        err = prearchive_file(r, seg, n, &path);
    else if (n && (!strcmp(seg[0], "projects") || !strcmp(seg[0], "experiments")))
        err = archive_file(r, seg, n, &path);
    else
        err = arca_error_create(r->pool, HTTP_BAD_REQUEST, "src '%s': not the path of a scan "
                                "or session", src);
    if (err)
        return arca_http_error(r, err);
    return send_dump(r, path, f.fields, fmt);
}
