/* Streaming XML output. */
#include <apr_strings.h>

#include "format/xml_out.h"

struct arca_xml_out_t {
    arca_write_fn write;
    void *baton;
    int failed;
    xmlTextWriterPtr writer;
};

static int out_write(void *ctx, const char *buf, int len)
{
    arca_xml_out_t *o = ctx;

    if (o->failed || o->write(o->baton, buf, (size_t)len) != 0) {
        o->failed = 1;
        return -1;
    }
    return len;
}

static int out_close(void *ctx)
{
    (void)ctx;
    return 0;
}

xmlTextWriterPtr arca_xml_out_open(apr_pool_t *p, arca_write_fn write, void *baton,
                                   arca_xml_out_t **out)
{
    arca_xml_out_t *o = apr_pcalloc(p, sizeof *o);
    xmlOutputBufferPtr buf;

    o->write = write;
    o->baton = baton;
    buf = xmlOutputBufferCreateIO(out_write, out_close, o, NULL);
    if (buf == NULL)
        return NULL;
    o->writer = xmlNewTextWriter(buf);
    if (o->writer == NULL) {
        xmlOutputBufferClose(buf);
        return NULL;
    }
    if (xmlTextWriterStartDocument(o->writer, "1.0", "UTF-8", NULL) < 0) {
        xmlFreeTextWriter(o->writer);
        return NULL;
    }
    *out = o;
    return o->writer;
}

int arca_xml_out_close(arca_xml_out_t *o)
{
    int rc = xmlTextWriterEndDocument(o->writer) < 0;

    xmlFreeTextWriter(o->writer); /* flushes and closes the output */
    return rc || o->failed;
}
