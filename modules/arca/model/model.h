/* XNAT's data model as Arca stores it: the kinds of object (project, subject, experiment,
 * scan, reconstruction), the fields each has, and how a client names them. A field is named by its alias
 * ("gender"), or by an XPath under the object's type ("xnat:subjectData/demographics[@xsi:
 * type=xnat:demographicData]/gender"), or is a custom variable
 * ("xnat:subjectData/fields/field[name=kvp]/field"). Both the PUT parameters that set
 * fields and the `columns=` of listings resolve names here, so they always agree. */
#ifndef ARCA_MODEL_H
#define ARCA_MODEL_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "base/error.h"

typedef enum {
    ARCA_KIND_PROJECT,
    ARCA_KIND_SUBJECT,
    ARCA_KIND_EXPERIMENT,
    ARCA_KIND_SCAN,
    ARCA_KIND_RESOURCE,
    ARCA_KIND_FILE,
    ARCA_KIND_RECONSTRUCTION,   /* a session's reconstructed image (last: kinds above
                                 * it compare in order) */
    ARCA_KIND_COUNT
} arca_kind_t;

typedef enum {
    ARCA_TYPE_TEXT,
    ARCA_TYPE_INTEGER,
    ARCA_TYPE_FLOAT,
    ARCA_TYPE_BOOLEAN,
    ARCA_TYPE_DATE,
    ARCA_TYPE_TIME
} arca_type_t;

typedef struct arca_field_t {
    const char *alias;          /* the listing column and PUT parameter name */
    const char *column;         /* column written by PUT; NULL: read-only */
    const char *read_sql;       /* SQL expression in listings, over the listing's aliases */
    const char *paths;          /* '|'-separated XPaths (after "{type}/") naming it too */
    arca_type_t type;
    long min, max;              /* integers: the range allowed, when max > min */
    int decimal_text;           /* text kept as sent, but a number (XNAT's xs:float) */
} arca_field_t;

/* A client's name for a field, resolved. */
typedef struct arca_field_ref_t {
    const arca_field_t *field;  /* NULL for a custom variable */
    const char *custom;         /* custom variable name, lower-cased; NULL otherwise */
    const char *add_param;      /* a scan's parameters/addParam[name=..] name; or NULL */
} arca_field_ref_t;

/* The fields of a kind, ending with a {NULL} entry. */
const arca_field_t *arca_kind_fields(arca_kind_t kind);
/* "xnat:subjectData" for subjects, and so on: the type a kind's XPaths are rooted at. */
const char *arca_kind_root_type(arca_kind_t kind);
const char *arca_kind_name(arca_kind_t kind);

/* Resolves a client's field name. Returns 1 and fills *ref when it names a field or custom
 * variable of the kind; 0 when it does not. */
int arca_field_resolve(apr_pool_t *p, arca_kind_t kind, const char *name,
                       arca_field_ref_t *ref);

/* XNAT's display field IDs of a kind ("SUBJECT_LABEL" -> the field "label"), ending with
 * a {NULL} entry: what /data/search/elements/{type} lists. */
typedef struct arca_display_field_t {
    const char *id;
    const char *alias;
} arca_display_field_t;
const arca_display_field_t *arca_kind_display_fields(arca_kind_t kind);

/* Resolves a search's field (element and field ID, as in xdat:search_field): an XPath or
 * custom variable as arca_field_resolve does, XNAT's display field IDs, the field aliases
 * in any case, and XNAT's custom variable columns ("XNAT_SUBJECTDATA_FIELD_MAP=kvp"). */
int arca_field_resolve_search(apr_pool_t *p, arca_kind_t kind, const char *element,
                              const char *field, arca_field_ref_t *ref);

/* True for a name that looks like an XPath ("ns:type/..."): such a name that does not
 * resolve is a client error, where an unknown plain name may be a control parameter. */
int arca_field_name_is_xpath(const char *name);

/* Checks a value against a type; 400 naming the field when it does not fit. The empty
 * string and "NULL" clear a field and are always accepted. */
arca_error_t *arca_value_check(apr_pool_t *p, const char *field, arca_type_t type,
                               const char *value);
/* arca_value_check, plus the field's own range. */
arca_error_t *arca_field_check(apr_pool_t *p, const arca_field_t *f, const char *value);
arca_type_t arca_type_from_name(const char *name, int *ok);
const char *arca_type_name(arca_type_t type);

/* SQL selecting the pk of every resource under an object of `kind` (its own, and those of
 * everything below it), the object's key being the placeholder `ph` ("$3"). */
const char *arca_resources_under_sql(apr_pool_t *p, arca_kind_t kind, const char *ph);

/* XNAT writes some types under element names of their own: xnat:subjectData is
 * <xnat:Subject>, xnat:mrSessionData <xnat:MRSession>. Both directions; a name without a
 * mapping is returned as it is. */
const char *arca_element_of_xsi(const char *xsi);
const char *arca_xsi_of_element(apr_pool_t *p, const char *element);

/* The session type of images of a DICOM modality (xnat:ctSessionData for CT...;
 * xnat:otherDicomSessionData for the rest), and the scan type of a session type. */
const char *arca_session_xsi(const char *modality);
const char *arca_scan_xsi(apr_pool_t *p, const char *session_xsi);

/* xsiType names: "ns:name" of letters, digits and '_'. */
int arca_valid_xsi_type(const char *xsi);

#endif
