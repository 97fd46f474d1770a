/* The item XML reader: any bytes as the body of a PUT of a project, subject or session
 * document (arca_item_xml_parse). */
#include "fuzz_util.h"

#include "model/item_xml_read.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_start();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    arca_xml_item_t *item;

    apr_pool_create(&p, fuzz_root);
    (void)arca_item_xml_parse(p, (const char *)data, size, &item);
    apr_pool_destroy(p);
    return 0;
}
