/* Reading XML documents from clients (item XML, search XML): one parse with the checks
 * every such document gets, and small readers of the tree libxml2 builds. Names are local
 * names: libxml2 keeps the namespace prefix apart. */
#ifndef ARCA_XML_READ_H
#define ARCA_XML_READ_H

#include <apr_pools.h>
#include <libxml/tree.h>

#include "base/error.h"

/* libxml2 checks each attribute of an element against all the earlier ones, a cost that
 * grows with the square of their number (50,000 on one element: about a minute of CPU),
 * and builds a node for everything before any caller sees it. So the bytes are counted
 * first, in one linear pass. XNAT's documents have a dozen attributes on an element at
 * most, and a session's item XML some thousands of nodes. */
#define ARCA_XML_MAX_ATTRIBUTES 64   /* on one element, namespace declarations included */
#define ARCA_XML_MAX_NODES 200000    /* elements, attributes, comments, PIs, CDATA */

/* The pass over the raw bytes: 400 if the document has a DOCTYPE or any other markup
 * declaration (DTDs and entities are not accepted, so no entity is ever declared), an
 * element with more than ARCA_XML_MAX_ATTRIBUTES attributes, or more than
 * ARCA_XML_MAX_NODES nodes. `what` names the document in the message ("the search
 * document"). Syntax is left to libxml2: this only counts. */
arca_error_t *arca_xml_check(apr_pool_t *p, const char *doc, apr_size_t len, const char *what);

/* arca_xml_check, then libxml2 with the network off, no entity substitution, no DTD
 * loading, plus `options` (XML_PARSE_*). The tree is freed with p. Not well-formed: 400
 * "<what> is not well-formed XML: line N: <libxml2's reason>". */
arca_error_t *arca_xml_parse(apr_pool_t *p, const char *doc, apr_size_t len, const char *what,
                             int options, xmlDocPtr *out);

/* Whether n is an element named name. */
int arca_xml_is(xmlNodePtr n, const char *name);

/* The value of n's attribute name, copied into p; NULL if n has no such attribute. */
const char *arca_xml_attr(apr_pool_t *p, xmlNodePtr n, const char *name);

#endif
