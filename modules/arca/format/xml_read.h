/* Small readers of a parsed libxml2 tree, shared by the documents Arca reads (item XML,
 * search XML). Names are local names: libxml2 keeps the namespace prefix apart. */
#ifndef ARCA_XML_READ_H
#define ARCA_XML_READ_H

#include <apr_pools.h>
#include <libxml/tree.h>

/* Whether n is an element named name. */
int arca_xml_is(xmlNodePtr n, const char *name);

/* The value of n's attribute name, copied into p; NULL if n has no such attribute. */
const char *arca_xml_attr(apr_pool_t *p, xmlNodePtr n, const char *name);

#endif
