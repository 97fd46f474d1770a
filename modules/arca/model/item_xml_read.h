/* Reading an XNAT item document (what `PUT .../subjects/S1` with an XML body carries, and
 * what pyxnat sends back after editing a project's XML): its fields as the same XPath
 * names the query-string form uses, and a project's custom variable definitions
 * (xnat:studyProtocol/xnat:definitions). Parsed with the network and external entities
 * off; entities are never expanded. */
#ifndef ARCA_ITEM_XML_READ_H
#define ARCA_ITEM_XML_READ_H

#include <apr_tables.h>

#include "base/error.h"
#include "model/provenance.h"

typedef struct arca_xml_field_def_t {
    const char *data_type;  /* the studyProtocol's data-type: xnat:subjectData... */
    const char *definition; /* the variable set's ID */
    const char *name;
    const char *datatype;   /* string, integer (or int), float, boolean, date */
    int required;           /* required="1" or "true" */
    apr_array_header_t *options; /* const char *, from possibleValues/possibleValue */
} arca_xml_field_def_t;

typedef struct arca_xml_alias_t {
    const char *alias;
    const char *source;     /* "" when the document gives none */
} arca_xml_alias_t;

typedef struct arca_xml_item_t {
    const char *xsi_type;   /* from xsi:type, else from the element name */
    apr_table_t *fields;    /* "{xsi_type}/{path}" -> value, e.g. ".../demographics/gender" */
    apr_array_header_t *defs; /* arca_xml_field_def_t, from studyProtocols */
    apr_array_header_t *aliases; /* arca_xml_alias_t, from a project's xnat:aliases */
    int has_provenance;     /* the document has a provenance element... */
    apr_array_header_t *steps; /* ...with these arca_process_step_t, in order */
} arca_xml_item_t;

/* 400 with the parser's reason for a document that is not well-formed XML or not an item. */
arca_error_t *arca_item_xml_parse(apr_pool_t *p, const char *xml, apr_size_t len,
                                  arca_xml_item_t **out);

#endif
