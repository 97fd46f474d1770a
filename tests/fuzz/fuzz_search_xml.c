/* XNAT's search XML: any bytes parsed (arca_search_parse_xml), and a search that parses
 * compiled to SQL text for an ordinary user (arca_search_compile, no database) and
 * written back as a stored search, whose XML is parsed again. */
#include "fuzz_util.h"

#include "search/search.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_start();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    arca_search_t *s, *again;
    arca_search_sql_t *q;
    arca_search_ctx_t ctx = {"42", 0, NULL};
    const char *xml;

    apr_pool_create(&p, fuzz_root);
    if (!arca_search_parse_xml(p, (const char *)data, size, &s)) {
        (void)arca_search_compile(p, s, &ctx, &q);
        if (!arca_search_to_xml(p, s, &xml))
            (void)arca_search_parse_xml(p, xml, strlen(xml), &again);
    }
    apr_pool_destroy(p);
    return 0;
}
