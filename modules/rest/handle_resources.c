/* Resources (a labelled set of files on a project, subject, experiment or scan): list,
 * create or update (PUT, XNAT style), read as a catalog, delete. */
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>
#include <jansson.h>
#include <libxml/xmlwriter.h>

#include "access/audit.h"
#include "data.h"
#include "store/file_rows.h"
#include "store/filestore.h"
#include "model/model_write.h"

/* A PUT's state, the baton of put_body: data_in_transaction runs a data_txn_fn with its
 * state this way, so every transactional handler has this shape. */
typedef struct {
    const arca_location_t *loc;
    arca_changes_t *changes;
    const char *pk;
    int created;
} put_state;

static arca_error_t *put_body(request_rec *r, arca_db_t *db, void *baton)
{
    put_state *st = baton;
    const char *dir;
    arca_error_t *err;

    st->pk = st->loc->resource_pk;
    if (!st->loc->exists) {
        if (!arca_valid_label(st->loc->name))
            return arca_error_create(r->pool, 400, "'%s' is not a valid resource label: use "
                                     "1-64 letters, digits, '_', '-' or '.'", st->loc->name);
        if ((err = arca_resource_find_or_create(db, r->pool, st->loc, st->loc->name, &st->pk,
                                                &dir, &st->created)))
            return err;
    }
    return arca_changes_apply(db, r->pool, ARCA_KIND_RESOURCE, st->pk, NULL, st->changes);
}

/* The resource as XNAT's catalog document: one cat:entry per file. */
static int send_catalog(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    apr_array_header_t *files;
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
    arca_error_t *err = arca_resource_files(db, r->pool, loc->resource_pk, &files);

    if (err)
        return arca_http_error(r, err);
    buf = xmlBufferCreate();
    w = xmlNewTextWriterMemory(buf, 0);
    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
    xmlTextWriterStartElement(w, BAD_CAST "cat:Catalog");
    xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:cat", BAD_CAST "http://nrg.wustl.edu/catalog");
    xmlTextWriterWriteAttribute(w, BAD_CAST "ID", BAD_CAST loc->resource_label);
    xmlTextWriterStartElement(w, BAD_CAST "cat:entries");
    for (int i = 0; i < files->nelts; i++) {
        const arca_file_row_t *f = &APR_ARRAY_IDX(files, i, arca_file_row_t);
        const struct { const char *name, *value; } attrs[] = {
            {"URI", f->path}, {"size", apr_off_t_toa(r->pool, f->size)}, {"digest", f->digest},
            {"format", f->format}, {"content", f->content}, {"tags", f->tags},
        };
        xmlTextWriterStartElement(w, BAD_CAST "cat:entry");
        xmlTextWriterWriteAttribute(w, BAD_CAST "ID", BAD_CAST f->path);
        for (size_t c = 0; c < sizeof attrs / sizeof attrs[0]; c++)
            if (*attrs[c].value)
                xmlTextWriterWriteAttribute(w, BAD_CAST attrs[c].name, BAD_CAST attrs[c].value);
        xmlTextWriterEndElement(w);
    }
    xmlTextWriterEndDocument(w);
    xmlFreeTextWriter(w);
    ap_set_content_type(r, "text/xml; charset=utf-8");
    if (!r->header_only)
        ap_rwrite(xmlBufferContent(buf), xmlBufferLength(buf), r);
    xmlBufferFree(buf);
    return OK;
}

/* ?format=json: the resource as XNAT's items JSON, which newer xnatpy reads after creating
 * one (its type from meta, its key from data_fields); the catalog XML is the default. */
static int send_item_json(request_rec *r, const arca_location_t *loc)
{
    json_t *item = json_pack("{s:{s:s,s:b},s:{s:s,s:s},s:[]}",
                             "meta", "xsi:type", "xnat:resourceCatalog", "isHistory", 0,
                             "data_fields", "xnat_abstractresource_id", loc->resource_pk,
                             "label", loc->resource_label, "children");

    return arca_http_send_json(r, json_pack("{s:[o]}", "items", item));
}

typedef struct {
    const arca_location_t *loc;
    apr_array_header_t *dirs;
} delete_state;

static arca_error_t *delete_body(request_rec *r, arca_db_t *db, void *baton)
{
    delete_state *st = baton;
    arca_error_t *err = arca_delete(db, r->pool, ARCA_KIND_RESOURCE, st->loc->resource_pk,
                                    &st->dirs);

    return err ? err : arca_audit(db, r->pool, arca_http_user(r), "deleted", r->uri,
                                  "resource", r->useragent_ip);
}

int data_resource(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    arca_error_t *err;

    if (r->method_number == M_GET) {
        if (loc->is_list)
            return data_send_listing(r, db, loc);
        if (!loc->exists)
            return arca_http_errorf(r, HTTP_NOT_FOUND, "no resource '%s'", loc->name);
        if (arca_http_arg(r, "format") && strcmp(arca_http_arg(r, "format"), "json") == 0)
            return send_item_json(r, loc);
        return send_catalog(r, db, loc);
    }
    if (loc->is_list)
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "%s a single resource, not the "
                                "list", r->method);
    if (r->method_number == M_PUT || r->method_number == M_POST) {
        put_state st = {loc, NULL, NULL, 0};
        if ((err = arca_changes_from_args(r->pool, ARCA_KIND_RESOURCE, arca_http_args(r),
                                          &st.changes))
            || (err = data_in_transaction(r, db, put_body, &st)))
            return arca_http_error(r, err);
        r->status = st.created ? HTTP_CREATED : HTTP_OK;
        return arca_http_send_text(r, "text/plain; charset=utf-8", st.pk);
    }
    if (r->method_number == M_DELETE) {
        delete_state st = {loc, NULL};
        if (!loc->exists)
            return arca_http_errorf(r, HTTP_NOT_FOUND, "no resource '%s'", loc->name);
        if ((err = data_in_transaction(r, db, delete_body, &st)))
            return arca_http_error(r, err);
        if (arca_http_flag(r, "removeFiles"))
            data_remove_dirs(r, st.dirs);
        return OK;
    }
    apr_table_setn(r->headers_out, "Allow", "GET, PUT, POST, DELETE");
    return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "%s is not allowed here", r->method);
}
