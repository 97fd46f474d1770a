/* A short-lived per-process cache of verified passwords, so that a client sending Basic
 * credentials on every request pays for bcrypt (~50-100 ms by design) once per timeout
 * rather than on every request. Entries hold a salted SHA-1 of the password, never the
 * password, and the account's credentials generation it was verified under: a hit counts
 * only while the database still has that generation (the caller compares), so a new
 * password or a disable elsewhere ends it on the next request. Thread-safe. */
#ifndef ARCA_CREDENTIAL_CACHE_H
#define ARCA_CREDENTIAL_CACHE_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct credential_cache credential_cache;

credential_cache *credential_cache_create(apr_pool_t *p, apr_interval_time_t ttl);
/* 1 if `password` is the one remembered for `login` and not expired; *generation then
 * holds the generation it was verified under. */
int credential_cache_check(credential_cache *c, const char *login, const char *password,
                           apr_int64_t *generation);
void credential_cache_put(credential_cache *c, const char *login, const char *password,
                          apr_int64_t generation);

#endif
