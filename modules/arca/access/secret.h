/* Secrets: random tokens for sessions and alias tokens, and the SHA-256 they are stored
 * under (they are 256-bit random, so a fast hash is enough: no bcrypt needed). */
#ifndef ARCA_SECRET_H
#define ARCA_SECRET_H

#include "base/error.h"

/* `bytes` random bytes as URL-safe base64 without padding. */
arca_error_t *arca_secret_random(apr_pool_t *p, int bytes, const char **out);
/* A random UUID (version 4), XNAT's alias form. */
arca_error_t *arca_secret_uuid(apr_pool_t *p, const char **out);
/* SHA-256 of a string, 64 lowercase hex characters. */
const char *arca_sha256_hex(apr_pool_t *p, const char *s);
/* Compares two strings in time independent of where they differ. */
int arca_secret_equal(const char *a, const char *b);

#endif
