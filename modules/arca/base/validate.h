/* Checks of names that come from configuration or clients. Each returns 1 if valid. */
#ifndef ARCA_VALIDATE_H
#define ARCA_VALIDATE_H

#include <apr_pools.h>

/* Site ID: prefixes accession IDs ({SITE}_S00001), so 1-15 letters, digits or '_',
 * starting with a letter. */
int arca_valid_site_id(const char *id);

/* Login: 1-255 characters, no ':' (Basic auth), '/' (URLs) or control characters. */
int arca_valid_login(const char *login);

/* A libpq conninfo string or URI that parses. On failure *why says what is wrong. */
int arca_valid_conninfo(apr_pool_t *p, const char *conninfo, const char **why);

/* A path of this site to send a browser to after a login: starts with one '/' (never "//",
 * which a browser reads as another host), no '\\' (read as '/'), no control characters.
 * Query and fragment may follow. */
int arca_valid_local_path(const char *path);

/* Well-formed UTF-8 (no overlong forms, no surrogates), as PostgreSQL will store. */
int arca_valid_utf8(const char *s);

#endif
