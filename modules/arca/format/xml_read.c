/* Reading XML from clients (see xml_read.h). */
#include <limits.h>
#include <string.h>

#include <apr_strings.h>
#include <libxml/parser.h>

#include "format/xml_read.h"

#define REASON_MAX 120

static const char *find(const char *from, const char *end, const char *what)
{
    const char *at = memmem(from, (size_t)(end - from), what, strlen(what));

    return at ? at + strlen(what) : end;
}

static int starts(const char *s, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);

    return (size_t)(end - s) >= n && memcmp(s, prefix, n) == 0;
}

/* Past a start tag's '>' (or to the end), counting the attributes on the way: each '='
 * outside a quoted value is one. A quoted value may hold '>' and '='. */
static const char *start_tag(const char *s, const char *end, long *attributes)
{
    *attributes = 0;
    while (s < end && *s != '>') {
        if (*s == '"' || *s == '\'') {
            const char *close = memchr(s + 1, *s, (size_t)(end - s - 1));
            s = close ? close + 1 : end;
            continue;
        }
        *attributes += *s == '=';
        s++;
    }
    return s < end ? s + 1 : end;
}

arca_error_t *arca_xml_check(apr_pool_t *p, const char *doc, apr_size_t len, const char *what)
{
    const char *s = doc, *end = doc + len;
    long nodes = 0, attributes;

    while ((s = memchr(s, '<', (size_t)(end - s))) != NULL) {
        if (starts(s, end, "<!--")) {
            s = find(s + 4, end, "-->");
        } else if (starts(s, end, "<![CDATA[")) {
            s = find(s + 9, end, "]]>");
        } else if (starts(s, end, "<!")) {
            return arca_error_create(p, 400, "%s has a DOCTYPE or another markup "
                                     "declaration: DTDs and entities are not accepted", what);
        } else if (starts(s, end, "<?")) {
            s = find(s + 2, end, "?>");
        } else if (starts(s, end, "</")) {
            s = find(s + 2, end, ">");
            continue; /* the end of a node counted at its start */
        } else {
            s = start_tag(s + 1, end, &attributes);
            if (attributes > ARCA_XML_MAX_ATTRIBUTES)
                return arca_error_create(p, 400, "%s has an element with more than %d "
                                         "attributes", what, ARCA_XML_MAX_ATTRIBUTES);
            nodes += attributes;
        }
        if (++nodes > ARCA_XML_MAX_NODES)
            return arca_error_create(p, 400, "%s has more than %d nodes (elements, "
                                     "attributes, comments)", what, ARCA_XML_MAX_NODES);
        if (s >= end)
            break;
    }
    return ARCA_OK;
}

/* libxml2's reason, for a message that reaches a client and the log: its first line, no
 * control characters, bounded. */
static const char *reason(apr_pool_t *p, const char *msg)
{
    size_t n;
    char *r;

    if (msg == NULL)
        return "unreadable";
    while (*msg == ' ')
        msg++;
    n = strcspn(msg, "\r\n");
    r = apr_pstrmemdup(p, msg, n > REASON_MAX ? REASON_MAX : n);
    for (char *c = r; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return n > REASON_MAX ? apr_pstrcat(p, r, "...", NULL) : r;
}

static apr_status_t free_doc(void *doc)
{
    xmlFreeDoc(doc);
    return APR_SUCCESS;
}

arca_error_t *arca_xml_parse(apr_pool_t *p, const char *doc, apr_size_t len, const char *what,
                             int options, xmlDocPtr *out)
{
    xmlParserCtxtPtr ctxt;
    xmlDocPtr xdoc;
    arca_error_t *err;

    *out = NULL;
    if (len > INT_MAX)
        return arca_error_create(p, 413, "%s is too large", what);
    if ((err = arca_xml_check(p, doc, len, what)))
        return err;
    if ((ctxt = xmlNewParserCtxt()) == NULL)
        return arca_error_create(p, 500, "out of memory");
    /* no XML_PARSE_NOENT, XML_PARSE_DTDLOAD or XML_PARSE_HUGE: libxml2's own limits stay */
    options &= ~(XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR | XML_PARSE_DTDVALID
                 | XML_PARSE_HUGE | XML_PARSE_XINCLUDE);
    xdoc = xmlCtxtReadMemory(ctxt, doc, (int)len, NULL, NULL,
                             options | XML_PARSE_NONET | XML_PARSE_NOERROR
                             | XML_PARSE_NOWARNING);
    if (xdoc == NULL) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        err = arca_error_create(p, 400, "%s is not well-formed XML: line %d: %s", what,
                                e ? e->line : 0, reason(p, e ? e->message : NULL));
        xmlFreeParserCtxt(ctxt);
        return err;
    }
    xmlFreeParserCtxt(ctxt);
    apr_pool_cleanup_register(p, xdoc, free_doc, apr_pool_cleanup_null);
    *out = xdoc;
    return ARCA_OK;
}

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
