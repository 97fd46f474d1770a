/* Sessions in PostgreSQL. */
#include <apr_strings.h>

#include "access/secret.h"
#include "access/session.h"

arca_error_t *arca_session_open(arca_db_t *db, apr_pool_t *p, const char *login,
                                const char **id, const char **csrf)
{
    PGresult *res;
    const char *raw;
    arca_error_t *err;

    if ((err = arca_secret_random(p, 32, &raw)) || (err = arca_secret_random(p, 24, csrf)))
        return err;
    err = arca_db_query(db, p, &res,
        "INSERT INTO arca_session (id_hash, account_id, csrf_token) "
        "SELECT $1, id, $3 FROM arca_account WHERE login = $2 RETURNING 1", 3,
        (const char *const[]){arca_sha256_hex(p, raw), login, *csrf});
    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "no user '%s'", login);
    *id = raw;
    return ARCA_OK;
}

arca_error_t *arca_session_check(arca_db_t *db, apr_pool_t *p, const char *id,
                                 long idle_seconds, const char **login, const char **csrf)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "WITH s AS (SELECT id_hash, account_id, csrf_token, last_seen FROM arca_session "
        "  WHERE id_hash = $1 AND last_seen > now() - make_interval(secs => $2::bigint)), "
        "touch AS (UPDATE arca_session SET last_seen = now() WHERE id_hash IN "
        "  (SELECT id_hash FROM s WHERE last_seen < now() - interval '1 minute')) "
        "SELECT a.login, s.csrf_token FROM s JOIN arca_account a ON a.id = s.account_id", 2,
        (const char *const[]){arca_sha256_hex(p, id), apr_ltoa(p, idle_seconds)});

    *login = *csrf = NULL;
    if (err || PQntuples(res) == 0)
        return err;
    *login = PQgetvalue(res, 0, 0);
    *csrf = PQgetvalue(res, 0, 1);
    return ARCA_OK;
}

arca_error_t *arca_session_close(arca_db_t *db, apr_pool_t *p, const char *id)
{
    return arca_db_query(db, p, NULL, "DELETE FROM arca_session WHERE id_hash = $1", 1,
                         (const char *const[]){arca_sha256_hex(p, id)});
}
