/* The dcmtk bridge's reader: any bytes as a DICOM stream, read, looked at the way the
 * import does (the summary, every element and its value, the meta header), then written
 * back out, which reads the rest of the stream (pixel data and what follows it). */
#include "fuzz_util.h"

#include "dicom/dicom.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_start();
    return 0;
}

static arca_error_t *each_element(void *baton, const arca_dicom_element_t *e)
{
    const char *value;

    if (strcmp(e->vr, "SQ") != 0)
        (void)arca_dicom_element_value(e, baton, &value);
    return ARCA_OK;
}

static int discard(void *baton, const char *data, size_t len)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    fuzz_stream_t in = {data, size, 0, 4096};
    arca_dicom_t *d;
    arca_dicom_info_t info;
    const char *value;

    apr_pool_create(&p, fuzz_root);
    if (!arca_dicom_read(p, fuzz_stream_read, &in, &d)) {
        (void)arca_dicom_info(d, p, &info);
        (void)arca_dicom_iterate(d, p, each_element, p);
        (void)arca_dicom_iterate_meta(d, p, each_element, p);
        (void)arca_dicom_get(d, "(0008,1115)[0]/(0008,1140)[0]/(0008,1155)", p, &value);
        (void)arca_dicom_write(d, discard, NULL);
    }
    apr_pool_destroy(p);
    return 0;
}
