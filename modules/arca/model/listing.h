/* Listings of XNAT's collections (/data/projects, .../subjects, .../scans, ...) as
 * ResultSets: the columns a client asks for (`columns=`, or the defaults XNAT clients
 * read), filters on fields (`?label=S1`, `*` as a wildcard), sorting and paging. */
#ifndef ARCA_LISTING_H
#define ARCA_LISTING_H

#include <apr_tables.h>

#include "access/account.h"
#include "db/db.h"
#include "model/locate.h"
#include "format/resultset.h"

typedef struct arca_listing_query_t {
    const arca_location_t *loc; /* a location with is_list set */
    const apr_table_t *args;    /* the query string: columns, filters, sortBy, limit... */
    const arca_account_t *who;  /* rows are limited to what this user may read (NULL:
                                 * anonymous); the caller has checked the context itself */
    int unrestricted;           /* internal use: no access filter at all */
} arca_listing_query_t;

arca_error_t *arca_listing(arca_db_t *db, apr_pool_t *p, const arca_listing_query_t *q,
                           arca_resultset_t **out);

/* The same listing streamed as PostgreSQL produces its rows (row_stream.h):
 * memory stays flat whatever the number of rows, and the output is arca_listing()'s
 * written in `fmt` byte for byte (a page's totalRecords, and XML's, which comes before the
 * rows, are counted first in the same snapshot). Errors before the first row keep their
 * status; one once rows were written (the client went away) is status 499. With
 * `header_only`, only checks the query. */
arca_error_t *arca_listing_stream(arca_db_t *db, apr_pool_t *p, const arca_listing_query_t *q,
                                  arca_format_t fmt, int header_only, arca_write_fn write,
                                  void *baton);

/* Default columns of a kind's listing, comma-separated. */
const char *arca_listing_default_columns(arca_kind_t kind);

#endif
