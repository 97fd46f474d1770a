/* JSON text checked and repaired (see json_text.h). */
#include <string.h>

#include <apr_strings.h>

#include "dicom/json_text.h"

typedef const unsigned char *cur_t;

static cur_t ws(cur_t s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return s;
}

static int digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The length of a valid UTF-8 sequence at s, 0 if none. */
static int utf8_len(cur_t s)
{
    int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
          : (s[0] & 0xF8) == 0xF0 ? 4 : 0;

    if (n == 2 && s[0] < 0xC2)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static cur_t number(cur_t s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (digit(*s))
        while (digit(*s))
            s++;
    else
        return NULL;
    if (*s == '.') {
        if (!digit(*++s))
            return NULL;
        while (digit(*s))
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!digit(*s))
            return NULL;
        while (digit(*s))
            s++;
    }
    return s;
}

static cur_t string(cur_t s)
{
    for (s++; *s != '"'; ) {
        if (*s < 0x20)
            return NULL;
        if (*s == '\\') {
            s++;
            if (*s == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
                        return NULL;
                if (strncmp((const char *)s + 1, "0000", 4) == 0)
                    return NULL;
                s += 5;
            } else if (*s && strchr("\"\\/bfnrt", *s)) {
                s++;
            } else {
                return NULL;
            }
            continue;
        }
        int n = utf8_len(s);
        if (n == 0)
            return NULL;
        s += n;
    }
    return s + 1;
}

static cur_t value(cur_t s, int depth)
{
    s = ws(s);
    if (depth > 64)
        return NULL;
    switch (*s) {
    case '{':
    case '[': {
        unsigned char close = *s == '{' ? '}' : ']';
        int object = *s == '{';
        s = ws(s + 1);
        if (*s == close)
            return s + 1;
        for (;;) {
            if (object) {
                if (*s != '"' || !(s = string(s)))
                    return NULL;
                s = ws(s);
                if (*s++ != ':')
                    return NULL;
            }
            if (!(s = value(s, depth + 1)))
                return NULL;
            s = ws(s);
            if (*s == close)
                return s + 1;
            if (*s++ != ',')
                return NULL;
            s = ws(s);
        }
    }
    case '"':
        return string(s);
    case 't':
        return strncmp((const char *)s, "true", 4) == 0 ? s + 4 : NULL;
    case 'f':
        return strncmp((const char *)s, "false", 5) == 0 ? s + 5 : NULL;
    case 'n':
        return strncmp((const char *)s, "null", 4) == 0 ? s + 4 : NULL;
    default:
        return number(s);
    }
}

int arca_json_valid(const char *s)
{
    cur_t end = value((cur_t)s, 0);

    return end && *ws(end) == '\0';
}

const char *arca_json_repair(apr_pool_t *p, const char *s)
{
    size_t n = strlen(s);
    char *out, *o;
    cur_t c = (cur_t)s;

    if (arca_json_valid(s))
        return s;
    out = o = apr_palloc(p, n * 3 + 3);
    while (*c) {
        if (*c == '"') {       /* a string: bad bytes and \u0000 out */
            *o++ = (char)*c++;
            while (*c && *c != '"') {
                if (*c == '\\' && c[1] == 'u' && strncmp((const char *)c + 2, "0000", 4) == 0) {
                    c += 6;
                    continue;
                }
                if (*c == '\\' && c[1]) {
                    *o++ = (char)*c++;
                    *o++ = (char)*c++;
                    continue;
                }
                int k = utf8_len(c);
                if (k == 0 || *c < 0x20) {
                    *o++ = '?';
                    c++;
                    continue;
                }
                while (k--)
                    *o++ = (char)*c++;
            }
            if (*c)
                *o++ = (char)*c++;
        } else if (digit(*c) || *c == '-' || *c == '+' || *c == '.') {
            cur_t start = c, good;
            while (*c && strchr("0123456789+-.eE", *c))
                c++;
            good = number(start);
            if (good == c) {
                memcpy(o, start, (size_t)(c - start));
                o += c - start;
            } else {           /* as DICOM wrote it, as a string */
                *o++ = '"';
                memcpy(o, start, (size_t)(c - start));
                o += c - start;
                *o++ = '"';
            }
        } else {
            *o++ = (char)*c++;
        }
    }
    *o = '\0';
    return arca_json_valid(out) ? out : NULL;
}
