/* DicomEdit tag paths: parsing "(0008,1115)[%]/(0008,1155)", "(XXX#,XXXX)",
 * "(0029,{SIEMENS CSA HEADER}XX)", star-slash and plus-slash levels, and matching them
 * against the concrete paths a dataset walk gives.
 *
 * Digit wildcards are per hex digit: X or x any, @ even (0 2 4 6 8 A C E), # odd. A level
 * without "[n]" or with "[%]" matches any item of its sequence. A path is a "pattern"
 * (resolved by walking the dataset) when it has a wildcard, an any-item level or a depth
 * wildcard; otherwise it names one element and goes straight to get/set/remove. */
#include <ctype.h>
#include <string.h>

#include <apr_strings.h>

#include "deid/deid_internal.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Reads `count` pattern digits into mask/value (shifted in from the right). */
static const char *digits(const char *s, size_t *i, size_t n, int count, unsigned *mask,
                          unsigned *value)
{
    int k;

    for (k = 0; k < count; k++, (*i)++) {
        char c = *i < n ? s[*i] : '\0';
        int h = hexval(c);

        *mask <<= 4;
        *value <<= 4;
        if (h >= 0) {
            *mask |= 0xF;
            *value |= (unsigned)h;
        } else if (c == 'x' || c == 'X') {
        } else if (c == '@') {
            *mask |= 0x1;
        } else if (c == '#') {
            *mask |= 0x1;
            *value |= 0x1;
        } else {
            return "malformed tag: expected a hex digit or X, @, #";
        }
    }
    return NULL;
}

static void put_digits(apr_pool_t *p, apr_array_header_t *buf, unsigned mask, unsigned value,
                       int count)
{
    int k;

    for (k = count - 1; k >= 0; k--) {
        unsigned m = mask >> (4 * k) & 0xF, v = value >> (4 * k) & 0xF;
        char c = m == 0xF ? "0123456789ABCDEF"[v] : m == 0 ? 'X' : v ? '#' : '@';
        *(char *)apr_array_push(buf) = c;
    }
}

static void put_str(apr_array_header_t *buf, const char *s)
{
    while (*s)
        *(char *)apr_array_push(buf) = *s++;
}

const char *deid_path_parse(apr_pool_t *p, const char *s, size_t n, deid_path **out)
{
    apr_array_header_t *levels = apr_array_make(p, 4, sizeof(deid_level));
    apr_array_header_t *buf = apr_array_make(p, 32, 1);
    deid_path *path = apr_pcalloc(p, sizeof *path);
    size_t i = 0;
    const char *why;
    int k;

    for (;;) {
        deid_level *lv = apr_array_push(levels);

        memset(lv, 0, sizeof *lv);
        lv->item = -1;
        if (i + 1 < n && s[i] == '*' && s[i + 1] == '/')
            lv->kind = DL_ANY_DEPTH, i += 2;
        else if (i + 1 < n && s[i] == '+' && s[i + 1] == '/')
            lv->kind = DL_SOME_DEPTH, i += 2;
        if (i >= n || s[i++] != '(')
            return "malformed tag path: expected '('";
        if ((why = digits(s, &i, n, 4, &lv->mask, &lv->value)))
            return why;
        if (i >= n || s[i++] != ',')
            return "malformed tag: expected ',' after the group";
        if (i < n && s[i] == '{') {
            size_t start = ++i;

            while (i < n && s[i] != '}')
                i++;
            if (i >= n || i == start)
                return "malformed private tag: empty or unterminated {creator}";
            lv->creator = apr_pstrmemdup(p, s + start, i - start);
            i++;
            if ((why = digits(s, &i, n, 2, &lv->mask, &lv->value)))
                return why;
            lv->mask <<= 8; /* group to the high half, element byte stays low */
            lv->value <<= 8;
            lv->mask = (lv->mask & 0xFFFF0000u) | (lv->mask >> 8 & 0xFF);
            lv->value = (lv->value & 0xFFFF0000u) | (lv->value >> 8 & 0xFF);
            if ((lv->mask & 0x10000) && !(lv->value & 0x10000))
                return "malformed private tag: a private group is odd";
        } else if ((why = digits(s, &i, n, 4, &lv->mask, &lv->value))) {
            return why;
        }
        if (i >= n || s[i++] != ')')
            return "malformed tag: expected ')'";
        if (i < n && s[i] == '[') {
            i++;
            if (i < n && s[i] == '%') {
                i++;
            } else {
                long item = 0;
                size_t start = i;

                while (i < n && isdigit((unsigned char)s[i]) && item < 1000000)
                    item = item * 10 + (s[i++] - '0');
                if (i == start)
                    return "malformed item: expected [n] or [%]";
                lv->item = (int)item;
            }
            if (i >= n || s[i++] != ']')
                return "malformed item: expected ']'";
        }
        if (i >= n)
            break;
        if (s[i++] != '/')
            return "malformed tag path: expected '/' between levels";
    }
    path->n = levels->nelts;
    path->lv = (deid_level *)levels->elts;
    if (path->n > 16)
        return "tag path deeper than 16 levels";
    if (path->lv[path->n - 1].item >= 0)
        return "an item index needs an element after it";
    for (k = 0; k < path->n; k++) {
        deid_level *lv = &path->lv[k];
        unsigned full = lv->creator ? 0xFFFF00FFu : 0xFFFFFFFFu;

        if (lv->kind != DL_CHILD || lv->mask != full || (k < path->n - 1 && lv->item < 0))
            path->pattern = 1;
        if (lv->kind == DL_ANY_DEPTH)
            put_str(buf, "*/");
        else if (lv->kind == DL_SOME_DEPTH)
            put_str(buf, "+/");
        *(char *)apr_array_push(buf) = '(';
        put_digits(p, buf, lv->mask >> 16, lv->value >> 16, 4);
        *(char *)apr_array_push(buf) = ',';
        if (lv->creator) {
            put_str(buf, apr_psprintf(p, "{%s}", lv->creator));
            put_digits(p, buf, lv->mask & 0xFF, lv->value & 0xFF, 2);
        } else {
            put_digits(p, buf, lv->mask & 0xFFFF, lv->value & 0xFFFF, 4);
        }
        *(char *)apr_array_push(buf) = ')';
        if (k < path->n - 1) {
            if (lv->item >= 0)
                put_str(buf, apr_psprintf(p, "[%d]", lv->item));
            else if (path->pattern)
                put_str(buf, "[%]");
            *(char *)apr_array_push(buf) = '/';
        }
    }
    *(char *)apr_array_push(buf) = '\0';
    path->text = buf->elts;
    *out = path;
    return NULL;
}

int deid_concrete_parse(const char *s, deid_concrete *c)
{
    int lvl = 0;
    const char *start = s;

    for (;;) {
        unsigned tag = 0;
        int k;

        if (lvl >= 16 || *s++ != '(')
            return 0;
        for (k = 0; k < 9; k++, s++) {
            int h;

            if (k == 4) {
                if (*s != ',')
                    return 0;
                continue;
            }
            if ((h = hexval(*s)) < 0)
                return 0;
            tag = tag << 4 | (unsigned)h;
        }
        if (*s++ != ')')
            return 0;
        c->tag[lvl] = tag;
        c->end[lvl] = (size_t)(s - start);
        c->creator[lvl] = NULL;
        c->item[lvl] = -1;
        lvl++;
        if (!*s)
            break;
        if (*s++ != '[')
            return 0;
        c->item[lvl - 1] = 0;
        while (*s >= '0' && *s <= '9')
            c->item[lvl - 1] = c->item[lvl - 1] * 10 + (*s++ - '0');
        if (*s++ != ']' || *s++ != '/')
            return 0;
    }
    c->n = lvl;
    return 1;
}

static int creator_eq(const char *have, const char *want)
{
    size_t n = strlen(want);

    if (strncmp(have, want, n))
        return 0;
    for (have += n; *have == ' '; have++)
        ;
    return !*have;
}

int deid_level_match(const deid_level *lv, unsigned tag, const char *creator)
{
    if (!lv->creator)
        return (tag & lv->mask) == lv->value;
    return creator && (tag & 0xFFFF) >= 0x1000 && (tag & lv->mask) == lv->value &&
           creator_eq(creator, lv->creator);
}

static int match_from(const deid_path *path, int pi, const deid_concrete *c, int ci)
{
    const deid_level *lv;
    int last, skip, max_skip;

    if (pi == path->n)
        return ci == c->n;
    lv = &path->lv[pi];
    last = pi == path->n - 1;
    skip = lv->kind == DL_SOME_DEPTH ? 1 : 0;
    max_skip = lv->kind == DL_CHILD ? 0 : c->n - ci - 1;
    for (; skip <= max_skip; skip++) {
        int at = ci + skip;

        if (at >= c->n || (last && at != c->n - 1))
            continue;
        if (!deid_level_match(lv, c->tag[at], c->creator[at]))
            continue;
        if (!last && lv->item >= 0 && lv->item != c->item[at])
            continue;
        if (match_from(path, pi + 1, c, at + 1))
            return 1;
    }
    return 0;
}

int deid_path_match(const deid_path *path, const deid_concrete *c)
{
    return match_from(path, 0, c, 0);
}
