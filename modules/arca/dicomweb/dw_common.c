/* What the DICOMweb services share: the scope's project check, DICOM JSON values, the
 * access filter of their SQL (dw_internal.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "access/authz.h"
#include "dicomweb/dw_internal.h"

arca_error_t *arca_dw_scope_check(arca_db_t *db, apr_pool_t *p, const arca_dw_scope_t *scope,
                                  int edit)
{
    int allowed = 0, visible = 0;
    arca_error_t *err;

    if (scope->project == NULL)
        return ARCA_OK;
    if ((err = arca_can_project(db, p, scope->who, scope->project, ARCA_READ, &allowed,
                                &visible)))
        return err->status == 404 || err->status == 400
            ? arca_error_create(p, 404, "Not Found: no project '%s'", scope->project) : err;
    if (!allowed)
        return arca_error_create(p, 404, "Not Found: no project '%s'", scope->project);
    if (edit) {
        if ((err = arca_can_project(db, p, scope->who, scope->project, ARCA_EDIT, &allowed,
                                    &visible)))
            return err;
        if (!allowed)
            return arca_error_create(p, 403, "Forbidden: you may not add data to project "
                                     "'%s'", scope->project);
    }
    return ARCA_OK;
}

const char *dw_param(dw_sql_t *q, const char *value)
{
    if (q->n == q->max) {
        const char **more = apr_pcalloc(q->p, sizeof *more * (size_t)(q->max * 2 + 8));
        if (q->n)
            memcpy(more, q->params, sizeof *more * (size_t)q->n);
        q->params = more;
        q->max = q->max * 2 + 8;
    }
    q->params[q->n++] = value;
    return apr_psprintf(q->p, "$%d", q->n);
}

void dw_where(dw_sql_t *q, const char *cond)
{
    q->where = apr_pstrcat(q->p, q->where ? q->where : "", " AND ", cond, NULL);
}

/* The session e is readable through the scope: in its project (primary or shared into),
 * or in any project `who` may read. */
void dw_where_access(dw_sql_t *q, const arca_dw_scope_t *scope)
{
    if (arca_is_disabled(scope->who)) {
        dw_where(q, "false");
        return;
    }
    if (scope->project)
        dw_where(q, apr_pstrcat(q->p, "EXISTS (SELECT 1 FROM arca_experiment_label x WHERE "
                                "x.experiment_id = e.id AND x.project = ",
                                dw_param(q, scope->project), ")", NULL));
    if (!arca_sees_all(scope->who))
        dw_where(q, apr_pstrcat(q->p, "EXISTS (SELECT 1 FROM arca_experiment_label x WHERE "
            "x.experiment_id = e.id AND x.project IN (", arca_readable_projects_sql(q->p,
            dw_param(q, scope->who ? scope->who->id : NULL)), "))", NULL));
}

static int numeric_vr(const char *vr)
{
    static const char *const vrs[] = {"IS", "DS", "US", "UL", "SS", "SL", "FL", "FD", "SV",
                                      "UV"};
    for (size_t i = 0; i < sizeof vrs / sizeof vrs[0]; i++)
        if (strcmp(vr, vrs[i]) == 0)
            return 1;
    return 0;
}

static json_t *one_value(const char *vr, const char *v)
{
    if (strcmp(vr, "PN") == 0)
        return *v ? json_pack("{s:s}", "Alphabetic", v) : json_object();
    if (numeric_vr(vr)) {
        char *end;
        double d = strtod(v, &end);
        while (*end == ' ')
            end++;
        if (*v && !*end) {
            if (strcmp(vr, "DS") != 0 && vr[0] != 'F' && d == (double)(json_int_t)d)
                return json_integer((json_int_t)d);
            return json_real(d);
        }
    }
    return json_string(v);
}

json_t *arca_dw_attr(const char *vr, const char *value)
{
    json_t *o = json_pack("{s:s}", "vr", vr), *arr;
    const char *v = value, *sep;

    if (value == NULL || *value == '\0')
        return o;
    arr = json_array();
    for (;;) {
        sep = strchr(v, '\\');
        size_t n = sep ? (size_t)(sep - v) : strlen(v);
        char *one = strndup(v, n);
        json_t *jv = one ? one_value(vr, one) : NULL;
        free(one);
        json_array_append_new(arr, jv ? jv : json_null());
        if (!sep)
            break;
        v = sep + 1;
    }
    json_object_set_new(o, "Value", arr);
    return o;
}

/* Binary values in a stored header name their tag ("7FE00010"): top-level ones become
 * URIs under the instance; nested ones, which the bulk resource does not reach, lose it. */
static void bulk_fix(json_t *obj, const char *instance_url, int depth)
{
    const char *key;
    json_t *attr;

    json_object_foreach(obj, key, attr) {
        json_t *v = json_object_get(attr, "Value");
        if (json_object_get(attr, "BulkDataURI")) {
            if (depth == 0 && instance_url)
                json_object_set_new(attr, "BulkDataURI", json_sprintf("%s/bulk/%s",
                                                                       instance_url, key));
            else
                json_object_del(attr, "BulkDataURI");
        }
        if (json_is_array(v) && json_is_string(json_object_get(attr, "vr"))
            && strcmp(json_string_value(json_object_get(attr, "vr")), "SQ") == 0) {
            for (size_t i = 0; i < json_array_size(v); i++)
                bulk_fix(json_array_get(v, i), instance_url, depth + 1);
        }
    }
}

void dw_bulk_uris(json_t *header, const char *instance_url)
{
    bulk_fix(header, instance_url, 0);
}

const char *dw_instance_url(apr_pool_t *p, const arca_dw_scope_t *scope, const char *study,
                            const char *series, const char *sop)
{
    return apr_pstrcat(p, scope->base_url, "/studies/", study, "/series/", series,
                       "/instances/", sop, NULL);
}
