/* Arca's JSON search form: any bytes parsed (arca_search_parse_json), and a search that
 * parses compiled to SQL text, once for an ordinary user and once for one who sees all
 * (arca_search_compile, no database), and written as a stored search's XML. */
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
    arca_search_t *s;
    arca_search_sql_t *q;
    arca_search_ctx_t user = {"42", 0, NULL}, admin = {"1", 1, NULL};
    const char *xml;

    apr_pool_create(&p, fuzz_root);
    if (!arca_search_parse_json(p, (const char *)data, size, &s)) {
        (void)arca_search_compile(p, s, &user, &q);
        (void)arca_search_compile(p, s, &admin, &q);
        (void)arca_search_to_xml(p, s, &xml);
    }
    apr_pool_destroy(p);
    return 0;
}
