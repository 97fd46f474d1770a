/* WADO-RS: the instances a request names, their metadata (see dicomweb.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "dicom/instance_index.h"
#include "dicomweb/dw_internal.h"

/* The DICOM files a request names, with their index rows when they have one. A file's
 * name is its SOP Instance UID (import.c), which finds an instance not indexed yet. */
static arca_error_t *query(arca_db_t *db, apr_pool_t *p, const arca_dw_scope_t *scope,
                           const char *study, const char *series, const char *sop,
                           PGresult **res)
{
    dw_sql_t q = {.p = p};

    dw_where(&q, apr_pstrcat(p, "e.uid = ", dw_param(&q, study), NULL));
    if (series)
        dw_where(&q, apr_pstrcat(p, "s.uid = ", dw_param(&q, series), NULL));
    if (sop)
        dw_where(&q, apr_pstrcat(p, "coalesce(i.sop_uid, regexp_replace(f.path, '\\.dcm$', "
                                 "'')) = ", dw_param(&q, sop), NULL));
    dw_where_access(&q, scope);
    return arca_db_query(db, p, res, apr_pstrcat(p,
        "SELECT r.dir || '/' || f.path, f.resource_pk, f.path, i.sop_uid IS NULL, e.uid, "
        "s.uid, i.sop_uid, i.sop_class_uid, i.transfer_syntax, i.frames, i.pixel_offset, "
        "i.pixel_length, i.encapsulated, i.header::text "
        "FROM arca_experiment e JOIN arca_scan s ON s.experiment_id = e.id AND s.uid <> '' "
        "JOIN arca_resource r ON r.scan_pk = s.pk AND r.label = 'DICOM' "
        "JOIN arca_file f ON f.resource_pk = r.pk "
        "LEFT JOIN arca_instance i ON i.resource_pk = f.resource_pk AND i.path = f.path "
        "WHERE e.session_id IS NULL", q.where,
        " ORDER BY s.pk, i.instance_number NULLS LAST, f.path", NULL), q.n, q.params);
}

arca_error_t *arca_dw_instances(arca_db_t *db, apr_pool_t *p, const arca_dw_scope_t *scope,
                                const char *archive, const char *study_uid,
                                const char *series_uid, const char *sop_uid,
                                apr_array_header_t **instances)
{
    PGresult *res;
    arca_error_t *err;
    int indexed = 0;

    if ((err = query(db, p, scope, study_uid, series_uid, sop_uid, &res)))
        return err;
    /* files stored before the index: indexed now, once, from the file */
    for (int r = 0; r < PQntuples(res); r++) {
        if (strcmp(PQgetvalue(res, r, 3), "t") != 0)
            continue;
        apr_pool_t *sub;
        apr_pool_create(&sub, p);
        err = arca_instance_index_file(db, sub, PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
                                       apr_pstrcat(sub, archive, "/", PQgetvalue(res, r, 0),
                                                   NULL));
        apr_pool_destroy(sub);
        if (err && err->status >= 500)
            return err;
        indexed = 1;  /* a file that is not readable DICOM stays out */
    }
    if (indexed && (err = query(db, p, scope, study_uid, series_uid, sop_uid, &res)))
        return err;
    *instances = apr_array_make(p, PQntuples(res), sizeof(arca_dw_instance_t));
    for (int r = 0; r < PQntuples(res); r++) {
        if (strcmp(PQgetvalue(res, r, 3), "t") == 0)
            continue;
        arca_dw_instance_t *in = apr_array_push(*instances);
        in->file = apr_pstrcat(p, archive, "/", PQgetvalue(res, r, 0), NULL);
        in->study_uid = PQgetvalue(res, r, 4);
        in->series_uid = PQgetvalue(res, r, 5);
        in->sop_uid = PQgetvalue(res, r, 6);
        in->sop_class_uid = PQgetvalue(res, r, 7);
        in->transfer_syntax = PQgetvalue(res, r, 8);
        in->frames = atoi(PQgetvalue(res, r, 9));
        in->pixel_offset = PQgetisnull(res, r, 10) ? -1 : apr_atoi64(PQgetvalue(res, r, 10));
        in->pixel_length = PQgetisnull(res, r, 11) ? 0 : apr_atoi64(PQgetvalue(res, r, 11));
        in->encapsulated = strcmp(PQgetvalue(res, r, 12), "t") == 0;
        in->header = PQgetvalue(res, r, 13);
    }
    if ((*instances)->nelts == 0)
        return arca_error_create(p, 404, "Not Found: no such %s",
                                 sop_uid ? "instance" : series_uid ? "series" : "study");
    return ARCA_OK;
}

json_t *arca_dw_metadata(apr_pool_t *p, const arca_dw_scope_t *scope,
                         const apr_array_header_t *instances)
{
    json_t *out = json_array();

    for (int k = 0; k < instances->nelts; k++) {
        const arca_dw_instance_t *in = &APR_ARRAY_IDX(instances, k, arca_dw_instance_t);
        json_t *h = json_loads(in->header, 0, NULL);
        const char *url = dw_instance_url(p, scope, in->study_uid, in->series_uid, in->sop_uid);

        if (h == NULL)
            continue;
        dw_bulk_uris(h, url);
        json_object_del(h, "7FE00010");  /* an object read whole may have it inline */
        if (in->pixel_offset >= 0) {
            const char *vr = "OW";
            json_t *bits = json_object_get(json_object_get(h, "00280100"), "Value");
            if (in->encapsulated || json_integer_value(json_array_get(bits, 0)) <= 8)
                vr = "OB";
            json_object_set_new(h, "7FE00010", json_pack("{s:s, s:s+}", "vr", vr,
                                                         "BulkDataURI", url, "/bulk/7FE00010"));
        }
        json_array_append_new(out, h);
    }
    return out;
}
