/* Files of resources: list (or one zip of everything below any object), download with
 * Range and conditional requests, upload (raw body, multipart form, or a zip/tar to
 * unpack), delete. An upload streams to a temp file in the archive, is fsynced and renamed
 * into place, and only then gets its row, all rows of one request in one transaction; on
 * any failure the transaction rolls back and the files placed by this request are removed,
 * so no row ever points at a missing file and nothing is half-written. */
#include <string.h>
#include <strings.h>

#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <apr_strings.h>

#include "store/archive_stream.h"
#include "access/audit.h"
#include "data.h"
#include "store/placements.h"
#include "handlers.h"
#include "store/file_rows.h"
#include "store/filestore.h"
#include "model/model_write.h"
#include "store/multipart.h"
#include "base/validate.h"
#include "rest_config.h"
#include "zip_answer.h"

extern module AP_MODULE_DECLARE_DATA arca_rest_module;
APLOG_USE_MODULE(arca_rest);

#define CHUNK (64 * 1024)

static const char *archive_root(request_rec *r, arca_error_t **err)
{
    const char *root = arca_core.site_get(r)->archive;

    *err = root ? ARCA_OK : arca_error_create(r->pool, 500, "ArcaArchive is not configured");
    return root;
}

/* ---- storing files ----------------------------------------------------------------------- */

typedef struct {
    request_rec *r;
    arca_db_t *db;
    const arca_location_t *loc;
    const char *archive;
    const char *tmpdir;
    const char *resource_pk;
    const char *resource_dir;
    int overwrite;
    const char *format, *content, *tags;
    arca_placements_t *placed;  /* what this request put in place, undone on failure */
    int count;
    char *buf;                  /* one read buffer for all entries of an archive */
    const char *created_dir;    /* the directory of a resource this request created */
    arca_upload_t *current;     /* multipart: the file being received */
    const char *current_name;
    int parts_with_files;
} store_t;

static arca_error_t *check_not_there(store_t *st, const char *name)
{
    int exists;
    arca_error_t *err;

    if (st->overwrite)
        return ARCA_OK;
    if ((err = arca_file_exists(st->db, st->r->pool, st->resource_pk, name, &exists)))
        return err;
    if (exists)
        return arca_error_create(st->r->pool, 409, "file '%s' already exists (add "
                                 "overwrite=true to replace it)", name);
    return ARCA_OK;
}

/* Puts a completed upload in place and records it. */
static arca_error_t *place(store_t *st, arca_upload_t *up, const char *name)
{
    const char *final = apr_pstrcat(st->r->pool, st->archive, "/", st->resource_dir, "/",
                                    name, NULL);
    arca_file_row_t row;
    arca_error_t *err;

    /* The row decides whether a file exists; a file on disk without a row is an orphan of
     * an earlier crash and is replaced. */
    if ((err = arca_placements_put(st->placed, up, st->tmpdir, final, 1)))
        return err->status == 409 ? arca_error_create(st->r->pool, 409, "'%s': %s", name,
                                                      err->message) : err;
    row = (arca_file_row_t){st->resource_pk, name, arca_upload_size(up), arca_upload_md5(up),
                            st->format, st->content, st->tags};
    st->count++;
    return arca_file_row_put(st->db, st->r->pool, &row, ARCA_FILE_ROW_UPLOAD);
}

static arca_error_t *check_name(store_t *st, const char *name)
{
    if (!arca_valid_utf8(name))
        return arca_error_create(st->r->pool, 400, "file names must be UTF-8");
    if (!arca_safe_relpath(name))
        return arca_error_create(st->r->pool, 400, "'%s' is not a safe file path inside a "
                                 "resource", name);
    return check_not_there(st, name);
}

/* One file from the raw request body. */
static arca_error_t *store_body(store_t *st, const char *name)
{
    arca_http_body_t body;
    arca_upload_t *up;
    const void *data;
    apr_size_t len;
    arca_error_t *err;

    arca_http_body_init(&body, st->r);
    if ((err = check_name(st, name)) || (err = arca_upload_begin(st->r->pool, st->tmpdir, &up)))
        return err;
    do {
        if ((err = arca_http_body_read(&body, &data, &len))
            || (len && (err = arca_upload_write(up, data, len)))) {
            arca_upload_abort(up);
            return err;
        }
    } while (len > 0);
    return place(st, up, name);
}

/* Each file of a zip or tar body, at its path inside the archive. */
static arca_error_t *store_entry(void *baton, const char *name, apr_off_t size,
                                 arca_archive_entry_t *e)
{
    store_t *st = baton;
    arca_upload_t *up;
    apr_size_t got;
    arca_error_t *err;

    if ((err = check_name(st, name)) || (err = arca_upload_begin(st->r->pool, st->tmpdir, &up)))
        return err;
    do {
        if ((err = arca_archive_entry_read(e, st->buf, CHUNK, &got))
            || (got && (err = arca_upload_write(up, st->buf, got)))) {
            arca_upload_abort(up);
            return err;
        }
    } while (got > 0);
    return place(st, up, name);
}

static arca_error_t *store_archive(store_t *st)
{
    arca_archive_limits_t limits = rest_import_limits(st->r);
    arca_http_body_t body;
    int count;
    arca_error_t *err;

    arca_http_body_init(&body, st->r);
    st->buf = apr_palloc(st->r->pool, CHUNK);
    /* the import service's limits: the same bomb unpacks to the same disk */
    err = arca_archive_extract(st->r->pool, &limits, arca_http_body_read, &body, store_entry,
                               st, &count);
    if (!err && count == 0)
        err = arca_error_create(st->r->pool, 400, "the archive holds no files");
    return err;
}

/* multipart/form-data: the file part(s) go to the URL's file name (one file) or, when
 * the URL names no file, to each part's own file name. Other form fields are ignored. */
static arca_error_t *part_begin(void *baton, const char *name, const char *filename,
                                const char *content_type)
{
    store_t *st = baton;
    arca_error_t *err;

    if (filename == NULL)
        return ARCA_OK;
    if (st->current_name == NULL || st->parts_with_files > 0) {
        const char *base = strrchr(filename, '/');
        if (st->parts_with_files > 0 && st->current_name)
            return arca_error_create(st->r->pool, 400, "several files in one form upload to "
                                     "a single file name");
        st->current_name = base ? base + 1 : filename;
    }
    st->parts_with_files++;
    if ((err = check_name(st, st->current_name)))
        return err;
    return arca_upload_begin(st->r->pool, st->tmpdir, &st->current);
}

static arca_error_t *part_data(void *baton, const char *data, apr_size_t len)
{
    store_t *st = baton;

    return st->current ? arca_upload_write(st->current, data, len) : ARCA_OK;
}

static arca_error_t *part_end(void *baton)
{
    store_t *st = baton;
    arca_upload_t *up = st->current;

    if (up == NULL)
        return ARCA_OK;
    st->current = NULL;
    return place(st, up, st->current_name);
}

static arca_error_t *store_multipart(store_t *st, const char *content_type, const char *name)
{
    arca_multipart_callbacks_t cb = {part_begin, part_data, part_end, st};
    arca_http_body_t body;
    arca_multipart_t *mp;
    const char *boundary;
    const void *data;
    apr_size_t len;
    arca_error_t *err;

    arca_http_body_init(&body, st->r);
    st->current_name = name;
    if ((err = arca_multipart_boundary(st->r->pool, content_type, &boundary))
        || (err = arca_multipart_create(st->r->pool, boundary, &cb, &mp)))
        return err;
    do {
        if ((err = arca_http_body_read(&body, &data, &len))
            || (len && (err = arca_multipart_feed(mp, data, len))))
            break;
    } while (len > 0);
    if (!err)
        err = arca_multipart_finish(mp);
    if (st->current)
        arca_upload_abort(st->current);
    if (!err && st->parts_with_files == 0)
        err = arca_error_create(st->r->pool, 400, "the form holds no file");
    return err;
}

static int is_multipart(const char *content_type)
{
    return content_type && strncasecmp(content_type, "multipart/form-data", 19) == 0;
}

static const char *arg_or_empty(request_rec *r, const char *name)
{
    const char *v = arca_http_arg(r, name);

    /* pyxnat sends "U" for a format, content or tags it was not given */
    return v && strcmp(v, "U") != 0 ? v : "";
}

static arca_error_t *upload_body(request_rec *r, arca_db_t *db, void *baton)
{
    store_t *st = baton;
    const arca_location_t *loc = st->loc;
    const char *content_type = apr_table_get(r->headers_in, "Content-Type");
    arca_error_t *err;

    st->resource_pk = loc->resource_pk;
    st->resource_dir = loc->resource_dir;
    if (st->resource_pk == NULL) {
        if (!arca_valid_label(loc->resource_label))
            return arca_error_create(r->pool, 400, "'%s' is not a valid resource label",
                                     loc->resource_label);
        int created;
        /* concurrent uploads into one new resource: one creates it, the others wait */
        if ((err = arca_resource_find_or_create(db, r->pool, loc, loc->resource_label,
                                                &st->resource_pk, &st->resource_dir,
                                                &created)))
            return err;
        if (created)
            st->created_dir = st->resource_dir;
    }
    if (!arca_safe_relpath(st->resource_dir))
        return arca_error_create(r->pool, 500, "the resource's directory is not usable");
    if (arca_http_flag(r, "extract")) {
        if (is_multipart(content_type))
            return arca_error_create(r->pool, 400, "to unpack an archive, send it as the "
                                     "request body (inbody=true), not as a form");
        return store_archive(st);
    }
    if (is_multipart(content_type) && !arca_http_flag(r, "inbody"))
        return store_multipart(st, content_type, loc->file_path);
    return store_body(st, loc->file_path);
}

/* DICOM unpacked into a session's DICOM resource goes through the import path:
 * de-identified, sorted into scans by series, never stored as sent. (A scan's resources
 * keep the files as sent, as XNAT does: the import would sort them by series, not into
 * the scan the URL names.) */
static int dicom_into_session(request_rec *r, const arca_location_t *loc)
{
    if (!arca_http_flag(r, "extract") || loc->resource_label == NULL
        || strcmp(loc->resource_label, "DICOM") != 0
        || loc->owner != ARCA_KIND_EXPERIMENT)
        return DECLINED;
    if (loc->project && loc->experiment_project
        && strcmp(loc->project, loc->experiment_project) != 0)
        return arca_http_errorf(r, HTTP_CONFLICT, "upload DICOM through the session's own "
                                "project, %s", loc->experiment_project);
    return rest_import_to_session(r, loc->experiment_project, loc->subject_label,
                                  loc->experiment_label);
}

static int upload(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    store_t st;
    arca_error_t *err;
    int rc;

    if ((rc = dicom_into_session(r, loc)) != DECLINED)
        return rc;
    memset(&st, 0, sizeof st);
    st.r = r;
    st.db = db;
    st.loc = loc;
    if ((st.archive = archive_root(r, &err)) == NULL)
        return arca_http_error(r, err);
    if (loc->is_list && !arca_http_flag(r, "extract") && !is_multipart(apr_table_get(
            r->headers_in, "Content-Type")))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "name the file: .../files/{name}");
    st.tmpdir = apr_pstrcat(r->pool, st.archive, "/.tmp", NULL);
    if ((err = arca_mkdirs(r->pool, st.tmpdir)))
        return arca_http_error(r, err);
    st.overwrite = arca_http_flag(r, "overwrite");
    st.format = arg_or_empty(r, "format");
    st.content = arg_or_empty(r, "content");
    st.tags = arg_or_empty(r, "tags");
    st.placed = arca_placements_make(r->pool);
    if ((err = data_in_transaction(r, db, upload_body, &st))) {
        arca_placements_rollback(st.placed);
        if (st.created_dir) { /* the resource is rolled back: its directory goes too */
            apr_array_header_t *dirs = apr_array_make(r->pool, 1, sizeof(const char *));
            APR_ARRAY_PUSH(dirs, const char *) = st.created_dir;
            data_remove_dirs(r, dirs);
        }
        /* the body may be partly unread: do not try to keep the connection */
        r->connection->keepalive = AP_CONN_CLOSE;
        return arca_http_error(r, err);
    }
    arca_placements_done(st.placed);
    r->status = HTTP_OK;
    return arca_http_send_text(r, "text/plain; charset=utf-8",
                               apr_psprintf(r->pool, "%d file%s stored\n", st.count,
                                            st.count == 1 ? "" : "s"));
}

/* ---- download --------------------------------------------------------------------------- */

static const char *type_of(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        {".dcm", "application/dicom"}, {".zip", "application/zip"},
        {".gz", "application/gzip"}, {".json", "application/json"},
        {".xml", "text/xml"}, {".txt", "text/plain"}, {".csv", "text/csv"},
        {".png", "image/png"}, {".jpg", "image/jpeg"}, {".pdf", "application/pdf"},
    };
    size_t n = strlen(name);

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && strcasecmp(name + n - e, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

static int download(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    const char *archive, *disk;
    apr_file_t *fd;
    apr_bucket_brigade *bb;
    arca_error_t *err;
    int exists, rc;

    if ((archive = archive_root(r, &err)) == NULL)
        return arca_http_error(r, err);
    if (loc->resource_pk == NULL)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no resource '%s'",
                                loc->resource_label);
    if ((err = arca_file_exists(db, r->pool, loc->resource_pk, loc->file_path, &exists)))
        return arca_http_error(r, err);
    if (!exists)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no file '%s' in resource '%s'",
                                loc->file_path, loc->resource_label);
    disk = apr_pstrcat(r->pool, archive, "/", loc->resource_dir, "/", loc->file_path, NULL);
    if (apr_file_open(&fd, disk, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, r->pool) != APR_SUCCESS
        || apr_file_info_get(&r->finfo, APR_FINFO_NORM, fd) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARCA_LOGNO(10111)
                      "a file the database lists is missing from the archive");
        return arca_http_errorf(r, HTTP_INTERNAL_SERVER_ERROR, "the file is missing from "
                                "the archive; tell the administrator");
    }
    ap_set_content_type(r, type_of(loc->file_path));
    ap_update_mtime(r, r->finfo.mtime);
    ap_set_last_modified(r);
    ap_set_etag(r);
    apr_table_setn(r->headers_out, "Accept-Ranges", "bytes");
    ap_set_content_length(r, r->finfo.size);
    if ((rc = ap_meets_conditions(r)) != OK) {
        r->status = rc;
        return rc == HTTP_NOT_MODIFIED ? OK : rc;
    }
    if (r->header_only)
        return OK;
    /* A file bucket: the kernel sends it (sendfile), and the byterange filter answers
     * Range requests from it without reading the parts it skips. */
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_brigade_insert_file(bb, fd, 0, r->finfo.size, r->pool);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(r->connection->bucket_alloc));
    return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS ? OK : AP_FILTER_ERROR;
}

/* ---- zip of everything below a location ------------------------------------------------ */

/* One zip of every file below the object the location names (see arca_files_below for
 * the members' names). */
static int send_zip(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    const char *archive;
    apr_array_header_t *files, *members;
    arca_error_t *err;
    int rc;

    if ((archive = archive_root(r, &err)) == NULL)
        return arca_http_error(r, err);
    if ((err = arca_files_below(db, r->pool, loc, &files)))
        return arca_http_error(r, err);
    members = apr_array_make(r->pool, files->nelts, sizeof(zip_member_t));
    for (int i = 0; i < files->nelts; i++) {
        const arca_file_below_t *f = &APR_ARRAY_IDX(files, i, arca_file_below_t);
        zip_member_t *m = apr_array_push(members);
        m->member = f->member;
        m->path = apr_pstrcat(r->pool, archive, "/", f->disk_path, NULL);
    }
    rc = zip_answer(r, "files.zip", members, 0, &err);
    if (err)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARCA_LOGNO(10112)
                      "zip download cut short: %s", err->message);
    return rc;
}

/* ---- delete ----------------------------------------------------------------------------- */

static int delete_file(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    const char *archive;
    arca_error_t *err;

    if ((archive = archive_root(r, &err)) == NULL)
        return arca_http_error(r, err);
    if (loc->resource_pk == NULL)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no resource '%s'",
                                loc->resource_label);
    if ((err = arca_file_delete(db, r->pool, loc->resource_pk, loc->file_path)))
        return arca_http_error(r, err);
    /* audited after the fact: the row is gone whatever the audit says */
    (void)arca_audit(db, r->pool, arca_http_user(r), "deleted", r->uri, "file",
                     r->useragent_ip);
    apr_file_remove(apr_pstrcat(r->pool, archive, "/", loc->resource_dir, "/", loc->file_path,
                                NULL), r->pool);
    return OK;
}

int data_files(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    const char *format = arca_http_arg(r, "format");

    switch (r->method_number) {
    case M_GET:
        if (loc->resource_label && loc->resource_pk == NULL)
            return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no resource '%s'",
                                    loc->resource_label);
        if (!loc->is_list)
            return download(r, db, loc);
        if (format && strcasecmp(format, "zip") == 0)
            return send_zip(r, db, loc);
        return data_send_listing(r, db, loc);
    case M_PUT:
    case M_POST:
        if (loc->resource_pk == NULL && loc->resource_label == NULL)
            return arca_http_errorf(r, HTTP_BAD_REQUEST, "upload files into a resource: "
                                    ".../resources/{label}/files/{name}");
        return upload(r, db, loc);
    case M_DELETE:
        if (loc->is_list)
            return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "DELETE a single file");
        return delete_file(r, db, loc);
    default:
        apr_table_setn(r->headers_out, "Allow", "GET, PUT, POST, DELETE");
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "%s is not allowed here",
                                r->method);
    }
}
