/* Password hashing (bcrypt through APR) and random secrets. */
#ifndef ARCA_PASSWORD_H
#define ARCA_PASSWORD_H

#include "base/error.h"

/* bcrypt cost: 2^10 rounds, about 50-100 ms, which is why verified credentials are
 * cached by the authentication provider rather than re-hashed on every request. */
#define ARCA_BCRYPT_COST 10

arca_error_t *arca_password_hash(apr_pool_t *p, const char *password, const char **hash);
int arca_password_matches(const char *password, const char *hash);

/* Spends the time of one arca_password_matches() on nothing, for a login that has no
 * hash to check against, so that its answer comes as late as a wrong password's. */
void arca_password_waste_time(const char *password);

/* The hash arca_password_waste_time() checks against: a bcrypt at ARCA_BCRYPT_COST. */
extern const char arca_password_dummy_hash[];

/* A random password of `len` characters from an unambiguous alphabet. */
arca_error_t *arca_random_password(apr_pool_t *p, int len, const char **out);

#endif
