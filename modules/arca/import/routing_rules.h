/* Custom routing, as XNAT's: rules "(gggg,eeee):regex" that name an object's project,
 * subject or session from one of its elements. The first rule of a kind whose regex
 * matches the element's value (as received, before de-identification) gives the name: its
 * first parenthesised group, else the whole match. Rules come before XNAT's conventions
 * (comments, Study Description) and after names the request gives. Regexes are POSIX
 * extended, with GNU's \w, \s, \b. */
#ifndef ARCA_ROUTING_RULES_H
#define ARCA_ROUTING_RULES_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "dicom/dicom.h"
#include "base/error.h"

typedef enum {
    ARCA_ROUTE_PROJECT,
    ARCA_ROUTE_SUBJECT,
    ARCA_ROUTE_SESSION
} arca_route_kind_t;

typedef struct arca_routing_rule_t arca_routing_rule_t;

/* A rule from its text, living in p: 400 naming what is wrong (the tag, the regex). */
arca_error_t *arca_routing_rule_parse(apr_pool_t *p, arca_route_kind_t kind, const char *text,
                                      arca_routing_rule_t **out);

/* "project", "subject", "session" to a kind: 1, or 0 for another word. */
int arca_route_kind_parse(const char *word, arca_route_kind_t *out);

/* The name the rules (an array of arca_routing_rule_t *) give for `kind`, in p; NULL when
 * none matches. Safe to call from several threads on the same rules. */
const char *arca_routing_apply(const apr_array_header_t *rules, arca_route_kind_t kind,
                               arca_dicom_t *d, apr_pool_t *p);

#endif
