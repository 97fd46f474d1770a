/* libarca: the plain-C heart of Arca, shared by the httpd modules, arcactl and the tests.
 * Nothing here knows httpd: inputs are APR pools, libpq connections and plain strings. */
#ifndef ARCA_H
#define ARCA_H

#include <apr_pools.h>

#include "base/error.h"

/* Version of Arca itself, and the XNAT version Arca answers to XNAT clients that ask. */
const char *arca_version(void);
const char *arca_xnat_compat_version(void);

/* Initialise APR and the libraries libarca uses; for programs (arcactl, tests), not for
 * httpd, which has done it already. Returns 0 on success. */
int arca_library_init(void);

/* A pool with an allocator of its own, for a thread's use: an allocator (pchild's, or
 * the global one) is not for sharing between threads. Destroying the pool (or `parent`,
 * NULL for none) destroys the allocator. */
apr_status_t arca_pool_create_own(apr_pool_t **out, apr_pool_t *parent);

#endif
