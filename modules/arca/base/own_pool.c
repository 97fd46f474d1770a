/* A pool with an allocator of its own (see arca.h). */
#include "base/arca.h"

apr_status_t arca_pool_create_own(apr_pool_t **out, apr_pool_t *parent)
{
    apr_allocator_t *alloc;
    apr_status_t rv = apr_allocator_create(&alloc);

    *out = NULL;
    if (rv != APR_SUCCESS)
        return rv;
    if ((rv = apr_pool_create_ex(out, parent, NULL, alloc)) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return rv;
    }
    apr_allocator_owner_set(alloc, *out); /* destroyed with the pool */
    return APR_SUCCESS;
}
