/* Validation of configuration values and client-supplied names. */
#include <ctype.h>
#include <string.h>

#include <apr_strings.h>
#include <libpq-fe.h>

#include "base/validate.h"

int arca_valid_site_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n < 1 || n > 15 || !isalpha((unsigned char)id[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '_')
            return 0;
    return 1;
}

int arca_valid_login(const char *login)
{
    size_t n = login ? strlen(login) : 0;

    if (n < 1 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)login[i];
        if (c < 0x20 || c == 0x7f || c == ':' || c == '/')
            return 0;
    }
    return 1;
}

int arca_valid_local_path(const char *path)
{
    if (path == NULL || path[0] != '/' || path[1] == '/')
        return 0;
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '\\')
            return 0;
    return 1;
}

int arca_valid_conninfo(apr_pool_t *p, const char *conninfo, const char **why)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);

    if (opts) {
        PQconninfoFree(opts);
        return 1;
    }
    if (errmsg) {
        size_t n = strlen(errmsg);
        while (n > 0 && (errmsg[n - 1] == '\n' || errmsg[n - 1] == ' '))
            n--;
        *why = apr_pstrmemdup(p, errmsg, n);
        PQfreemem(errmsg);
    } else {
        *why = "out of memory";
    }
    return 0;
}

int arca_valid_utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    while (*s) {
        unsigned c = *s++;
        int n;
        unsigned cp;
        if (c < 0x80)
            continue;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return 0;
        for (int i = 0; i < n; i++) {
            if ((*s & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (*s++ & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
            || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
    }
    return 1;
}
