/* XNAT alias tokens: a UUID alias and a random secret that scripts use as Basic
 * credentials instead of a password. Only the secret's SHA-256 is stored; tokens expire. */
#ifndef ARCA_TOKEN_H
#define ARCA_TOKEN_H

#include "access/account.h"
#include "db/db.h"

typedef struct arca_token_t {
    const char *alias;
    const char *secret;     /* only when just issued */
    const char *login;
    apr_int64_t expires_ms; /* milliseconds since the epoch, as XNAT reports it */
    int single_use;
} arca_token_t;

arca_error_t *arca_token_issue(arca_db_t *db, apr_pool_t *p, const char *login,
                               long lifetime_seconds, int single_use, arca_token_t **out);

/* The token's owner if alias and secret match an unexpired token (a single-use token is
 * consumed), else *out NULL. */
arca_error_t *arca_token_check(arca_db_t *db, apr_pool_t *p, const char *alias,
                               const char *secret, arca_token_t **out);

/* Removes a token; `owner` (NULL: any) restricts it to that user's tokens. 404 if none. */
arca_error_t *arca_token_invalidate(arca_db_t *db, apr_pool_t *p, const char *alias,
                                    const char *owner);

/* A string that could be an alias: alias tokens are tried only for such logins. */
int arca_token_is_alias(const char *login);

#endif
