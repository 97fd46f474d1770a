/* Random secrets and their digests, over APR's random source and OpenSSL's SHA-256. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/evp.h>

#include "access/secret.h"

arca_error_t *arca_secret_random(apr_pool_t *p, int bytes, const char **out)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[64];
    char *s = apr_palloc(p, (apr_size_t)(bytes * 4 / 3 + 4));
    int n = 0, bits = 0;
    unsigned acc = 0;

    if (bytes > (int)sizeof raw || apr_generate_random_bytes(raw, (apr_size_t)bytes))
        return arca_error_create(p, 500, "no random source for a secret");
    for (int i = 0; i < bytes; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            s[n++] = b64[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        s[n++] = b64[(acc << (6 - bits)) & 63];
    s[n] = '\0';
    *out = s;
    return ARCA_OK;
}

arca_error_t *arca_secret_uuid(apr_pool_t *p, const char **out)
{
    unsigned char u[16];

    if (apr_generate_random_bytes(u, sizeof u) != APR_SUCCESS)
        return arca_error_create(p, 500, "no random source for an identifier");
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    *out = apr_psprintf(p, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
                        u[11], u[12], u[13], u[14], u[15]);
    return ARCA_OK;
}

const char *arca_sha256_hex(apr_pool_t *p, const char *s)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char *hex;

    EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL);
    hex = apr_palloc(p, len * 2 + 1);
    for (unsigned i = 0; i < len; i++)
        apr_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[len * 2] = '\0';
    return hex;
}

int arca_secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);

    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}
