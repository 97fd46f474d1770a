/* An XML writer (libxml2) whose output goes to an arca_write_fn as it is produced, so a
 * document is streamed to the client rather than built in memory. */
#ifndef ARCA_XML_OUT_H
#define ARCA_XML_OUT_H

#include <libxml/xmlwriter.h>

#include "format/resultset.h"

typedef struct arca_xml_out_t arca_xml_out_t;

/* The writer of a new document, its XML declaration (1.0, UTF-8) begun, or NULL (out of
 * memory). */
xmlTextWriterPtr arca_xml_out_open(apr_pool_t *p, arca_write_fn write, void *baton,
                                   arca_xml_out_t **out);
/* Ends the document, frees the writer; non-zero if writing failed at any point. */
int arca_xml_out_close(arca_xml_out_t *out);

#endif
