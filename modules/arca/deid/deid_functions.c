/* The DicomEdit function library. Each function is checked when the script compiles
 * (argument count; literal regexes, tag paths and formats are parsed then, once) and
 * runs on strings. Error messages name the function and, when the argument is a tag
 * path, the path, never the value. An argument that may be a literal or computed is
 * checked twice, by the function's prep_ when it is a literal and by its fn_ at run time:
 * those pairs repeat one shape by design.
 *
 *  hashUID[v {, "SHA-1"}]    "2.25." + decimal of uuid5(NAMESPACE_OID, v) (deid_script.h)
 *  newUID[]                  "2.25." + decimal of a random version 4 UUID
 *  format["{0}_{1}", a, b]   MessageFormat subset: {n}, '' and '...' quoting; an absent
 *                            argument prints as ""; {n} past the arguments stays "{n}"
 *  lowercase[s] uppercase[s] ASCII letters only
 *  substring[s, b {, e}]     Java's: code points, 0-based, e exclusive; out of range fails
 *  replace[s, target, repl]  literal, every occurrence
 *  concatenate[a, ...]       absent arguments count as ""
 *  match[v, regex, group]    first match anywhere (find), the group or absent
 *  ismatch[v, regex]         "true" if the whole value matches, else "false"
 *  shiftDateByIncrement[v, days]                 DA YYYYMMDD (each value of a multi-value)
 *  shiftDateTimeByIncrement[v, n {, unit}]       DT of any precision with optional
 *                            fraction and &ZZXX offset (kept as is), or DA; n in seconds
 *                            or the unit given: seconds, minutes, hours, days
 *  retainPrivateTags["path", ...], removeAllPrivateTags: see deid_remove_private */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "deid/deid_internal.h"

/* ---- helpers ------------------------------------------------------------------------ */
static void regex_cleanup_register(apr_pool_t *p, regex_t *re);

static apr_status_t regex_cleanup(void *re)
{
    regfree(re);
    return APR_SUCCESS;
}

static void regex_cleanup_register(apr_pool_t *p, regex_t *re)
{
    apr_pool_cleanup_register(p, re, regex_cleanup, apr_pool_cleanup_null);
}

/* glibc's regcomp unrolls repetitions, copying the repeated atom ("x+" is "xx*", "x{2,5}"
 * five x), so stacked or nested repetitions make the compiled program, and its memory,
 * grow exponentially: "a" and twenty '+' took 700 MB, which a script (or, through a
 * computed pattern, a DICOM value) could ask of the server; and the time of its closure
 * computation grows faster than the size (10,000 atoms took over 10 s). The pattern's
 * size once unrolled is estimated, counting every repetition at least twice, and capped
 * before regcomp sees it; DicomEdit patterns are a few dozen atoms. */
#define DEID_REGEX_MAX_UNROLLED 1000
#define DEID_REGEX_MAX_GROUPS 64

static int regex_too_large(const char *ere)
{
    unsigned long total[DEID_REGEX_MAX_GROUPS + 1] = {0}, last = 0, factor;
    int depth = 0;

    for (const char *c = ere; *c; c++) {
        switch (*c) {
        case '(':
            if (++depth > DEID_REGEX_MAX_GROUPS)
                return 1;
            total[depth] = 0;
            last = 0;
            continue;
        case ')':
            if (depth == 0) { /* regcomp refuses it */
                last = 1;
                break;
            }
            last = total[depth--] + 1;
            total[depth] += last;
            continue;
        case '|':
            last = 0;
            continue;
        case '*': case '+': case '?': case '{':
            factor = 2;
            if (*c == '{') { /* {m}, {m,}, {m,n}: copied n times, or m + 1 */
                char *end;
                unsigned long m = strtoul(c + 1, &end, 10), n = m;
                if (*end == ',')
                    n = end[1] == '}' ? m + 1 : strtoul(end + 1, &end, 10);
                if ((end = strchr(end, '}')) == NULL) {
                    last = 1; /* no interval: a literal '{' */
                    break;
                }
                c = end;
                factor = n > m ? n : m;
                if (factor > DEID_REGEX_MAX_UNROLLED)
                    return 1;
                if (factor < 2)
                    factor = 2;
            }
            total[depth] += last * (factor - 1);
            last *= factor;
            if (total[depth] > DEID_REGEX_MAX_UNROLLED)
                return 1;
            continue;
        case '[': /* a bracket expression is one atom: "[]...]", "[^]...]", "[[:alpha:]]" */
            c += c[1] == '^' ? 2 : 1;
            if (*c == ']')
                c++;
            for (; *c && *c != ']'; c++)
                if (*c == '[' && (c[1] == ':' || c[1] == '.' || c[1] == '=')) {
                    const char *end = strchr(c + 2, c[1]);
                    if (end == NULL)
                        return 0; /* regcomp refuses it */
                    c = end[1] == ']' ? end + 1 : end;
                }
            if (*c == '\0')
                return 0;
            last = 1;
            break;
        case '\\':
            if (c[1])
                c++;
            last = 1;
            break;
        default:
            last = 1;
        }
        total[depth] += 1;
    }
    return total[0] > DEID_REGEX_MAX_UNROLLED;
}

const char *deid_regex_compile(apr_pool_t *p, const char *pattern, int full, regex_t **out)
{
    size_t n = strlen(pattern), i;
    char *buf = apr_palloc(p, n * 6 + 8), *o = buf;
    int in_bracket = 0, rc;
    regex_t *re = apr_pcalloc(p, sizeof *re);

    if (full) {
        *o++ = '^';
        *o++ = '(';
    }
    for (i = 0; i < n; i++) {
        char c = pattern[i];

        if (c == '\\' && i + 1 < n) {
            if (!in_bracket && (pattern[i + 1] == 'd' || pattern[i + 1] == 'D')) {
                strcpy(o, pattern[i + 1] == 'd' ? "[0-9]" : "[^0-9]");
                o += strlen(o);
            } else {
                *o++ = c;
                *o++ = pattern[i + 1];
            }
            i++;
            continue;
        }
        if (c == '[' && !in_bracket) {
            in_bracket = 1;
            *o++ = c;
            if (i + 1 < n && pattern[i + 1] == '^')
                *o++ = pattern[++i];
            if (i + 1 < n && pattern[i + 1] == ']')
                *o++ = pattern[++i];
            continue;
        }
        if (c == ']' && in_bracket)
            in_bracket = 0;
        *o++ = c;
    }
    if (full) {
        *o++ = ')';
        *o++ = '$';
    }
    *o = '\0';
    if (regex_too_large(buf))
        return "too many repetitions";
    if ((rc = regcomp(re, buf, REG_EXTENDED | (full ? REG_NOSUB : 0)))) {
        char msg[128];

        regerror(rc, re, msg, sizeof msg);
        return apr_pstrdup(p, msg);
    }
    regex_cleanup_register(p, re);
    *out = re;
    return NULL;
}

int deid_regex_full_match(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}

/* How to name argument k in an error: its tag path, or its position. */
static const char *argname(deid_run *r, const deid_expr *call, int k)
{
    if (call->args[k]->kind == DE_PATH)
        return call->args[k]->path->text;
    return apr_psprintf(r->p, "argument %d", k + 1);
}

static int parse_long(const char *s, long *out)
{
    char *end;

    while (*s == ' ')
        s++;
    if (!*s)
        return 0;
    *out = strtol(s, &end, 10);
    while (*end == ' ')
        end++;
    return !*end && *out > -1000000000L * 1000 && *out < 1000000000L * 1000;
}

/* ---- UIDs --------------------------------------------------------------------------- */
static const char *uuid_to_uid(apr_pool_t *p, unsigned char b[16])
{
    char digits[48], *d = digits + sizeof digits;
    int k, nonzero = 1;

    *--d = '\0';
    while (nonzero) {
        unsigned rem = 0;

        nonzero = 0;
        for (k = 0; k < 16; k++) {
            unsigned cur = rem << 8 | b[k];

            b[k] = (unsigned char)(cur / 10);
            rem = cur % 10;
            nonzero |= b[k];
        }
        *--d = (char)('0' + rem);
    }
    return apr_pstrcat(p, "2.25.", d, NULL);
}

const char *arca_deid_hash_uid(apr_pool_t *p, const char *value)
{
    static const unsigned char ns_oid[16] = {0x6b, 0xa7, 0xb8, 0x12, 0x9d, 0xad, 0x11, 0xd1,
                                             0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    size_t n = strlen(value);
    unsigned char *buf = apr_palloc(p, n + 16), md[SHA_DIGEST_LENGTH];

    memcpy(buf, ns_oid, 16);
    memcpy(buf + 16, value, n);
    SHA1(buf, n + 16, md);
    md[6] = (unsigned char)((md[6] & 0x0F) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3F) | 0x80);
    return uuid_to_uid(p, md);
}

arca_error_t *arca_deid_new_uid(apr_pool_t *p, const char **out)
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof b) != 1)
        return arca_error_create(p, 500, "no random bytes for a new UID");
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    *out = uuid_to_uid(p, b);
    return ARCA_OK;
}

static int is_sha1(const char *alg)
{
    return !strcasecmp(alg, "SHA-1") || !strcasecmp(alg, "SHA1");
}

static const char *prep_hash_uid(apr_pool_t *p, deid_expr *call)
{
    if (call->argc == 2 && call->args[1]->kind == DE_STR && !is_sha1(call->args[1]->str))
        return "only the SHA-1 algorithm is supported";
    return NULL;
}

static arca_error_t *fn_hash_uid(deid_run *r, const deid_expr *call, const char **argv,
                                 const char **out)
{
    if (call->argc == 2 && (!argv[1] || !is_sha1(argv[1])))
        return deid_run_error(r, "hashUID: only the SHA-1 algorithm is supported");
    *out = argv[0] ? arca_deid_hash_uid(r->p, argv[0]) : NULL;
    return ARCA_OK;
}

static arca_error_t *fn_new_uid(deid_run *r, const deid_expr *call, const char **argv,
                                const char **out)
{
    return deid_run_wrap(r, arca_deid_new_uid(r->p, out));
}

/* ---- strings ------------------------------------------------------------------------ */
/* Appends the MessageFormat `pat` with args; NULL or the reason it is malformed. */
static const char *format_into(apr_pool_t *p, const char *pat, int argc, const char **argv,
                               char **out)
{
    apr_array_header_t *buf = apr_array_make(p, 64, 1);
    const char *s = pat;
    int quoted = 0;

    while (*s) {
        if (*s == '\'') {
            if (s[1] == '\'') {
                *(char *)apr_array_push(buf) = '\'';
                s += 2;
            } else {
                quoted = !quoted;
                s++;
            }
            continue;
        }
        if (!quoted && *s == '{') {
            const char *close = strchr(s, '}'), *a;
            long k = 0;
            const char *d = s + 1;

            if (!close)
                return "unmatched '{' in the format";
            while (*d == ' ')
                d++;
            if (!isdigit((unsigned char)*d))
                return "only {n} placeholders are supported in the format";
            while (isdigit((unsigned char)*d) && k < 1000)
                k = k * 10 + (*d++ - '0');
            while (*d == ' ')
                d++;
            if (d != close)
                return "only {n} placeholders are supported in the format";
            a = k < argc ? (argv[k] ? argv[k] : "") : apr_psprintf(p, "{%ld}", k);
            while (*a)
                *(char *)apr_array_push(buf) = *a++;
            s = close + 1;
            continue;
        }
        if (!quoted && *s == '}')
            return "unmatched '}' in the format";
        *(char *)apr_array_push(buf) = *s++;
    }
    *(char *)apr_array_push(buf) = '\0';
    *out = buf->elts;
    return NULL;
}

static const char *prep_format(apr_pool_t *p, deid_expr *call)
{
    char *ignored;

    if (call->args[0]->kind != DE_STR)
        return NULL;
    return format_into(p, call->args[0]->str, 0, NULL, &ignored);
}

static arca_error_t *fn_format(deid_run *r, const deid_expr *call, const char **argv,
                               const char **out)
{
    char *s;
    const char *why;

    if (!argv[0])
        return ARCA_OK;
    if ((why = format_into(r->p, argv[0], call->argc - 1, argv + 1, &s)))
        return deid_run_error(r, "format: %s", why);
    *out = s;
    return ARCA_OK;
}

static arca_error_t *fn_case(deid_run *r, const char *v, int upper, const char **out)
{
    char *s, *c;

    if (!v)
        return ARCA_OK;
    s = apr_pstrdup(r->p, v);
    for (c = s; *c; c++)
        if (!(*c & 0x80))
            *c = (char)(upper ? toupper((unsigned char)*c) : tolower((unsigned char)*c));
    *out = s;
    return ARCA_OK;
}

static arca_error_t *fn_lowercase(deid_run *r, const deid_expr *call, const char **argv,
                                  const char **out)
{
    return fn_case(r, argv[0], 0, out);
}

static arca_error_t *fn_uppercase(deid_run *r, const deid_expr *call, const char **argv,
                                  const char **out)
{
    return fn_case(r, argv[0], 1, out);
}

/* Byte offset of code point `cp` in UTF-8 `s`, or -1 past the end (== length is ok). */
static long utf8_offset(const char *s, long cp)
{
    long off = 0;

    while (cp > 0) {
        if (!s[off])
            return -1;
        off++;
        while ((s[off] & 0xC0) == 0x80)
            off++;
        cp--;
    }
    return off;
}

static arca_error_t *fn_substring(deid_run *r, const deid_expr *call, const char **argv,
                                  const char **out)
{
    long b, e, ob, oe;

    if (!argv[1] || !parse_long(argv[1], &b) ||
        (call->argc == 3 && (!argv[2] || !parse_long(argv[2], &e))))
        return deid_run_error(r, "substring: the indexes must be integers");
    if (!argv[0])
        return ARCA_OK;
    if (b < 0 || (ob = utf8_offset(argv[0], b)) < 0)
        return deid_run_error(r, "substring: begin index out of range");
    if (call->argc == 3) {
        if (e < b || (oe = utf8_offset(argv[0], e)) < 0)
            return deid_run_error(r, "substring: end index out of range");
    } else {
        oe = (long)strlen(argv[0]);
    }
    *out = apr_pstrmemdup(r->p, argv[0] + ob, (size_t)(oe - ob));
    return ARCA_OK;
}

static arca_error_t *fn_replace(deid_run *r, const deid_expr *call, const char **argv,
                                const char **out)
{
    apr_array_header_t *buf;
    const char *s = argv[0], *hit;
    size_t tn;

    if (!s || !argv[1] || !*argv[1]) {
        *out = s;
        return ARCA_OK;
    }
    tn = strlen(argv[1]);
    buf = apr_array_make(r->p, (int)strlen(s) + 16, 1);
    while ((hit = strstr(s, argv[1]))) {
        const char *rep = argv[2] ? argv[2] : "";

        while (s < hit)
            *(char *)apr_array_push(buf) = *s++;
        while (*rep)
            *(char *)apr_array_push(buf) = *rep++;
        s += tn;
    }
    while (*s)
        *(char *)apr_array_push(buf) = *s++;
    *(char *)apr_array_push(buf) = '\0';
    *out = buf->elts;
    return ARCA_OK;
}

static arca_error_t *fn_concatenate(deid_run *r, const deid_expr *call, const char **argv,
                                    const char **out)
{
    char *s = "";
    int k;

    for (k = 0; k < call->argc; k++)
        if (argv[k])
            s = apr_pstrcat(r->p, s, argv[k], NULL);
    *out = s;
    return ARCA_OK;
}

/* match and ismatch keep the literal regex compiled in call->prep. */
static const char *prep_regex(apr_pool_t *p, deid_expr *call, int full)
{
    regex_t *re;
    const char *why;

    if (call->args[1]->kind != DE_STR)
        return NULL;
    if ((why = deid_regex_compile(p, call->args[1]->str, full, &re)))
        return apr_pstrcat(p, "bad regular expression: ", why, NULL);
    if (!full && call->argc == 3 && call->args[2]->kind == DE_STR) {
        long g;

        if (!parse_long(call->args[2]->str, &g) || g < 0 || (size_t)g > re->re_nsub)
            return "the group is not a group of the regular expression";
    }
    call->prep = re;
    return NULL;
}

static const char *prep_match(apr_pool_t *p, deid_expr *call)
{
    return prep_regex(p, call, 0);
}

static const char *prep_ismatch(apr_pool_t *p, deid_expr *call)
{
    return prep_regex(p, call, 1);
}

static arca_error_t *run_regex(deid_run *r, const deid_expr *call, const char **argv,
                               int full, regex_t **re)
{
    const char *why;

    if ((*re = call->prep))
        return ARCA_OK;
    if (!argv[1])
        return deid_run_error(r, "%s: no regular expression", call->fn->name);
    if ((why = deid_regex_compile(r->p, argv[1], full, re)))
        return deid_run_error(r, "%s: bad regular expression: %s", call->fn->name, why);
    return ARCA_OK;
}

static arca_error_t *fn_match(deid_run *r, const deid_expr *call, const char **argv,
                              const char **out)
{
    regex_t *re;
    regmatch_t m[10];
    long g;
    arca_error_t *err;

    if ((err = run_regex(r, call, argv, 0, &re)))
        return err;
    if (!argv[2] || !parse_long(argv[2], &g) || g < 0 || (size_t)g > re->re_nsub || g > 9)
        return deid_run_error(r, "match: the group is not a group of the regular expression");
    if (!argv[0] || regexec(re, argv[0], 10, m, 0) || m[g].rm_so < 0)
        return ARCA_OK;
    *out = apr_pstrmemdup(r->p, argv[0] + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
    return ARCA_OK;
}

static arca_error_t *fn_ismatch(deid_run *r, const deid_expr *call, const char **argv,
                                const char **out)
{
    regex_t *re;
    arca_error_t *err;

    if ((err = run_regex(r, call, argv, 1, &re)))
        return err;
    *out = argv[0] && deid_regex_full_match(re, argv[0]) ? "true" : "false";
    return ARCA_OK;
}

/* ---- dates -------------------------------------------------------------------------- */
/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    long era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    long era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    *y = (long)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y += *m <= 2;
}

static int num(const char *s, int n, unsigned *out)
{
    int k;

    *out = 0;
    for (k = 0; k < n; k++) {
        if (!isdigit((unsigned char)s[k]))
            return 0;
        *out = *out * 10 + (unsigned)(s[k] - '0');
    }
    return 1;
}

static int valid_date(long y, unsigned m, unsigned d)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100) || y % 400 == 0));
}

/* Shifts one DT (or DA, 8 digits) value by `secs`; NULL if it is not one. */
static const char *shift_dt(apr_pool_t *p, const char *v, long secs)
{
    size_t len = strlen(v), digits = strspn(v, "0123456789");
    const char *rest = v + digits;
    unsigned f[6] = {0, 1, 1, 0, 0, 0}, y;
    long day, total, sod, ny;
    unsigned nm, nd;
    int k;
    char full[40];

    while (len && v[len - 1] == ' ')
        len--;
    if (digits < 4 || digits > 14 || digits % 2)
        return NULL;
    num(v, 4, &y);
    for (k = 1; (size_t)(4 + 2 * k) <= digits; k++)
        num(v + 2 + 2 * k, 2, &f[k]);
    if (*rest == '.') {
        size_t fd = strspn(rest + 1, "0123456789");

        if (digits != 14 || fd < 1 || fd > 6)
            return NULL;
        rest += 1 + fd;
    }
    if (*rest == '+' || *rest == '-') {
        unsigned tz;

        if (!num(rest + 1, 4, &tz))
            return NULL;
        rest += 5;
    }
    if ((size_t)(rest - v) != len)
        return NULL;
    if (!valid_date(y, f[1], f[2]) || f[3] > 23 || f[4] > 59 || f[5] > 60)
        return NULL;
    day = days_from_civil(y, f[1], f[2]);
    total = day * 86400 + f[3] * 3600L + f[4] * 60L + f[5] + secs;
    day = total >= 0 ? total / 86400 : -((-total + 86399) / 86400);
    sod = total - day * 86400;
    civil_from_days(day, &ny, &nm, &nd);
    if (ny < 1 || ny > 9999)
        return NULL;
    snprintf(full, sizeof full, "%04u%02u%02u%02u%02u%02u", (unsigned)ny % 10000u, nm % 100u,
             nd % 100u, (unsigned)(sod / 3600) % 100u, (unsigned)(sod / 60 % 60) % 100u,
             (unsigned)(sod % 60) % 100u);
    return apr_pstrcat(p, apr_pstrmemdup(p, full, digits), apr_pstrmemdup(p, v + digits,
                                                                          len - digits),
                       NULL);
}

/* Applies shift_dt to each value of a multi-value; only dates (8 digits) when `da`. */
static arca_error_t *shift_values(deid_run *r, const deid_expr *call, const char *v,
                                  long secs, int da, const char **out)
{
    char *copy, *tok, *state;
    const char *res = NULL;

    if (!v)
        return ARCA_OK;
    copy = apr_pstrdup(r->p, v);
    for (tok = apr_strtok(copy, "\\", &state); tok; tok = apr_strtok(NULL, "\\", &state)) {
        const char *s = NULL;

        while (*tok == ' ')
            tok++;
        if (*tok && (!da || (strspn(tok, "0123456789") == 8 &&
                             tok[8 + strspn(tok + 8, " ")] == '\0')))
            s = shift_dt(r->p, tok, secs);
        if (*tok && !s)
            return deid_run_error(r, "%s: %s is not a %s", call->fn->name, argname(r, call, 0),
                                  da ? "date (YYYYMMDD)" : "date or date-time");
        res = res ? apr_pstrcat(r->p, res, "\\", s ? s : "", NULL) : (s ? s : "");
    }
    *out = res ? res : v; /* "" stays "" */
    return ARCA_OK;
}

static arca_error_t *fn_shift_date(deid_run *r, const deid_expr *call, const char **argv,
                                   const char **out)
{
    long days;

    if (!argv[1] || !parse_long(argv[1], &days) || days > 3660000 || days < -3660000)
        return deid_run_error(r, "shiftDateByIncrement: the increment is not a number of days");
    return shift_values(r, call, argv[0], days * 86400, 1, out);
}

static long unit_seconds(const char *u)
{
    static const struct {
        const char *name;
        long secs;
    } units[] = {{"s", 1}, {"second", 1}, {"seconds", 1}, {"minute", 60}, {"minutes", 60},
                 {"hour", 3600}, {"hours", 3600}, {"day", 86400}, {"days", 86400}};
    size_t k;

    for (k = 0; k < sizeof units / sizeof units[0]; k++)
        if (!strcasecmp(u, units[k].name))
            return units[k].secs;
    return 0;
}

static const char *prep_shift_dt(apr_pool_t *p, deid_expr *call)
{
    if (call->argc == 3 && call->args[2]->kind == DE_STR && !unit_seconds(call->args[2]->str))
        return "the unit is one of seconds, minutes, hours, days";
    return NULL;
}

static arca_error_t *fn_shift_datetime(deid_run *r, const deid_expr *call, const char **argv,
                                       const char **out)
{
    long n, unit = 1;

    if (call->argc == 3 && (!argv[2] || !(unit = unit_seconds(argv[2]))))
        return deid_run_error(r, "shiftDateTimeByIncrement: the unit is one of seconds, "
                                 "minutes, hours, days");
    if (!argv[1] || !parse_long(argv[1], &n) || n > 316224000000L / unit ||
        n < -316224000000L / unit)
        return deid_run_error(r, "shiftDateTimeByIncrement: the increment is not a number");
    return shift_values(r, call, argv[0], n * unit, 0, out);
}

/* ---- private tags ------------------------------------------------------------------- */
static const char *prep_retain(apr_pool_t *p, deid_expr *call)
{
    apr_array_header_t *paths = apr_array_make(p, call->argc, sizeof(deid_path *));
    int k;

    for (k = 0; k < call->argc; k++) {
        deid_path *path;
        const char *why;

        if (call->args[k]->kind != DE_STR)
            return "the paths must be string literals";
        if ((why = deid_path_parse(p, call->args[k]->str, strlen(call->args[k]->str), &path)))
            return apr_psprintf(p, "argument %d: %s", k + 1, why);
        *(deid_path **)apr_array_push(paths) = path;
    }
    call->prep = paths;
    return NULL;
}

static arca_error_t *fn_retain_private(deid_run *r, const deid_expr *call, const char **argv,
                                       const char **out)
{
    return deid_remove_private(r, call->prep);
}

static arca_error_t *fn_remove_private(deid_run *r, const deid_expr *call, const char **argv,
                                       const char **out)
{
    return deid_remove_private(r, apr_array_make(r->p, 1, sizeof(deid_path *)));
}

static const deid_func functions[] = {
    {"concatenate", 1, -1, fn_concatenate, NULL},
    {"format", 1, -1, fn_format, prep_format},
    {"hashUID", 1, 2, fn_hash_uid, prep_hash_uid},
    {"ismatch", 2, 2, fn_ismatch, prep_ismatch},
    {"lowercase", 1, 1, fn_lowercase, NULL},
    {"match", 3, 3, fn_match, prep_match},
    {"newUID", 0, 0, fn_new_uid, NULL},
    {"removeAllPrivateTags", 0, 0, fn_remove_private, NULL},
    {"replace", 3, 3, fn_replace, NULL},
    {"retainPrivateTags", 0, -1, fn_retain_private, prep_retain},
    {"shiftDateByIncrement", 2, 2, fn_shift_date, NULL},
    {"shiftDateTimeByIncrement", 2, 3, fn_shift_datetime, prep_shift_dt},
    {"substring", 2, 3, fn_substring, NULL},
    {"uppercase", 1, 1, fn_uppercase, NULL},
};

const deid_func *deid_func_lookup(const char *name)
{
    size_t k;

    for (k = 0; k < sizeof functions / sizeof functions[0]; k++)
        if (!strcmp(functions[k].name, name))
            return &functions[k];
    return NULL;
}
