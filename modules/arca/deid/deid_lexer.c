/* DicomEdit tokens, one line at a time (a statement never spans lines). Strings take Java
 * escapes (\n \t \r \b \f \" \' \\ \uXXXX); any other backslash pair is kept as written,
 * so a regex written "\d+" works as well as "\\d+". A tag path is one token: it starts
 * with '(' or with the level wildcards star-slash / plus-slash, and runs through its
 * "[n]" items and '/' levels. Comments start with "//" outside a string. */
#include <ctype.h>
#include <string.h>

#include <apr_strings.h>

#include "deid/deid_internal.h"

const char *deid_tok_name(deid_tok_kind k)
{
    static const char *names[] = {
        "end of line", "string", "number", "name", "tag path", "':='", "'?='", "'='",
        "'!='", "'~'", "'!~'", "'?'", "':'", "'-'", "'['", "']'", "','"};

    return names[k];
}

static arca_error_t *lex_error(apr_pool_t *p, int line, int col, const char *what)
{
    return arca_error_create(p, 400, "line %d: %s (column %d)", line, what, col);
}

/* Length of the tag path starting at s[i], or 0 with *why set. */
static size_t path_length(const char *s, size_t i, size_t n, const char **why)
{
    size_t j = i;

    for (;;) {
        if (j + 1 < n && (s[j] == '*' || s[j] == '+') && s[j + 1] == '/')
            j += 2;
        if (j >= n || s[j] != '(') {
            *why = "malformed tag path: expected '('";
            return 0;
        }
        /* (gggg,eeee) or (gggg,{Creator}ee): the creator may hold ',' and ')' */
        while (j < n && s[j] != ')' && s[j] != '{')
            j++;
        if (j < n && s[j] == '{') {
            while (j < n && s[j] != '}')
                j++;
            while (j < n && s[j] != ')')
                j++;
        }
        if (j >= n) {
            *why = "malformed tag path: missing ')'";
            return 0;
        }
        j++; /* ')' */
        if (j < n && s[j] == '[') {
            while (j < n && s[j] != ']')
                j++;
            if (j >= n) {
                *why = "malformed tag path: missing ']'";
                return 0;
            }
            j++;
        }
        if (j + 1 < n && s[j] == '/' && s[j + 1] != '/')
            j++;
        else
            return j - i;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes the string starting after the quote at s[i]; *end is past the closing quote. */
static const char *lex_string(apr_pool_t *p, const char *s, size_t i, size_t n,
                              size_t *end, const char **why)
{
    char *out = apr_palloc(p, n - i + 1), *o = out;
    size_t j = i + 1;

    while (j < n && s[j] != '"') {
        if (s[j] != '\\') {
            *o++ = s[j++];
            continue;
        }
        if (j + 1 >= n)
            break;
        switch (s[j + 1]) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case '"': *o++ = '"'; break;
        case '\'': *o++ = '\''; break;
        case '\\': *o++ = '\\'; break;
        case 'u': {
            unsigned cp = 0;
            int k;

            for (k = 0; k < 4; k++) {
                int h = j + 2 + k < n ? hexval(s[j + 2 + k]) : -1;
                if (h < 0) {
                    *why = "bad \\u escape in a string";
                    return NULL;
                }
                cp = cp << 4 | (unsigned)h;
            }
            if (cp == 0) {
                *why = "\\u0000 in a string";
                return NULL;
            }
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | cp >> 6);
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xE0 | cp >> 12);
                *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            j += 6;
            continue;
        }
        default: /* kept as written: regexes */
            *o++ = '\\';
            *o++ = s[j + 1];
        }
        j += 2;
    }
    if (j >= n) {
        *why = "unterminated string";
        return NULL;
    }
    *o = '\0';
    *end = j + 1;
    return out;
}

arca_error_t *deid_lex_line(apr_pool_t *p, int line, const char *s, size_t n,
                            apr_array_header_t *toks)
{
    size_t i = 0;

    while (i < n) {
        char c = s[i];
        deid_token *t;
        size_t len = 1;
        const char *why = NULL;

        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '/')
            break;
        t = apr_array_push(toks);
        t->col = (int)i + 1;
        t->text = NULL;
        if (c == '"') {
            size_t end;

            t->kind = DT_STRING;
            if (!(t->text = lex_string(p, s, i, n, &end, &why)))
                return lex_error(p, line, (int)i + 1, why);
            i = end;
            continue;
        }
        if (c == '(' || ((c == '*' || c == '+') && i + 1 < n && s[i + 1] == '/')) {
            if (!(len = path_length(s, i, n, &why)))
                return lex_error(p, line, (int)i + 1, why);
            t->kind = DT_PATH;
        } else if (isalpha((unsigned char)c) || c == '_') {
            while (i + len < n && (isalnum((unsigned char)s[i + len]) || s[i + len] == '_'))
                len++;
            t->kind = DT_IDENT;
        } else if (isdigit((unsigned char)c) ||
                   (c == '-' && i + 1 < n && isdigit((unsigned char)s[i + 1]))) {
            while (i + len < n && (isdigit((unsigned char)s[i + len]) || s[i + len] == '.'))
                len++;
            t->kind = DT_NUMBER;
        } else if (c == ':' && i + 1 < n && s[i + 1] == '=') {
            t->kind = DT_ASSIGN, len = 2;
        } else if (c == '?' && i + 1 < n && s[i + 1] == '=') {
            t->kind = DT_ASSIGN_IF, len = 2;
        } else if (c == '!' && i + 1 < n && s[i + 1] == '=') {
            t->kind = DT_NE, len = 2;
        } else if (c == '!' && i + 1 < n && s[i + 1] == '~') {
            t->kind = DT_NMATCH, len = 2;
        } else {
            switch (c) {
            case '=': t->kind = DT_EQ; break;
            case '~': t->kind = DT_MATCH; break;
            case '?': t->kind = DT_QUESTION; break;
            case ':': t->kind = DT_COLON; break;
            case '-': t->kind = DT_MINUS; break;
            case '[': t->kind = DT_LBRACK; break;
            case ']': t->kind = DT_RBRACK; break;
            case ',': t->kind = DT_COMMA; break;
            default:
                return lex_error(p, line, (int)i + 1,
                                 isprint((unsigned char)c)
                                     ? apr_psprintf(p, "unexpected character '%c'", c)
                                     : "unexpected character");
            }
        }
        if (t->kind == DT_PATH || t->kind == DT_IDENT || t->kind == DT_NUMBER)
            t->text = apr_pstrmemdup(p, s + i, len);
        i += len;
    }
    ((deid_token *)apr_array_push(toks))->kind = DT_EOL;
    ((deid_token *)toks->elts)[toks->nelts - 1].col = (int)n + 1;
    ((deid_token *)toks->elts)[toks->nelts - 1].text = NULL;
    return ARCA_OK;
}
