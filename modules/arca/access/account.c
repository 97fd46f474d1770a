/* Accounts in PostgreSQL. Queries for one concept live here and nowhere else. */
#include <string.h>
#include <stdlib.h>

#include <apr_strings.h>

#include "access/account.h"
#include "access/audit.h"
#include "access/login_throttle.h"
#include "access/password.h"
#include "access/secret.h"
#include "base/validate.h"

#define ACCOUNT_COLUMNS \
    "id, login, firstname, lastname, email, enabled, verified, site_admin, " \
    "password_hash IS NOT NULL, data_access, non_expiring, auth_source"

static int is_true(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

static arca_account_t *account_from_row(apr_pool_t *p, const PGresult *res, int row)
{
    arca_account_t *a = apr_pcalloc(p, sizeof *a);

    a->id = PQgetvalue(res, row, 0);
    a->login = PQgetvalue(res, row, 1);
    a->firstname = PQgetvalue(res, row, 2);
    a->lastname = PQgetvalue(res, row, 3);
    a->email = PQgetvalue(res, row, 4);
    a->enabled = is_true(res, row, 5);
    a->verified = is_true(res, row, 6);
    a->site_admin = is_true(res, row, 7);
    a->has_password = is_true(res, row, 8);
    a->data_access = strcmp(PQgetvalue(res, row, 9), "edit") == 0   ? 2
                     : strcmp(PQgetvalue(res, row, 9), "read") == 0 ? 1 : 0;
    a->non_expiring = is_true(res, row, 10);
    a->auth_source = PQgetvalue(res, row, 11);
    return a;
}

arca_error_t *arca_account_find(arca_db_t *db, apr_pool_t *p, const char *login,
                                arca_account_t **out)
{
    PGresult *res;
    arca_error_t *err;

    *out = NULL;
    err = arca_db_query(db, p, &res, "SELECT " ACCOUNT_COLUMNS " FROM arca_account "
                        "WHERE login = $1", 1, &login);
    if (err)
        return err;
    if (PQntuples(res) == 1)
        *out = account_from_row(p, res, 0);
    return ARCA_OK;
}

arca_error_t *arca_account_create(arca_db_t *db, apr_pool_t *p, const arca_account_t *a,
                                  const char *password)
{
    const char *hash = NULL, *params[8];
    arca_error_t *err;

    if (!arca_valid_login(a->login))
        return arca_error_create(p, 400, "'%s' is not a valid login: use 1-255 characters "
                                 "without ':', '/' or control characters", a->login);
    if (password && (err = arca_password_hash(p, password, &hash)))
        return err;
    params[0] = a->login;
    params[1] = a->firstname ? a->firstname : "";
    params[2] = a->lastname ? a->lastname : "";
    params[3] = a->email ? a->email : "";
    params[4] = hash;
    params[5] = a->enabled ? "t" : "f";
    params[6] = a->verified ? "t" : "f";
    params[7] = a->site_admin ? "t" : "f";
    err = arca_db_query(db, p, NULL,
                        "INSERT INTO arca_account (login, firstname, lastname, email, "
                        "password_hash, enabled, verified, site_admin, password_changed_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())", 8, params);
    if (err && err->status == 409)
        return arca_error_create(p, 409, "an account '%s' already exists", a->login);
    return err;
}

arca_error_t *arca_account_add(arca_db_t *db, apr_pool_t *p, const char *login,
                               const char *password, int site_admin)
{
    arca_account_t a = {0};

    a.login = login;
    a.enabled = a.verified = 1;
    a.site_admin = site_admin != 0;
    return arca_account_create(db, p, &a, password);
}

arca_error_t *arca_account_set_password(arca_db_t *db, apr_pool_t *p, const char *login,
                                        const char *password, const char *keep_session)
{
    const char *hash = NULL;
    PGresult *res;
    arca_error_t *err;

    if (password && (err = arca_password_hash(p, password, &hash)))
        return err;
    /* One statement, so that no caller (arcactl runs without a transaction) can leave the
     * new password with the old one's tokens and sessions alive. Failed logins are
     * forgotten too (addresses that logged in stay trusted): an administrator's new
     * password lets its owner in at once, while scripts still send the old one. */
    err = arca_db_query(db, p, &res,
        "WITH a AS (UPDATE arca_account SET password_hash = $2, password_changed_at = now() "
        "  WHERE login = $1 RETURNING id), "
        "s AS (DELETE FROM arca_session WHERE account_id IN (SELECT id FROM a) "
        "  AND id_hash IS DISTINCT FROM $3), "
        "t AS (DELETE FROM arca_token WHERE account_id IN (SELECT id FROM a)), "
        "f AS (UPDATE arca_login_throttle SET failures = 0, blocked_until = NULL "
        "  WHERE account_id IN (SELECT id FROM a)) "
        "SELECT 1 FROM a", 3, (const char *const[]){login, hash,
            keep_session ? arca_sha256_hex(p, keep_session) : NULL});
    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "no account '%s'", login);
    return ARCA_OK;
}

arca_error_t *arca_account_generation(arca_db_t *db, apr_pool_t *p, const char *login,
                                      apr_int64_t *generation)
{
    PGresult *res;
    /* on every request a cached password is used: prepared, one index look-up */
    arca_error_t *err = arca_db_query_prepared(db, p, &res, "arca_account_generation",
        "SELECT credentials_generation FROM arca_account WHERE login = $1 "
        "AND password_hash IS NOT NULL", 1, &login);

    *generation = -1;
    if (!err && PQntuples(res) == 1)
        *generation = apr_atoi64(PQgetvalue(res, 0, 0));
    return err;
}

arca_error_t *arca_account_check_password(arca_db_t *db, apr_pool_t *p, const char *login,
                                          const char *password, int *found, int *ok)
{
    PGresult *res;
    arca_error_t *err;

    *found = *ok = 0;
    err = arca_db_query(db, p, &res, "SELECT password_hash, enabled FROM arca_account "
                        "WHERE login = $1 AND password_hash IS NOT NULL", 1, &login);
    if (err)
        return err;
    if (PQntuples(res) != 1)
        return ARCA_OK;
    *found = 1;
    *ok = is_true(res, 0, 1) && arca_password_matches(password, PQgetvalue(res, 0, 0));
    return ARCA_OK;
}

arca_error_t *arca_account_logins(arca_db_t *db, apr_pool_t *p, apr_array_header_t **out)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT login FROM arca_account ORDER BY "
                                      "login", 0, NULL);

    if (err)
        return err;
    *out = apr_array_make(p, PQntuples(res), sizeof(const char *));
    for (int i = 0; i < PQntuples(res); i++)
        APR_ARRAY_PUSH(*out, const char *) = PQgetvalue(res, i, 0);
    return ARCA_OK;
}

arca_error_t *arca_account_set(arca_db_t *db, apr_pool_t *p, const char *login,
                               const char *field, const char *value)
{
    /* the column names are ours, never the client's */
    static const struct { const char *field, *column, *cast; } settable[] = {
        {"enabled", "enabled", "::boolean"}, {"verified", "verified", "::boolean"},
        {"site_admin", "site_admin", "::boolean"}, {"non_expiring", "non_expiring", "::boolean"},
        {"data_access", "data_access", ""}, {"firstname", "firstname", ""},
        {"lastname", "lastname", ""}, {"email", "email", ""},
    };
    PGresult *res;
    arca_error_t *err;

    for (size_t i = 0; i < sizeof settable / sizeof settable[0]; i++) {
        if (strcmp(settable[i].field, field) != 0)
            continue;
        err = arca_db_query(db, p, &res, apr_psprintf(p, "UPDATE arca_account SET %s = $2%s "
                            "WHERE login = $1 RETURNING 1", settable[i].column,
                            settable[i].cast), 2, (const char *const[]){login, value});
        if (err && err->status == 400)
            return arca_error_create(p, 400, "%s: '%s' is not a valid value", field, value);
        if (!err && PQntuples(res) == 0)
            return arca_error_create(p, 404, "no user '%s'", login);
        return err;
    }
    return arca_error_create(p, 500, "no account field '%s'", field);
}

/* A wrong password: counted for the address, audited, and a refusal window it starts
 * audited too. */
static arca_error_t *login_failed(arca_db_t *db, apr_pool_t *p, const char *login,
                                  const char *id, const arca_password_policy_t *policy,
                                  const char *source, const char *remote)
{
    arca_error_t *err;
    long window;

    if ((err = arca_throttle_failure(db, p, id, source, policy->throttle_after,
                                     policy->throttle_max, &window))
        || (err = arca_audit(db, p, login, "login_failed", login, "wrong password", remote)))
        return err;
    if (window == 0)
        return ARCA_OK;
    return arca_audit(db, p, "", "login_throttled", login, apr_psprintf(p, "logins from %s "
                      "refused for %ld s", source, window), remote);
}

arca_error_t *arca_account_authenticate(arca_db_t *db, apr_pool_t *p, const char *login,
                                        const char *password,
                                        const arca_password_policy_t *policy, const char *remote,
                                        arca_login_result_t *result, apr_int64_t *generation)
{
    PGresult *res;
    arca_error_t *err;
    const char *id, *source = arca_throttle_source(p, remote);
    int refused = 0, matches;

    *result = ARCA_LOGIN_NO_LOCAL_PASSWORD;
    if (generation)
        *generation = -1;
    err = arca_db_query(db, p, &res,
        "SELECT id, password_hash, credentials_generation, "
        "  NOT non_expiring AND $2::bigint > 0 AND coalesce(password_changed_at, created_at) "
        "  < now() - make_interval(secs => $2::bigint) "
        "FROM arca_account WHERE login = $1", 2,
        (const char *const[]){login, apr_ltoa(p, policy->password_max_age)});
    if (err)
        return err;
    if (PQntuples(res) != 1) {
        arca_password_waste_time(password); /* unknown: as slow as a known login */
        return ARCA_OK;
    }
    /* An account that logs in elsewhere (LDAP) goes on to the next provider at once: a
     * bcrypt here would slow each of its requests. Its existence is no secret there. */
    if (PQgetisnull(res, 0, 1))
        return ARCA_OK;
    id = PQgetvalue(res, 0, 0);
    if (generation)
        *generation = apr_atoi64(PQgetvalue(res, 0, 2));
    if (policy->throttle_after > 0
        && (err = arca_throttle_refused(db, p, id, source, &refused)))
        return err;
    /* checked even when refused, so that a refusal takes a wrong password's time */
    matches = arca_password_matches(password, PQgetvalue(res, 0, 1));
    if (refused) {
        *result = ARCA_LOGIN_THROTTLED;
        return arca_audit(db, p, login, "login_refused", login, "throttled", remote);
    }
    if (!matches) {
        *result = ARCA_LOGIN_WRONG_PASSWORD;
        return login_failed(db, p, login, id, policy, source, remote);
    }
    if (is_true(res, 0, 3)) {
        *result = ARCA_LOGIN_EXPIRED;
        return arca_audit(db, p, login, "login_refused", login, "password expired", remote);
    }
    *result = ARCA_LOGIN_OK;
    if ((err = arca_throttle_success(db, p, id, source))
        || (err = arca_db_query(db, p, NULL, "UPDATE arca_account SET last_login_at = now() "
                                "WHERE id = $1::bigint", 1, &id)))
        return err;
    return arca_audit(db, p, login, "login", login, "", remote);
}

arca_error_t *arca_account_count(arca_db_t *db, apr_pool_t *p, long *count)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT count(*) FROM arca_account", 0,
                                      NULL);

    *count = err ? 0 : atol(PQgetvalue(res, 0, 0));
    return err;
}
