/* Searches: XNAT's search XML (xdat:bundle) and Arca's JSON form, both parsed into one
 * tree, compiled to one parameterised SQL query over the same field tables as listings
 * (model_fields.c), with access control in the SQL. Stored searches keep a search as
 * XNAT's xdat:stored_search document.
 *
 *   document --search_xml.c / search_json.c--> arca_search_t --search_sql.c--> SQL + $n
 *
 * Client text never reaches the SQL text: field names select fixed fragments, values
 * and custom variable names are parameters. */
#ifndef ARCA_SEARCH_H
#define ARCA_SEARCH_H

#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "access/account.h"
#include "db/db.h"
#include "base/error.h"
#include "model/model.h"
#include "format/resultset.h"

/* Limits on what a client may send (400 or 413 beyond them, with a sentence saying so). */
#define ARCA_SEARCH_MAX_DOCUMENT (1024 * 1024) /* bytes of XML or JSON */
#define ARCA_SEARCH_MAX_CRITERIA 200           /* conditions in a search */
#define ARCA_SEARCH_MAX_DEPTH 16               /* nesting of AND/OR groups */
#define ARCA_SEARCH_MAX_IN 1000                /* values of one IN */
#define ARCA_SEARCH_MAX_COLUMNS 100
#define ARCA_SEARCH_MAX_USERS 1000            /* allowed users of a stored search */
#define ARCA_SEARCH_MAX_VALUE 1024             /* bytes of one value */

typedef enum {
    ARCA_OP_EQ, ARCA_OP_NE, ARCA_OP_LT, ARCA_OP_LE, ARCA_OP_GT, ARCA_OP_GE,
    ARCA_OP_LIKE, ARCA_OP_NOT_LIKE, ARCA_OP_IN, ARCA_OP_NOT_IN,
    ARCA_OP_IS_NULL, ARCA_OP_IS_NOT_NULL
} arca_search_op_t;

/* A field as a client names it: an element (data type) and a field under it. */
typedef struct arca_search_column_t {
    const char *element;  /* "xnat:subjectData" */
    const char *field;    /* "SUBJECT_LABEL", "demographics[...]/gender", "fields/field[...]" */
    /* a search field whose field_ID was a schema path qualified with its type
     * ("xnat:mrSessionData/ID", as xnatpy sends): its header is the XNAT display ID of
     * that field ("session_id"), and it is stored qualified again */
    int schema_path;
} arca_search_column_t;

typedef struct arca_search_node_t arca_search_node_t;
struct arca_search_node_t {
    int is_group;
    /* a group: AND (or OR) of its children */
    int is_or;
    apr_array_header_t *children; /* arca_search_node_t * */
    /* a condition */
    arca_search_column_t column;
    arca_search_op_t op;
    const char *value;            /* NULL for IS [NOT] NULL */
    apr_array_header_t *values;   /* IN, NOT IN: const char * */
    const char *where;            /* where it was in the document, for error messages */
};

typedef struct arca_search_t {
    const char *root;             /* the row type: "xnat:subjectData" */
    const char *id;               /* stored searches: the ID attribute ("" for none) */
    const char *brief_description, *description;
    apr_array_header_t *columns;  /* arca_search_column_t; empty: the kind's defaults */
    arca_search_node_t *where;    /* a group, or NULL for every row */
    apr_array_header_t *users;    /* allowed_user logins (const char *) */
    const char *project;          /* stored searches: shared with this project (tag) */
    /* the JSON form and query parameters: order and page */
    arca_search_column_t sort;    /* element NULL: natural order */
    int sort_desc;
    long limit, offset;           /* -1, 0: all */
} arca_search_t;

/* Parses XNAT's search document (root xdat:bundle, xdat:search or xdat:stored_search).
 * Refuses a DOCTYPE outright, never loads anything from the network, and caps the size,
 * the number of criteria, their nesting and IN lists. Errors are 400 (413 for size)
 * naming the line and the part at fault. */
arca_error_t *arca_search_parse_xml(apr_pool_t *p, const char *doc, apr_size_t len,
                                    arca_search_t **out);

/* Parses the JSON form (docs/rest-api.md "Search"). Errors name the JSON path
 * ("where.and[1].op: unknown operator 'EQ'"). */
arca_error_t *arca_search_parse_json(apr_pool_t *p, const char *doc, apr_size_t len,
                                     arca_search_t **out);

/* The search as XNAT's xdat:stored_search document (what GET /data/search/saved/{id}
 * answers and what is stored). */
arca_error_t *arca_search_to_xml(apr_pool_t *p, const arca_search_t *s, const char **xml);

/* Declared types of custom variables: "level/name" -> arca_type_t (as intptr + 1), for
 * the names a search uses. Projects that disagree about a name's type make it text. */
typedef apr_hash_t arca_search_types_t;
arca_error_t *arca_search_load_types(arca_db_t *db, apr_pool_t *p, const arca_search_t *s,
                                     arca_search_types_t **out);

/* Who runs it: access control goes into the SQL. arca_search_ctx_for() fills one in. */
typedef struct arca_search_ctx_t {
    const char *account_id;       /* NULL: anonymous */
    int sees_all;                 /* site admin or all-data access: no filter */
    const arca_search_types_t *types; /* NULL: every custom variable is text */
} arca_search_ctx_t;

void arca_search_ctx_for(const arca_account_t *who, const arca_search_types_t *types,
                         arca_search_ctx_t *ctx);

typedef struct arca_search_sql_t {
    const char *sql;
    apr_array_header_t *params;   /* const char * */
    apr_array_header_t *headers;  /* const char *: one per column of the result */
    arca_kind_t kind;
} arca_search_sql_t;

/* Compiles a parsed search. 400 naming the condition for an unknown element or field, an
 * operator that does not fit the field, or a value that does not fit its type. */
arca_error_t *arca_search_compile(apr_pool_t *p, const arca_search_t *s,
                                  const arca_search_ctx_t *ctx, arca_search_sql_t **out);

/* Resolves an element name to the kind of its rows; 0 if it is no searchable type. */
int arca_search_element_kind(const char *element, arca_kind_t *kind);

/* Runs a compiled search and streams its rows as a ResultSet in `fmt` (json, csv, xml or
 * html), row by row as PostgreSQL produces them (row_stream.h): memory stays flat
 * whatever the number of rows. The statement has a time limit. An error once rows were
 * written (the client went away, the database failed) is status 499: the answer was
 * already 200. */
arca_error_t *arca_search_run(arca_db_t *db, apr_pool_t *p, const arca_search_sql_t *q,
                              arca_format_t fmt, arca_write_fn write, void *baton);

/* /data/search/elements: the searchable types, with the count of rows the user may read. */
arca_error_t *arca_search_elements(arca_db_t *db, apr_pool_t *p, const arca_search_ctx_t *ctx,
                                   arca_resultset_t **out);
/* /data/search/elements/{type}: its fields (XNAT's display field IDs, and the custom
 * variables of readable projects, as {TYPE}_FIELD_MAP={name}). 404 for no such type. */
arca_error_t *arca_search_element_fields(arca_db_t *db, apr_pool_t *p,
                                         const arca_search_ctx_t *ctx, const char *element,
                                         arca_resultset_t **out);

/* ---- stored searches (search_saved.c) --------------------------------------------------- */

/* Stored searches are their owner's, shared with the users they list, with the readers of
 * the project they are tagged with, or (no users, no project) with every user. */
arca_error_t *arca_saved_list(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                              arca_resultset_t **out);
/* Creates or replaces (owner or site admin only: 403 otherwise). *created says which. */
arca_error_t *arca_saved_put(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                             const char *id, const arca_search_t *s, int *created);
/* The stored search a user may see; 404 otherwise. */
arca_error_t *arca_saved_get(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                             const char *id, arca_search_t **s, const char **xml);
arca_error_t *arca_saved_delete(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                                const char *id);

/* ---- internals shared by the parsers ---------------------------------------------------- */
arca_error_t *arca_search_op_parse(apr_pool_t *p, const char *text, arca_search_op_t *op);
const char *arca_search_op_name(arca_search_op_t op);
/* "xnat:subjectData/fields/field[name=kvp]/field" -> element and field; 0 if no '/'. The
 * element is spelt as XNAT does, whatever its case (arca_search_element_name). */
int arca_search_split_path(apr_pool_t *p, const char *path, arca_search_column_t *col);
/* A searchable type's name as XNAT spells it ("XNAT:MRSESSIONDATA" -> "xnat:mrSessionData");
 * a name it does not know is returned as it is. */
const char *arca_search_element_name(const char *element);
/* Text safe to quote in an error message: at most 64 bytes, control characters dropped. */
const char *arca_search_quote(apr_pool_t *p, const char *text);
/* Checks the counts against the limits (criteria, depth, IN values). */
arca_error_t *arca_search_check_limits(apr_pool_t *p, const arca_search_t *s);

#endif
