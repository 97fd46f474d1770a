/* Accounts of logins made outside Arca: LDAP (mod_authnz_ldap), OpenID Connect
 * (mod_auth_openidc) or any other httpd authn module. The first login creates the account,
 * enabled and verified as the site's policy says; later logins find it. Such an account
 * never gets a local password from here. */
#ifndef ARCA_ACCOUNT_EXTERNAL_H
#define ARCA_ACCOUNT_EXTERNAL_H

#include "access/account.h"

typedef struct arca_external_login_t {
    const char *login;       /* the Arca login, checked with arca_valid_login() */
    const char *auth_source; /* "ldap", "oidc" or "external" */
    /* From the directory or the identity provider's claims; NULL or "" when not known.
     * Text that is not UTF-8 is read as ISO-8859-1. */
    const char *firstname;
    const char *lastname;
    const char *email;
    int enable_new;          /* a new account starts enabled (ArcaAutoEnable) */
    int verify_new;          /* a new account starts verified (ArcaAutoVerify) */
    const char *remote;      /* client address, for the audit; may be NULL */
} arca_external_login_t;

/* Finds the account of `in->login`, creating it if there is none. *created is 1 when this
 * call created it (and audited that as 'account_created' in the same transaction).
 * Two first logins at once create one account: the loser of the race finds the winner's.
 *
 * On later logins, a first name, last name or email that is empty in Arca is filled in from
 * `in`; one that is set is never overwritten, so an administrator's edits stay, and so
 * does an old value after the directory changes (clear the field to take the new one).
 * enabled, verified and the password are never touched for an existing account.
 *
 * Errors: 400 when the login is not a valid Arca login or auth_source is unknown; those of
 * arca_db_query() otherwise (503 when the database is unavailable). */
arca_error_t *arca_account_external(arca_db_t *db, apr_pool_t *p,
                                    const arca_external_login_t *in, arca_account_t **out,
                                    int *created);

/* The host of an OpenID Connect issuer ("https://idp.example.org/realms/x" gives
 * "idp.example.org"), used to make `sub` unique across identity providers:
 * "<sub>@<host>". NULL if no host can be found. */
const char *arca_issuer_host(apr_pool_t *p, const char *issuer);

/* Splits a display name ("Alice Pleasance Liddell") into first name(s) and last name
 * ("Alice Pleasance", "Liddell"); a single word is a first name. */
void arca_split_name(apr_pool_t *p, const char *name, const char **first, const char **last);

#endif
