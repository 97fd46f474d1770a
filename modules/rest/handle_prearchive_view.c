/* Looking into a prearchived session before archiving it:
 *   GET /data/prearchive/projects/{p}/{ts}/{s}            XNAT's session XML; ?format=zip:
 *                                                         its files, zipped as they stream
 *                                                         ?format=json: its row of the table
 *   GET .../{s}/scans                                     ID, type, series_description, ...
 *   GET .../{s}/scans/{scan}?format=zip                   the scan's files zipped
 *   GET .../{s}/scans/{scan}/resources                    label, file_count, ...
 *   GET .../{s}/scans/{scan}/resources/{r}/files          Name, Size, URI
 *   GET .../{s}/scans/{scan}/resources/{r}/files/{name}   one file
 * Same rights as changing it (prearchive_check). */
#include <string.h>
#include <strings.h>

#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "store/filestore.h"
#include "handlers.h"
#include "prearchive_rest.h"
#include "zip_answer.h"

static arca_error_t *open_session(request_rec *r, const route_match *m, arca_prearc_t **s)
{
    arca_db_t *db;

    return prearchive_open(r, &db, route_param(m, "project"), route_param(m, "timestamp"),
                           route_param(m, "session"), s);
}

static const char *session_uri(request_rec *r, const arca_prearc_t *s)
{
    return apr_pstrcat(r->pool, "/data/prearchive/projects/", s->project, "/", s->timestamp,
                       "/", s->folder, NULL);
}

/* The files of one scan (each of its resources), named as in the session's zip:
 * SCANS/{scan}/{resource}/{name}. */
static arca_error_t *scan_files(apr_pool_t *p, const arca_prearc_t *s,
                                const arca_prearc_scan_t *scan, apr_array_header_t **out)
{
    *out = apr_array_make(p, 16, sizeof(arca_prearc_file_t));
    for (int i = 0; i < scan->resources->nelts; i++) {
        const char *label = APR_ARRAY_IDX(scan->resources, i, arca_prearc_resource_t).label;
        apr_array_header_t *files;
        arca_error_t *err = arca_prearchive_files(p, s, scan->id, label, &files);
        if (err)
            return err;
        for (int j = 0; j < files->nelts; j++) {
            arca_prearc_file_t f = APR_ARRAY_IDX(files, j, arca_prearc_file_t);
            f.name = apr_pstrcat(p, "SCANS/", scan->id, "/", label, "/", f.name, NULL);
            APR_ARRAY_PUSH(*out, arca_prearc_file_t) = f;
        }
    }
    return ARCA_OK;
}

/* The session's files, or with `scan` only that scan's, zipped under {session}/. */
static int send_zip(request_rec *r, const arca_prearc_t *s, const arca_prearc_scan_t *scan)
{
    apr_array_header_t *files, *members;
    arca_error_t *err = scan ? scan_files(r->pool, s, scan, &files)
                             : arca_prearchive_files(r->pool, s, NULL, NULL, &files);
    int rc;

    if (err)
        return arca_http_error(r, err);
    members = apr_array_make(r->pool, files->nelts, sizeof(zip_member_t));
    for (int i = 0; i < files->nelts; i++) {
        const arca_prearc_file_t *f = &APR_ARRAY_IDX(files, i, arca_prearc_file_t);
        zip_member_t *m = apr_array_push(members);
        m->member = apr_pstrcat(r->pool, s->folder, "/", f->name, NULL);
        m->path = f->path;
    }
    /* a file gone since the listing is left out: the zip goes on */
    rc = zip_answer(r, apr_pstrcat(r->pool, s->folder, scan ? "-" : "", scan ? scan->id : "",
                                   ".zip", NULL), members, 1, &err);
    if (err)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARCA_LOGNO(10121)
                      "prearchive zip cut short: %s", err->message);
    return rc;
}

/* The session's row of the prearchive table, as a ResultSet of one (xnatpy reads a
 * session's fields so from XNAT 1.7.3 on). */
static int send_row(request_rec *r, const arca_prearc_t *s)
{
    apr_array_header_t *ids = apr_array_make(r->pool, 1, sizeof(const char *));
    arca_db_t *db;
    PGresult *res;
    arca_error_t *err;

    APR_ARRAY_PUSH(ids, const char *) = s->id;
    if ((err = arca_core.request_db(r, &db))
        || (err = arca_prearchive_rows(db, r->pool, ids, &res)))
        return arca_http_error(r, err);
    return arca_http_send_resultset(r, arca_resultset_from_pg(r->pool, "Prearchive", res),
                                    ARCA_FORMAT_HTML);
}

int handle_prearchive_get(request_rec *r, const route_match *m)
{
    const char *format = arca_http_arg(r, "format");
    apr_array_header_t *scans;
    arca_prearc_t *s;
    arca_error_t *err;

    if ((err = open_session(r, m, &s)))
        return arca_http_error(r, err);
    if (format && strcasecmp(format, "zip") == 0)
        return send_zip(r, s, NULL);
    if (format && (!strcasecmp(format, "json") || !strcasecmp(format, "csv")
                   || !strcasecmp(format, "html")))
        return send_row(r, s);
    if (format && *format && strcasecmp(format, "xml"))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "format '%s': use xml, json, csv or zip",
                                format);
    if ((err = arca_prearchive_scans(r->pool, s, &scans)))
        return arca_http_error(r, err);
    ap_set_content_type(r, "text/xml; charset=utf-8");
    if (r->header_only)
        return OK;
    if ((err = arca_prearchive_write_xml(r->pool, s, scans, arca_http_write, r)))
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ARCA_LOGNO(10122)
                      "response cut short: %s", err->message);
    return OK;
}

static const arca_prearc_scan_t *find_scan(const apr_array_header_t *scans, const char *id)
{
    for (int i = 0; i < scans->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(scans, i, arca_prearc_scan_t *)->id, id) == 0)
            return APR_ARRAY_IDX(scans, i, arca_prearc_scan_t *);
    return NULL;
}

int handle_prearchive_scans(request_rec *r, const route_match *m)
{
    static const char *const columns[] = {"ID", "type", "series_description", "xsiType",
                                          "modality", "URI"};
    const char *scan_id = route_param(m, "scan");
    const arca_prearc_scan_t *scan;
    apr_array_header_t *scans;
    arca_resultset_t *rs;
    arca_prearc_t *s;
    arca_error_t *err;

    if ((err = open_session(r, m, &s)) || (err = arca_prearchive_scans(r->pool, s, &scans)))
        return arca_http_error(r, err);
    if (scan_id) { /* .../scans/{scan}/resources */
        static const char *const rcolumns[] = {"label", "format", "content", "file_count",
                                               "file_size", "URI"};
        if ((scan = find_scan(scans, scan_id)) == NULL)
            return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no scan '%s'", scan_id);
        rs = arca_resultset_make(r->pool, "Resources", 6, rcolumns);
        for (int i = 0; i < scan->resources->nelts; i++) {
            const arca_prearc_resource_t *res = &APR_ARRAY_IDX(scan->resources, i,
                                                               arca_prearc_resource_t);
            int dicom = strcmp(res->label, "DICOM") == 0;
            const char **row = apr_pcalloc(r->pool, 6 * sizeof *row);
            row[0] = res->label;
            row[1] = dicom ? "DICOM" : "";
            row[2] = dicom ? "RAW" : "";
            row[3] = apr_itoa(r->pool, res->files);
            row[4] = apr_off_t_toa(r->pool, res->size);
            row[5] = apr_pstrcat(r->pool, session_uri(r, s), "/scans/", scan->id,
                                 "/resources/", res->label, NULL);
            arca_resultset_add(rs, row);
        }
        return arca_http_send_resultset(r, rs, ARCA_FORMAT_HTML);
    }
    rs = arca_resultset_make(r->pool, "Scans", 6, columns);
    for (int i = 0; i < scans->nelts; i++) {
        const char **row = apr_pcalloc(r->pool, 6 * sizeof *row);
        scan = APR_ARRAY_IDX(scans, i, const arca_prearc_scan_t *);
        row[0] = scan->id;
        row[1] = scan->series_description;
        row[2] = scan->series_description;
        row[3] = scan->xsi_type;
        row[4] = scan->modality;
        row[5] = apr_pstrcat(r->pool, session_uri(r, s), "/scans/", scan->id, NULL);
        arca_resultset_add(rs, row);
    }
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_HTML);
}

/* GET .../{s}/scans/{scan}: the scan's files zipped (xnatpy's PrearchiveScan.download
 * asks format=zip; there is no other form of one scan). */
int handle_prearchive_scan(request_rec *r, const route_match *m)
{
    const char *format = arca_http_arg(r, "format");
    const arca_prearc_scan_t *scan;
    apr_array_header_t *scans;
    arca_prearc_t *s;
    arca_error_t *err;

    if ((err = open_session(r, m, &s)) || (err = arca_prearchive_scans(r->pool, s, &scans)))
        return arca_http_error(r, err);
    if ((scan = find_scan(scans, route_param(m, "scan"))) == NULL)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no scan '%s'",
                                route_param(m, "scan"));
    if (format && *format && strcasecmp(format, "zip"))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "format '%s': a scan here is read as a "
                                "zip (format=zip)", format);
    return send_zip(r, s, scan);
}

static int send_file(request_rec *r, const arca_prearc_file_t *f)
{
    apr_file_t *fd;
    apr_size_t sent;

    if (apr_file_open(&fd, f->path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, r->pool)
        != APR_SUCCESS)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no such file");
    ap_set_content_type(r, "application/dicom");
    ap_set_content_length(r, f->size);
    if (r->header_only)
        return OK;
    ap_send_fd(fd, r, 0, (apr_size_t)f->size, &sent);
    return OK;
}

int handle_prearchive_files(request_rec *r, const route_match *m)
{
    static const char *const columns[] = {"Name", "Size", "URI"};
    const char *scan = route_param(m, "scan"), *resource = route_param(m, "resource");
    const char *name = route_param(m, "file");
    apr_array_header_t *files;
    arca_resultset_t *rs;
    arca_prearc_t *s;
    arca_error_t *err;

    if ((err = open_session(r, m, &s))
        || (err = arca_prearchive_files(r->pool, s, scan, resource, &files)))
        return arca_http_error(r, err);
    if (name) {
        for (int i = 0; i < files->nelts; i++)
            if (strcmp(APR_ARRAY_IDX(files, i, arca_prearc_file_t).name, name) == 0)
                return send_file(r, &APR_ARRAY_IDX(files, i, arca_prearc_file_t));
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no file '%s'", name);
    }
    rs = arca_resultset_make(r->pool, "Files", 3, columns);
    for (int i = 0; i < files->nelts; i++) {
        const arca_prearc_file_t *f = &APR_ARRAY_IDX(files, i, arca_prearc_file_t);
        const char **row = apr_pcalloc(r->pool, 3 * sizeof *row);
        row[0] = f->name;
        row[1] = apr_off_t_toa(r->pool, f->size);
        row[2] = apr_pstrcat(r->pool, session_uri(r, s), "/scans/", scan, "/resources/",
                             resource, "/files/", f->name, NULL);
        arca_resultset_add(rs, row);
    }
    return arca_http_send_resultset(r, rs, ARCA_FORMAT_HTML);
}
