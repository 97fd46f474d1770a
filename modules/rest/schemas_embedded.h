/* The XML schemas in schemas/, compiled in by embed-xsd.sh (see Makefile.am). */
#ifndef ARCA_REST_SCHEMAS_EMBEDDED_H
#define ARCA_REST_SCHEMAS_EMBEDDED_H

typedef struct arca_xsd {
    const char *name; /* the file's name without ".xsd": "xnat" */
    const char *text; /* the file, byte for byte */
} arca_xsd_t;

extern const arca_xsd_t arca_xsds[];
extern const int arca_xsd_count;

#endif
