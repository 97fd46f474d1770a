/* The resources of a files listing or zip, as one SQL subquery; every name from the path is
 * a parameter (sets go in whole, as a comma-separated text split in SQL). */
#include <string.h>

#include <apr_strings.h>

#include "model/file_set.h"

static const char *owner_key(const arca_location_t *loc)
{
    switch (loc->owner) {
    case ARCA_KIND_PROJECT: return loc->project;
    case ARCA_KIND_SUBJECT: return loc->subject_id;
    case ARCA_KIND_EXPERIMENT: return loc->experiment_id;
    case ARCA_KIND_RECONSTRUCTION: return loc->recon_pk;
    default: return loc->scan_pk;
    }
}

const char *arca_file_set_sql(apr_pool_t *p, const arca_location_t *loc,
                              arca_sql_param_fn param, void *baton)
{
    const char *sql;

    if (loc->resource_pk)
        return apr_pstrcat(p, "SELECT ", param(baton, loc->resource_pk), "::bigint", NULL);
    if (loc->scan_set) {
        /* a session's scans: ALL, or those named */
        sql = apr_pstrcat(p, "SELECT r.pk FROM arca_resource r JOIN arca_scan s "
                          "ON s.pk = r.scan_pk WHERE s.experiment_id = ",
                          param(baton, loc->experiment_id), NULL);
        if (strcmp(loc->scan_set, "ALL") != 0)
            sql = apr_pstrcat(p, sql, " AND s.id = ANY(string_to_array(",
                              param(baton, loc->scan_set), ", ','))", NULL);
    } else {
        sql = arca_resources_under_sql(p, loc->owner, param(baton, owner_key(loc)));
    }
    if (loc->resource_set)
        sql = apr_pstrcat(p, "SELECT pk FROM arca_resource WHERE pk IN (", sql,
                          ") AND label = ANY(string_to_array(",
                          param(baton, loc->resource_set), ", ','))", NULL);
    return sql;
}
