/* Alias tokens in PostgreSQL. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "access/secret.h"
#include "access/token.h"

int arca_token_is_alias(const char *login)
{
    /* 8-4-4-4-12 hex */
    if (strlen(login) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (login[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)login[i])) {
            return 0;
        }
    }
    return 1;
}

arca_error_t *arca_token_issue(arca_db_t *db, apr_pool_t *p, const char *login,
                               long lifetime_seconds, int single_use, arca_token_t **out)
{
    arca_token_t *t = apr_pcalloc(p, sizeof *t);
    PGresult *res;
    arca_error_t *err;

    if ((err = arca_secret_uuid(p, &t->alias)) || (err = arca_secret_random(p, 32, &t->secret)))
        return err;
    err = arca_db_query(db, p, &res,
        "INSERT INTO arca_token (alias, secret_hash, account_id, expires_at, single_use) "
        "SELECT $1, $2, id, now() + make_interval(secs => $4::bigint), $5::boolean "
        "FROM arca_account WHERE login = $3 "
        "RETURNING (extract(epoch FROM expires_at) * 1000)::bigint", 5,
        (const char *const[]){t->alias, arca_sha256_hex(p, t->secret), login,
                              apr_ltoa(p, lifetime_seconds), single_use ? "t" : "f"});
    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "no user '%s'", login);
    t->login = login;
    t->expires_ms = apr_atoi64(PQgetvalue(res, 0, 0));
    t->single_use = single_use;
    *out = t;
    return ARCA_OK;
}

arca_error_t *arca_token_check(arca_db_t *db, apr_pool_t *p, const char *alias,
                               const char *secret, arca_token_t **out)
{
    PGresult *res;
    arca_error_t *err;

    *out = NULL;
    /* one statement: find, compare, and consume a single-use token */
    err = arca_db_query(db, p, &res,
        "WITH t AS (SELECT alias, single_use FROM arca_token WHERE alias = $1 "
        "  AND secret_hash = $2 AND expires_at > now()), "
        "gone AS (DELETE FROM arca_token WHERE alias IN (SELECT alias FROM t WHERE single_use)) "
        "SELECT a.login, (extract(epoch FROM k.expires_at) * 1000)::bigint, k.single_use "
        "FROM t JOIN arca_token k ON k.alias = t.alias JOIN arca_account a "
        "ON a.id = k.account_id", 2,
        (const char *const[]){alias, arca_sha256_hex(p, secret)});
    if (err || PQntuples(res) == 0)
        return err;
    *out = apr_pcalloc(p, sizeof **out);
    (*out)->alias = alias;
    (*out)->login = PQgetvalue(res, 0, 0);
    (*out)->expires_ms = apr_atoi64(PQgetvalue(res, 0, 1));
    (*out)->single_use = PQgetvalue(res, 0, 2)[0] == 't';
    return ARCA_OK;
}

arca_error_t *arca_token_invalidate(arca_db_t *db, apr_pool_t *p, const char *alias,
                                    const char *owner)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "DELETE FROM arca_token t USING arca_account a WHERE a.id = t.account_id "
        "AND t.alias = $1 AND ($2::text IS NULL OR a.login = $2) RETURNING 1", 2,
        (const char *const[]){alias, owner});

    if (!err && PQntuples(res) == 0)
        return arca_error_create(p, 404, "Not Found: no token '%s'", alias);
    return err;
}
