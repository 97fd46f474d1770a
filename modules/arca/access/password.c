/* Password hashing and random secrets, over APR's bcrypt and random source. */
#include <apr_general.h>
#include <apr_md5.h>
#include <apr_strings.h>

#include "access/password.h"

arca_error_t *arca_password_hash(apr_pool_t *p, const char *password, const char **hash)
{
    unsigned char salt[16];
    char out[64];

    if (apr_generate_random_bytes(salt, sizeof salt) != APR_SUCCESS)
        return arca_error_create(p, 500, "no random source for a password salt");
    if (apr_bcrypt_encode(password, ARCA_BCRYPT_COST, salt, sizeof salt, out, sizeof out)
        != APR_SUCCESS)
        return arca_error_create(p, 500, "bcrypt failed");
    *hash = apr_pstrdup(p, out);
    return ARCA_OK;
}

int arca_password_matches(const char *password, const char *hash)
{
    return hash && hash[0] == '$' && apr_password_validate(password, hash) == APR_SUCCESS;
}

/* The bcrypt of a random string nobody kept, at the cost of ARCA_BCRYPT_COST (the unit
 * test holds the two together). */
const char arca_password_dummy_hash[] =
    "$2y$10$76JRPHKkBIcjR3F8dFMNEu0bKGp/4RVQ0bxupK59Q1C2JhyLZ3Pw2";

void arca_password_waste_time(const char *password)
{
    (void)arca_password_matches(password, arca_password_dummy_hash);
}

arca_error_t *arca_random_password(apr_pool_t *p, int len, const char **out)
{
    /* No 0/O, 1/l/I: the admin password is read off a terminal. */
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    unsigned char *raw = apr_palloc(p, (apr_size_t)len);
    char *pw = apr_palloc(p, (apr_size_t)len + 1);

    if (apr_generate_random_bytes(raw, (apr_size_t)len) != APR_SUCCESS)
        return arca_error_create(p, 500, "no random source for a password");
    /* 256 % 57 leaves a slight bias; at 20+ characters it costs under a bit of entropy. */
    for (int i = 0; i < len; i++)
        pw[i] = alphabet[raw[i] % (sizeof alphabet - 1)];
    pw[len] = '\0';
    *out = pw;
    return ARCA_OK;
}
