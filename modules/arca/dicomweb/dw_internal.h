/* Shared inside dicomweb/: SQL put together from fixed fragments with every value a
 * parameter, the access filter, BulkDataURIs. */
#ifndef ARCA_DW_INTERNAL_H
#define ARCA_DW_INTERNAL_H

#include "dicomweb/dicomweb.h"

typedef struct dw_sql_t {
    apr_pool_t *p;
    const char *where;      /* " AND ..." conditions */
    const char **params;
    int n, max;
} dw_sql_t;

/* Adds a parameter; returns its placeholder ("$3"). */
const char *dw_param(dw_sql_t *q, const char *value);
void dw_where(dw_sql_t *q, const char *cond);

/* The session `e` is readable through the scope. */
void dw_where_access(dw_sql_t *q, const arca_dw_scope_t *scope);

/* Rewrites a stored header's BulkDataURI placeholders (dicom.h: arca_dicom_json). */
void dw_bulk_uris(json_t *header, const char *instance_url);

const char *dw_instance_url(apr_pool_t *p, const arca_dw_scope_t *scope, const char *study,
                            const char *series, const char *sop);

#endif
