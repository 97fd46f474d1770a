/* XNAT's tabular answer ("ResultSet"): columns and rows of strings, written as JSON, CSV,
 * XML or HTML through a write callback, so a module can stream it into its output. */
#ifndef ARCA_RESULTSET_H
#define ARCA_RESULTSET_H

#include <stddef.h>

#include <apr_pools.h>
#include <apr_tables.h>
#include <libpq-fe.h>

#include "base/error.h"

typedef enum { ARCA_FORMAT_JSON, ARCA_FORMAT_CSV, ARCA_FORMAT_XML, ARCA_FORMAT_HTML }
arca_format_t;

/* Parses a `format=` value (case-insensitive). NULL or "" gives `dflt`; anything else
 * unknown is a 400. */
arca_error_t *arca_format_parse(apr_pool_t *p, const char *name, arca_format_t dflt,
                                arca_format_t *out);
const char *arca_format_content_type(arca_format_t fmt);

typedef struct arca_resultset_t {
    const char *title;
    apr_array_header_t *columns; /* const char * */
    apr_array_header_t *rows;    /* const char ** (one value per column, NULL = empty) */
    long total;                  /* totalRecords when the rows are one page; -1: all rows */
} arca_resultset_t;

arca_resultset_t *arca_resultset_make(apr_pool_t *p, const char *title, int ncolumns,
                                      const char *const *columns);
/* Adds a row; `values` must hold one entry per column and live as long as the set. */
void arca_resultset_add(arca_resultset_t *rs, const char **values);
/* A set whose columns and rows are a query result's (the result must outlive the set). */
arca_resultset_t *arca_resultset_from_pg(apr_pool_t *p, const char *title,
                                         const PGresult *res);

/* Where written bytes go; returns 0 on success, non-zero to stop writing. */
typedef int (*arca_write_fn)(void *baton, const char *data, size_t len);

arca_error_t *arca_resultset_write(const arca_resultset_t *rs, arca_format_t fmt,
                                   apr_pool_t *p, arca_write_fn write, void *baton);

/* A ResultSet written row by row as rows arrive (a search's, a listing's): memory stays flat.
 * `total`: totalRecords when it is known before the rows, else -1. JSON ends with
 * totalRecords (`total`, or the rows written); XML has the attribute only when `total` is
 * known, since it comes before the rows. Functions return 0, or non-zero once a write
 * failed. */
typedef struct arca_resultset_stream_t arca_resultset_stream_t;
arca_resultset_stream_t *arca_resultset_stream_open(apr_pool_t *p, arca_format_t fmt,
                                                    const char *title,
                                                    const apr_array_header_t *columns,
                                                    long total, arca_write_fn write,
                                                    void *baton);
int arca_resultset_stream_row(arca_resultset_stream_t *s, const char *const *values);
int arca_resultset_stream_close(arca_resultset_stream_t *s);

#endif
