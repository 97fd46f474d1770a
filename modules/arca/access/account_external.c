/* Accounts created by logins made elsewhere (LDAP, OpenID Connect, other httpd authn
 * modules). The common case, a returning user, is one SELECT; the first login adds one
 * transaction that inserts the account and its audit row together. */
#include <string.h>

#include <apr_strings.h>

#include "access/account_external.h"
#include "access/audit.h"
#include "base/validate.h"

static int known_source(const char *source)
{
    return source && (strcmp(source, "ldap") == 0 || strcmp(source, "oidc") == 0
                      || strcmp(source, "external") == 0);
}

/* Length of the UTF-8 sequence starting at s, or 0 if it is not one (overlong forms,
 * surrogates and code points above U+10FFFF included). */
static size_t utf8_sequence(const unsigned char *s)
{
    size_t n;
    unsigned long cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
        || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

/* A claim as PostgreSQL (UTF-8) will take it: NULL becomes "", text that is not UTF-8 is
 * read as ISO-8859-1 (mod_auth_openidc's "latin1" option, old directories). */
static const char *as_utf8(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n;
    char *out, *o;

    if (s == NULL)
        return "";
    while (u[i] && (n = utf8_sequence(u + i)) != 0)
        i += n;
    if (u[i] == '\0')
        return s;
    o = out = apr_palloc(p, 2 * strlen(s) + 1);
    for (i = 0; u[i]; i++) {
        if (u[i] < 0x80) {
            *o++ = (char)u[i];
        } else {
            *o++ = (char)(0xc0 | (u[i] >> 6));
            *o++ = (char)(0x80 | (u[i] & 0x3f));
        }
    }
    *o = '\0';
    return out;
}

/* Fills the account's empty name and email fields from the login's values, in the database
 * and in *a. Nothing is written when there is nothing to fill. */
static arca_error_t *fill_empty_fields(arca_db_t *db, apr_pool_t *p, arca_account_t *a,
                                       const char *first, const char *last,
                                       const char *email)
{
    const char *params[4];
    arca_error_t *err;

    if (!(a->firstname[0] == '\0' && first[0] != '\0')
        && !(a->lastname[0] == '\0' && last[0] != '\0')
        && !(a->email[0] == '\0' && email[0] != '\0'))
        return ARCA_OK;
    params[0] = a->login;
    params[1] = first;
    params[2] = last;
    params[3] = email;
    err = arca_db_query(db, p, NULL,
                        "UPDATE arca_account SET "
                        "firstname = CASE WHEN firstname = '' THEN $2 ELSE firstname END, "
                        "lastname = CASE WHEN lastname = '' THEN $3 ELSE lastname END, "
                        "email = CASE WHEN email = '' THEN $4 ELSE email END "
                        "WHERE login = $1", 4, params);
    if (err)
        return err;
    if (a->firstname[0] == '\0')
        a->firstname = first;
    if (a->lastname[0] == '\0')
        a->lastname = last;
    if (a->email[0] == '\0')
        a->email = email;
    return ARCA_OK;
}

/* Inserts the account and its audit row in one transaction. *out stays NULL when another
 * request created the same login first (its INSERT waits for that one's commit). */
static arca_error_t *insert_account(arca_db_t *db, apr_pool_t *p,
                                    const arca_external_login_t *in, const char *first,
                                    const char *last, const char *email,
                                    arca_account_t **out)
{
    const char *params[7];
    PGresult *res;
    arca_account_t *a;
    arca_error_t *err;

    *out = NULL;
    params[0] = in->login;
    params[1] = first;
    params[2] = last;
    params[3] = email;
    params[4] = in->enable_new ? "t" : "f";
    params[5] = in->verify_new ? "t" : "f";
    params[6] = in->auth_source;
    if ((err = arca_db_begin(db, p)))
        return err;
    err = arca_db_query(db, p, &res,
                        "INSERT INTO arca_account (login, firstname, lastname, email, "
                        "enabled, verified, auth_source) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                        "ON CONFLICT (login) DO NOTHING RETURNING id", 7, params);
    if (!err && PQntuples(res) == 1)
        err = arca_audit(db, p, "", "account_created", in->login,
                         apr_psprintf(p, "first %s login; enabled: %s, verified: %s",
                                      in->auth_source, in->enable_new ? "yes" : "no",
                                      in->verify_new ? "yes" : "no"),
                         in->remote);
    if (!err)
        err = arca_db_commit(db, p);
    if (err) {
        arca_db_rollback(db, p);
        return err;
    }
    if (PQntuples(res) != 1)
        return ARCA_OK;
    a = apr_pcalloc(p, sizeof *a);
    a->id = PQgetvalue(res, 0, 0);
    a->login = apr_pstrdup(p, in->login);
    a->firstname = first;
    a->lastname = last;
    a->email = email;
    a->enabled = in->enable_new != 0;
    a->verified = in->verify_new != 0;
    a->auth_source = in->auth_source;
    *out = a;
    return ARCA_OK;
}

arca_error_t *arca_account_external(arca_db_t *db, apr_pool_t *p,
                                    const arca_external_login_t *in, arca_account_t **out,
                                    int *created)
{
    const char *first, *last, *email;
    arca_account_t *a;
    arca_error_t *err;

    *out = NULL;
    *created = 0;
    if (!arca_valid_login(in->login))
        return arca_error_create(p, 400, "'%s' cannot be an Arca login: use 1-255 "
                                 "characters without ':', '/' or control characters",
                                 in->login ? in->login : "");
    if (!known_source(in->auth_source))
        return arca_error_create(p, 400, "unknown login source '%s'",
                                 in->auth_source ? in->auth_source : "");
    first = as_utf8(p, in->firstname);
    last = as_utf8(p, in->lastname);
    email = as_utf8(p, in->email);

    if ((err = arca_account_find(db, p, in->login, &a)))
        return err;
    if (a == NULL) {
        if ((err = insert_account(db, p, in, first, last, email, &a)))
            return err;
        if (a != NULL) {
            *out = a;
            *created = 1;
            return ARCA_OK;
        }
        /* Another request created it between our SELECT and INSERT. */
        if ((err = arca_account_find(db, p, in->login, &a)))
            return err;
        if (a == NULL)
            return arca_error_create(p, 500, "the account '%s' was deleted while it was "
                                     "being created; try again", in->login);
    }
    if ((err = fill_empty_fields(db, p, a, first, last, email)))
        return err;
    *out = a;
    return ARCA_OK;
}

const char *arca_issuer_host(apr_pool_t *p, const char *issuer)
{
    const char *start, *end, *at;

    if (issuer == NULL)
        return NULL;
    start = strstr(issuer, "://");
    start = start ? start + 3 : issuer;
    end = start + strcspn(start, "/?#");
    at = memchr(start, '@', (size_t)(end - start)); /* user@host: keep the host */
    if (at)
        start = at + 1;
    if (*start == '[') { /* [IPv6]:port */
        const char *close = memchr(start, ']', (size_t)(end - start));
        return close && close > start + 1 ? apr_pstrmemdup(p, start + 1,
                                                           (size_t)(close - start - 1))
                                          : NULL;
    }
    end = start + strcspn(start, ":/?#");
    return end > start ? apr_pstrmemdup(p, start, (size_t)(end - start)) : NULL;
}

void arca_split_name(apr_pool_t *p, const char *name, const char **first, const char **last)
{
    const char *s = name ? name : "", *e, *space;

    while (*s == ' ')
        s++;
    e = s + strlen(s);
    while (e > s && e[-1] == ' ')
        e--;
    for (space = e; space > s && space[-1] != ' '; space--)
        ;
    if (space == s) { /* one word */
        *first = apr_pstrmemdup(p, s, (size_t)(e - s));
        *last = "";
        return;
    }
    *last = apr_pstrmemdup(p, space, (size_t)(e - space));
    while (space > s && space[-1] == ' ')
        space--;
    *first = apr_pstrmemdup(p, s, (size_t)(space - s));
}
