/* The verified-credentials cache. Bounded: when full, it is emptied (simple, and a full
 * cache means many distinct users, each of whom then pays for one bcrypt again). */
#include <string.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_sha1.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "credential_cache.h"

#define MAX_ENTRIES 4096

typedef struct {
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    apr_time_t expires;
    apr_int64_t generation; /* the account's credentials generation when verified */
} entry;

struct credential_cache {
    apr_pool_t *pool;       /* owns the entries; cleared when the cache is emptied */
    apr_pool_t *parent;
    apr_hash_t *entries;    /* login -> entry */
    apr_thread_mutex_t *lock;
    apr_interval_time_t ttl;
    unsigned char salt[16];
};

static void digest_of(const credential_cache *c, const char *password,
                      unsigned char out[APR_SHA1_DIGESTSIZE])
{
    apr_sha1_ctx_t ctx;

    apr_sha1_init(&ctx);
    apr_sha1_update_binary(&ctx, c->salt, sizeof c->salt);
    apr_sha1_update(&ctx, password, (unsigned int)strlen(password));
    apr_sha1_final(out, &ctx);
}

credential_cache *credential_cache_create(apr_pool_t *p, apr_interval_time_t ttl)
{
    credential_cache *c = apr_pcalloc(p, sizeof *c);

    c->parent = p;
    c->ttl = ttl;
    apr_pool_create(&c->pool, p);
    c->entries = apr_hash_make(c->pool);
    apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p);
    apr_generate_random_bytes(c->salt, sizeof c->salt);
    return c;
}

/* Compares without an early exit, so timing says nothing about the digest. */
static int same_digest(const unsigned char *a, const unsigned char *b)
{
    unsigned char diff = 0;

    for (int i = 0; i < APR_SHA1_DIGESTSIZE; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

int credential_cache_check(credential_cache *c, const char *login, const char *password,
                           apr_int64_t *generation)
{
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    entry *e;
    int hit = 0;

    if (c == NULL || c->ttl <= 0)
        return 0;
    digest_of(c, password, digest);
    apr_thread_mutex_lock(c->lock);
    e = apr_hash_get(c->entries, login, APR_HASH_KEY_STRING);
    if (e && e->expires > apr_time_now() && same_digest(e->digest, digest)) {
        hit = 1;
        *generation = e->generation;
    }
    apr_thread_mutex_unlock(c->lock);
    return hit;
}

void credential_cache_put(credential_cache *c, const char *login, const char *password,
                          apr_int64_t generation)
{
    entry *e;

    if (c == NULL || c->ttl <= 0)
        return;
    apr_thread_mutex_lock(c->lock);
    if (apr_hash_count(c->entries) >= MAX_ENTRIES) {
        apr_pool_clear(c->pool);
        c->entries = apr_hash_make(c->pool);
    }
    e = apr_hash_get(c->entries, login, APR_HASH_KEY_STRING);
    if (e == NULL) {
        e = apr_palloc(c->pool, sizeof *e);
        apr_hash_set(c->entries, apr_pstrdup(c->pool, login), APR_HASH_KEY_STRING, e);
    }
    digest_of(c, password, e->digest);
    e->expires = apr_time_now() + c->ttl;
    e->generation = generation;
    apr_thread_mutex_unlock(c->lock);
}
