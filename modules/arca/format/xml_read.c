/* Small readers of a parsed libxml2 tree (see xml_read.h). */
#include <string.h>

#include <apr_strings.h>

#include "format/xml_read.h"

int arca_xml_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

const char *arca_xml_attr(apr_pool_t *p, xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    const char *s = v ? apr_pstrdup(p, (const char *)v) : NULL;

    xmlFree(v);
    return s;
}
