/* The DicomEdit 6 engine's front end: any bytes as a script, lexed, parsed and compiled
 * (arca_deid_compile), the way a site or project script arrives through the config API. */
#include "fuzz_util.h"

#include "deid/deid_script.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_start();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    arca_deid_program *prog;

    apr_pool_create(&p, fuzz_root);
    if (!arca_deid_compile(p, (const char *)data, size, &prog))
        (void)arca_deid_program_size(prog);
    apr_pool_destroy(p);
    return 0;
}
