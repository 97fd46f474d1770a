/* Archive facts from DICOM values (see dicom_values.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "base/validate.h"
#include "dicom/dicom_values.h"

const char *arca_dicom_comment_field(apr_pool_t *p, const char *comments, const char *key)
{
    const char *at = comments;
    size_t n, klen = strlen(key);

    while (at && *at && strncasecmp(at, key, klen) != 0)
        at++;
    if (at == NULL || *at == '\0')
        return NULL;
    at += klen;
    while (*at == ' ' || *at == ':')
        at++;
    n = strcspn(at, " ;\\\r\n\t");
    return n ? apr_pstrmemdup(p, at, n) : NULL;
}

const char *arca_label_from(apr_pool_t *p, const char *v)
{
    char *l;

    if (v == NULL || *v == '\0')
        return NULL;
    l = apr_pstrndup(p, v, 64);
    for (char *c = l; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
            *c = '_';
    if (l[0] == '.')
        l[0] = '_';
    return l;
}

const char *arca_dicom_sql_date(apr_pool_t *p, const char *da)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char digits[9];
    int n = 0, y, m, d;

    for (const char *c = da; c && *c && n < 9; c++)
        if (isdigit((unsigned char)*c))
            digits[n++] = *c;
        else if (!(*c == '.' && (c - da == 4 || c - da == 7)) && *c != ' ')
            return NULL;
    if (n != 8)
        return NULL;
    digits[8] = '\0';
    d = atoi(digits + 6);
    digits[6] = '\0';
    m = atoi(digits + 4);
    digits[4] = '\0';
    y = atoi(digits);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days[m - 1]
        || (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return NULL;
    return apr_psprintf(p, "%04d-%02d-%02d", y, m, d);
}

const char *arca_dicom_text(apr_pool_t *p, const char *value)
{
    char *out, *o;

    if (value == NULL || arca_valid_utf8(value))
        return value;
    o = out = apr_palloc(p, 2 * strlen(value) + 1);
    for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
        if (*v < 0x80) {
            *o++ = (char)*v;
        } else {
            *o++ = (char)(0xC0 | (*v >> 6));
            *o++ = (char)(0x80 | (*v & 0x3F));
        }
    }
    *o = '\0';
    return out;
}
