/* The error type: allocated in the caller's pool, so it lives as long as the request. */
#include <apr_strings.h>

#include "base/error.h"

arca_error_t *arca_error_create(apr_pool_t *p, int status, const char *fmt, ...)
{
    arca_error_t *err = apr_palloc(p, sizeof *err);
    va_list ap;

    va_start(ap, fmt);
    err->message = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    err->status = status;
    return err;
}
