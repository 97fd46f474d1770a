/* Projects, subjects, experiments and scans: GET (listing or item), PUT (create or update,
 * XNAT style: fields as query parameters), DELETE; and shares into other projects. */
#include <string.h>

#include <httpd.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "data.h"
#include "store/filestore.h"
#include "access/audit.h"
#include "access/membership.h"
#include "model/field_defs.h"
#include "model/item.h"
#include "model/item_xml_read.h"
#include "model/lookup.h"
#include "model/model_write.h"
#include "model/project_alias.h"
#include "model/provenance.h"

static int send_item(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    arca_item_t *item;
    arca_format_t fmt;
    arca_error_t *err;

    if ((err = arca_http_format(r, ARCA_FORMAT_XML, &fmt))
        || (err = arca_item_load(db, r->pool, loc, data_who(r), &item)))
        return arca_http_error(r, err);
    if (fmt != ARCA_FORMAT_JSON && fmt != ARCA_FORMAT_XML)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "a single %s comes as json or xml",
                                arca_kind_name(loc->kind));
    ap_set_content_type(r, arca_format_content_type(fmt));
    if (r->header_only)
        return OK;
    err = fmt == ARCA_FORMAT_JSON ? arca_item_write_json(item, r->pool, arca_http_write, r)
                                  : arca_item_write_xml(item, r->pool, arca_http_write, r);
    return err ? arca_http_error(r, err) : OK;
}

typedef struct {
    const arca_location_t *loc;
    arca_changes_t *changes;
    const char *xsi_type;
    const char *id;       /* the object's ID (created or existing) */
    const char *key;      /* its key for updates (scan: pk) */
    int created;
} put_state;

/* The scan type that goes with a session type: xnat:ctSessionData -> xnat:ctScanData. */
static const char *scan_type_for(apr_pool_t *p, const char *session_xsi)
{
    const char *suffix = session_xsi ? strstr(session_xsi, "SessionData") : NULL;

    if (suffix == NULL || suffix[11] != '\0')
        return "xnat:otherDicomScanData";
    return apr_pstrcat(p, apr_pstrmemdup(p, session_xsi, (apr_size_t)(suffix - session_xsi)),
                       "ScanData", NULL);
}

static arca_error_t *check_label(apr_pool_t *p, const char *what, const char *label)
{
    if (!arca_valid_label(label))
        return arca_error_create(p, 400, "'%s' is not a valid %s label: use 1-64 letters, "
                                 "digits, '_', '-' or '.', not starting with '.'", label, what);
    return ARCA_OK;
}

/* The subject a new experiment goes under: the path's, else `subject_ID` (ID or label). */
static arca_error_t *subject_for_new_experiment(request_rec *r, arca_db_t *db,
                                                const arca_location_t *loc, const char **id)
{
    const char *given = arca_http_arg(r, "subject_ID");

    if (loc->subject_id) {
        *id = loc->subject_id;
        return ARCA_OK;
    }
    if (given == NULL)
        return arca_error_create(r->pool, 400, "to create an experiment here, give "
                                 "subject_ID, or PUT it under .../subjects/{subject}/");
    return arca_subject_in_project(db, r->pool, loc->project, given, id, NULL, NULL);
}

static arca_error_t *create_object(request_rec *r, arca_db_t *db, put_state *st)
{
    const arca_location_t *loc = st->loc;
    const char *site = arca_core.site_get(r)->site_id, *user = arca_http_user(r);
    const char *subject_id = NULL, *label = st->changes->label ? st->changes->label : loc->name;
    arca_error_t *err;

    st->created = 1;
    switch (loc->kind) {
    case ARCA_KIND_PROJECT: {
        const arca_account_t *who = data_who(r);
        st->id = st->key = loc->name;
        if ((err = arca_project_create(db, r->pool, loc->name, user)))
            return err;
        /* the creator owns the project */
        return who ? arca_project_user_set(db, r->pool, loc->name, who->login, "owner")
                   : ARCA_OK;
    }
    case ARCA_KIND_SUBJECT:
        if (loc->project == NULL)
            return arca_error_create(r->pool, 400, "create subjects under "
                                     "/data/projects/{project}/subjects/");
        if ((err = check_label(r->pool, "subject", label)))
            return err;
        /* a concurrent PUT of the same new label: one creates, the others update it */
        err = arca_subject_find_or_create(db, r->pool, site, loc->project, label, user,
                                          &st->id, &st->created);
        st->key = st->id;
        return err;
    case ARCA_KIND_EXPERIMENT: {
        int subject_created;
        /* an assessor goes into its session's project unless the path names one */
        const char *project = loc->project ? loc->project
                              : loc->session_id ? loc->experiment_project : NULL;
        if (project == NULL)
            return arca_error_create(r->pool, 400, "create experiments under "
                                     "/data/projects/{project}/subjects/{subject}/experiments/");
        if (st->xsi_type == NULL)
            return arca_error_create(r->pool, 400, "xsiType is required to create an "
                                     "experiment (xnat:ctSessionData, xnat:mrSessionData...)");
        if ((err = check_label(r->pool, "experiment", label)))
            return err;
        /* a subject the path names that does not exist yet is created with it, as XNAT
         * does (the same transaction, the same edit right on the project) */
        if (loc->subject_missing
            && ((err = check_label(r->pool, "subject", loc->subject_label))
                || (err = arca_subject_find_or_create(db, r->pool, site, project,
                                                      loc->subject_label, user, &subject_id,
                                                      &subject_created))))
            return err;
        if (!loc->subject_missing
            && (err = subject_for_new_experiment(r, db, loc, &subject_id)))
            return err;
        err = arca_experiment_find_or_create(db, r->pool, site, project, subject_id, label,
                                             st->xsi_type, loc->session_id, user, &st->id,
                                             &st->created);
        st->key = st->id;
        return err;
    }
    case ARCA_KIND_SCAN: {
        const char *xsi = st->xsi_type;
        if ((err = check_label(r->pool, "scan", loc->name)))
            return err;
        if (xsi == NULL) {
            const char *session_xsi;
            if ((err = arca_experiment_xsi_type(db, r->pool, loc->experiment_id, &session_xsi)))
                return err;
            xsi = scan_type_for(r->pool, session_xsi);
        }
        st->id = loc->name;
        return arca_scan_create(db, r->pool, loc->experiment_id, loc->name, xsi, &st->key);
    }
    case ARCA_KIND_RECONSTRUCTION:
        if ((err = check_label(r->pool, "reconstruction", loc->name)))
            return err;
        if (st->xsi_type && strcmp(st->xsi_type, "xnat:reconstructedImageData") != 0)
            return arca_error_create(r->pool, 400, "a reconstruction is an "
                                     "xnat:reconstructedImageData, not a %s", st->xsi_type);
        st->id = loc->name;
        return arca_reconstruction_create(db, r->pool, loc->experiment_id, loc->name,
                                          &st->key);
    default:
        return arca_error_create(r->pool, 500, "cannot create this kind here");
    }
}

static arca_error_t *put_body(request_rec *r, arca_db_t *db, void *baton)
{
    put_state *st = baton;
    const arca_location_t *loc = st->loc;
    /* custom variables are typed by the project that owns the object, whichever path
     * (a share) the write came through */
    const char *project = loc->kind == ARCA_KIND_PROJECT ? loc->name
                          : loc->kind == ARCA_KIND_SUBJECT && loc->exists ? loc->subject_project
                          : loc->experiment_id && (loc->kind != ARCA_KIND_EXPERIMENT
                                                   || loc->exists) ? loc->experiment_project
                          : loc->project;
    arca_error_t *err;

    if (!loc->exists) {
        if ((err = create_object(r, db, st)))
            return err;
        if (loc->kind == ARCA_KIND_PROJECT)
            project = loc->name;
    } else {
        switch (loc->kind) {
        case ARCA_KIND_PROJECT: st->id = st->key = loc->name; break;
        case ARCA_KIND_SUBJECT: st->id = st->key = loc->subject_id; break;
        case ARCA_KIND_EXPERIMENT: st->id = st->key = loc->experiment_id; break;
        case ARCA_KIND_RECONSTRUCTION: st->id = loc->recon_id; st->key = loc->recon_pk; break;
        default: st->id = loc->scan_id; st->key = loc->scan_pk; break;
        }
        /* a new label, in the path's project, or the primary one for /data/subjects/ID */
        if (st->changes->label
            && (loc->kind == ARCA_KIND_SUBJECT || loc->kind == ARCA_KIND_EXPERIMENT)
            && ((err = check_label(r->pool, arca_kind_name(loc->kind), st->changes->label))
                || (err = arca_relabel(db, r->pool, loc->kind, st->id,
                                       loc->project ? loc->project
                                       : loc->kind == ARCA_KIND_SUBJECT ? loc->subject_project
                                       : loc->experiment_project, st->changes->label))))
            return err;
    }
    return arca_changes_apply(db, r->pool, loc->kind, st->key, project, st->changes);
}

#define MAX_DOCUMENT (8 * 1024 * 1024)

/* Does an item document's type fit what the path addresses? */
static int type_fits(arca_kind_t kind, const char *xsi)
{
    const char *level = arca_field_level_of_type(xsi);

    if (kind == ARCA_KIND_RECONSTRUCTION || strcmp(xsi, "xnat:reconstructedImageData") == 0)
        return kind == ARCA_KIND_RECONSTRUCTION
               && strcmp(xsi, "xnat:reconstructedImageData") == 0;
    return level && strcmp(level, arca_kind_name(kind)) == 0;
}

/* The query's parameters, plus the fields of an XML item document sent as the body (the
 * query wins where both name a field). Document fields Arca does not know are skipped:
 * XNAT's documents carry much that is not a field here. */
static arca_error_t *args_with_document(request_rec *r, const arca_location_t *loc,
                                        apr_table_t **args, arca_xml_item_t **doc)
{
    const apr_array_header_t *fields;
    const char *data;
    apr_size_t len;
    arca_error_t *err;

    *doc = NULL;
    *args = arca_http_args(r);
    if ((err = data_read_document(r, MAX_DOCUMENT, &data, &len)) || data == NULL)
        return err;
    if ((err = arca_item_xml_parse(r->pool, data, len, doc)))
        return err;
    if (!type_fits(loc->kind, (*doc)->xsi_type))
        return arca_error_create(r->pool, 400, "a %s document cannot be PUT as a %s",
                                 (*doc)->xsi_type, arca_kind_name(loc->kind));
    *args = apr_table_copy(r->pool, *args);
    if (apr_table_get(*args, "xsiType") == NULL)
        apr_table_setn(*args, "xsiType", (*doc)->xsi_type);
    fields = apr_table_elts((*doc)->fields);
    for (int i = 0; i < fields->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(fields, i, apr_table_entry_t);
        arca_field_ref_t ref;
        if (arca_field_resolve(r->pool, loc->kind, e->key, &ref)
            && apr_table_get(*args, e->key) == NULL)
            apr_table_setn(*args, e->key, e->val);
    }
    return ARCA_OK;
}

/* The baton of put_with_document: data_in_transaction runs a data_txn_fn with its state
 * this way, so every transactional handler has this shape. */
typedef struct {
    put_state *st;
    const arca_xml_item_t *doc;
    int replace;
} put_doc_state;

/* A project's new aliases: from alias= parameters and the document's xnat:aliases. */
static arca_error_t *add_aliases(request_rec *r, arca_db_t *db, const put_doc_state *pd)
{
    const apr_array_header_t *given = pd->st->changes->aliases;
    arca_error_t *err = ARCA_OK;

    for (int i = 0; i < given->nelts && !err; i++)
        err = arca_project_alias_add(db, r->pool, pd->st->id,
                                     APR_ARRAY_IDX(given, i, const char *), NULL);
    for (int i = 0; pd->doc && i < pd->doc->aliases->nelts && !err; i++) {
        const arca_xml_alias_t *a = &APR_ARRAY_IDX(pd->doc->aliases, i, arca_xml_alias_t);
        err = arca_project_alias_add(db, r->pool, pd->st->id, a->alias, a->source);
    }
    return err;
}

/* The object's fields, then a project's aliases and its document's custom variable
 * definitions, or an experiment document's provenance (what it holds replaces the steps;
 * none with allowDataDeletion clears them, as pyxnat's dettach asks). */
static arca_error_t *put_with_document(request_rec *r, arca_db_t *db, void *baton)
{
    put_doc_state *pd = baton;
    arca_error_t *err = put_body(r, db, pd->st);

    if (!err && pd->st->loc->kind == ARCA_KIND_PROJECT)
        err = add_aliases(r, db, pd);
    if (!err && pd->doc && pd->st->loc->kind == ARCA_KIND_EXPERIMENT
        && (pd->doc->has_provenance || pd->replace))
        return arca_provenance_replace(db, r->pool, pd->st->id, pd->doc->steps);
    if (err || pd->doc == NULL || pd->st->loc->kind != ARCA_KIND_PROJECT)
        return err;
    return arca_field_defs_apply_xml(db, r->pool, pd->st->id, pd->doc->defs, pd->replace);
}

static int put_object(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    put_state st = {loc, NULL, NULL, NULL, NULL, 0};
    arca_xml_item_t *doc;
    apr_table_t *args;
    put_doc_state pd;
    arca_error_t *err;

    if (loc->is_list) {
        apr_table_setn(r->headers_out, "Allow", "GET");
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "PUT a single %s, not the list",
                                arca_kind_name(loc->kind));
    }
    if ((err = args_with_document(r, loc, &args, &doc)))
        return arca_http_error(r, err);
    st.xsi_type = apr_table_get(args, "xsiType");
    if (st.xsi_type && !arca_valid_xsi_type(st.xsi_type))
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "xsiType '%s' is not a type name "
                                "(such as xnat:ctSessionData)", st.xsi_type);
    pd.st = &st;
    pd.doc = doc;
    pd.replace = arca_http_flag(r, "allowDataDeletion");
    if ((err = arca_changes_from_args(r->pool, loc->kind, args, &st.changes))
        || (err = data_in_transaction(r, db, put_with_document, &pd)))
        return arca_http_error(r, err);
    r->status = st.created ? HTTP_CREATED : HTTP_OK;
    return arca_http_send_text(r, "text/plain; charset=utf-8", st.id);
}

typedef struct {
    const arca_location_t *loc;
    apr_array_header_t *dirs;
    int unshared;
} delete_state;

static arca_error_t *delete_body(request_rec *r, arca_db_t *db, void *baton)
{
    delete_state *st = baton;
    const arca_location_t *loc = st->loc;
    const char *key;
    arca_error_t *err;

    switch (loc->kind) {
    case ARCA_KIND_PROJECT: key = loc->name; break;
    case ARCA_KIND_SUBJECT: key = loc->subject_id; break;
    case ARCA_KIND_EXPERIMENT: key = loc->experiment_id; break;
    case ARCA_KIND_RECONSTRUCTION: key = loc->recon_pk; break;
    default: key = loc->scan_pk; break;
    }
    /* Deleting a shared subject or experiment from a project it is only shared into
     * removes the share, as XNAT does; the object stays in its own project. */
    if (loc->project && (loc->kind == ARCA_KIND_SUBJECT || loc->kind == ARCA_KIND_EXPERIMENT)) {
        err = arca_unshare(db, r->pool, loc->kind, key, loc->project);
        if (err == ARCA_OK) {
            st->unshared = 1;
            st->dirs = apr_array_make(r->pool, 1, sizeof(const char *));
            return ARCA_OK;
        }
        if (err->status != HTTP_CONFLICT)
            return err;
    }
    if ((err = arca_delete(db, r->pool, loc->kind, key, &st->dirs)))
        return err;
    return arca_audit(db, r->pool, arca_http_user(r), "deleted", r->uri,
                      arca_kind_name(loc->kind), r->useragent_ip);
}

static int delete_object(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    delete_state st = {loc, NULL, 0};
    arca_error_t *err;

    if (loc->is_list) {
        apr_table_setn(r->headers_out, "Allow", "GET");
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "DELETE a single %s, not the "
                                "list", arca_kind_name(loc->kind));
    }
    if (!loc->exists)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "no %s '%s'", arca_kind_name(loc->kind),
                                loc->name);
    if ((err = data_in_transaction(r, db, delete_body, &st)))
        return arca_http_error(r, err);
    if (arca_http_flag(r, "removeFiles"))
        data_remove_dirs(r, st.dirs);
    return OK;
}

int data_object(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    if (r->method_number == M_GET) {
        if (loc->is_list)
            return data_send_listing(r, db, loc);
        if (!loc->exists)
            return arca_http_errorf(r, HTTP_NOT_FOUND, "no %s '%s'",
                                    arca_kind_name(loc->kind), loc->name);
        return send_item(r, db, loc);
    }
    if (r->method_number == M_PUT || r->method_number == M_POST)
        return put_object(r, db, loc);
    if (r->method_number == M_DELETE)
        return delete_object(r, db, loc);
    apr_table_setn(r->headers_out, "Allow", "GET, PUT, POST, DELETE");
    return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "%s is not allowed here", r->method);
}

/* PUT .../subjects/S/projects/OTHER?label=L[&primary=true]; DELETE removes the share. */
int data_share(request_rec *r, arca_db_t *db, const arca_location_t *loc)
{
    const char *id = loc->kind == ARCA_KIND_SUBJECT ? loc->subject_id : loc->experiment_id;
    const char *label = arca_http_arg(r, "label");
    arca_error_t *err;

    if (loc->kind != ARCA_KIND_SUBJECT && loc->kind != ARCA_KIND_EXPERIMENT)
        return arca_http_errorf(r, HTTP_NOT_FOUND, "only subjects and experiments are shared");
    if (r->method_number == M_DELETE) {
        if ((err = arca_unshare(db, r->pool, loc->kind, id, loc->share_project)))
            return arca_http_error(r, err);
        return OK;
    }
    if (r->method_number != M_PUT && r->method_number != M_POST)
        return arca_http_errorf(r, HTTP_METHOD_NOT_ALLOWED, "PUT or DELETE a share");
    if (label == NULL || *label == '\0')
        label = loc->kind == ARCA_KIND_SUBJECT ? loc->subject_label : loc->experiment_label;
    if ((err = check_label(r->pool, arca_kind_name(loc->kind), label))
        || (err = arca_db_begin(db, r->pool))
        || (err = arca_share(db, r->pool, loc->kind, id, loc->share_project, label,
                             arca_http_flag(r, "primary")))
        || (err = arca_db_commit(db, r->pool))) {
        arca_db_rollback(db, r->pool);
        return arca_http_error(r, err);
    }
    return arca_http_send_text(r, "text/plain; charset=utf-8", id);
}
