/* Versions, and library start-up for programs that are not httpd. */
#include <stdlib.h>

#include <apr_general.h>
#include <libxml/parser.h>

#include "config.h"
#include "base/arca.h"

const char *arca_version(void)
{
    return PACKAGE_VERSION;
}

const char *arca_xnat_compat_version(void)
{
    return ARCA_XNAT_COMPAT_VERSION;
}

int arca_library_init(void)
{
    if (apr_initialize() != APR_SUCCESS)
        return -1;
    atexit(apr_terminate);
    xmlInitParser();
    return 0;
}
