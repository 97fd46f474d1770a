/* multipart/form-data parsing as a state machine fed chunk by chunk. Part content is never
 * copied: it is handed on straight from the caller's chunk, and the only bytes carried from
 * one chunk to the next are a possible start of the delimiter, which are the delimiter's
 * own first bytes and so need no buffer. Only a part's header block is held, up to a limit. */
#include <string.h>

#include <apr_strings.h>

#include "store/multipart.h"

#define MAX_BOUNDARY 70 /* RFC 2046 5.1.1 */

typedef enum {
    MP_PREAMBLE,    /* before the first delimiter: dropped */
    MP_AFTER_DELIM, /* just after a delimiter: "--" ends the form, else the line ends */
    MP_CLOSE_DASH,  /* after the first '-' of the closing "--" */
    MP_PADDING,     /* whitespace after a delimiter, before the line end */
    MP_LINE_LF,     /* after the CR ending a delimiter line */
    MP_HEADERS,     /* a part's header block, up to its empty line */
    MP_DATA,        /* a part's content, up to the next delimiter */
    MP_EPILOGUE     /* after the closing delimiter: dropped */
} mp_state_t;

struct arca_multipart_t {
    apr_pool_t *pool;      /* the parser and its error */
    apr_pool_t *part_pool; /* the current part's header values, cleared for each part */
    arca_multipart_callbacks_t cb;
    const char *delim; /* "\r\n--" boundary: a delimiter, line end included (RFC 2046) */
    apr_size_t dlen;
    apr_size_t matched; /* bytes of delim seen last and held back: content, or a delimiter */
    mp_state_t state;
    int in_part; /* part_begin called, part_end not yet */
    int nparts;
    char *hbuf; /* the current part's header block, ARCA_MULTIPART_MAX_HEADER_BYTES */
    apr_size_t hlen;
    apr_size_t line_start; /* where the header line being read starts in hbuf */
    arca_error_t *err;     /* set once the parse has stopped; returned from then on */
};

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 7230 tchar: what header names, media types and parameter names are made of. */
static int is_tchar(char ch)
{
    unsigned char c = (unsigned char)ch;

    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive comparison of s[0..n) with a word; no locale is involved. */
static int same_word_n(const char *s, apr_size_t n, const char *word)
{
    if (strlen(word) != n)
        return 0;
    for (apr_size_t i = 0; i < n; i++)
        if (lower(s[i]) != lower(word[i]))
            return 0;
    return 1;
}

static int same_word(const char *s, const char *word)
{
    return same_word_n(s, strlen(s), word);
}

/* RFC 2046 allows fewer characters than this; any printable ASCII is accepted because the
 * parser only relies on a boundary holding no CR or LF, and some clients go beyond bchars. */
static int valid_boundary(const char *b)
{
    apr_size_t n = b ? strlen(b) : 0;

    if (n < 1 || n > MAX_BOUNDARY || b[n - 1] == ' ')
        return 0;
    for (apr_size_t i = 0; i < n; i++)
        if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] > 0x7e)
            return 0;
    return 1;
}

/* The next `; name=value` parameter (RFC 7231 3.1.1.1) from *s on; the value is a token
 * or a quoted-string. Returns 1 with a parameter, 0 at the end, -1 if malformed. */
static int next_param(apr_pool_t *p, const char **s, const char **name, const char **value)
{
    const char *c = *s, *start;

    while (is_ows(*c))
        c++;
    if (*c == '\0')
        return 0;
    if (*c != ';')
        return -1;
    /* Stray semicolons (";;", a trailing ";") are common and harmless. */
    while (*c == ';' || is_ows(*c))
        c++;
    if (*c == '\0') {
        *s = c;
        return 0;
    }
    for (start = c; is_tchar(*c); c++)
        ;
    if (c == start)
        return -1;
    *name = apr_pstrmemdup(p, start, (apr_size_t)(c - start));
    while (is_ows(*c))
        c++;
    if (*c++ != '=')
        return -1;
    while (is_ows(*c))
        c++;
    if (*c == '"') {
        char *out = apr_palloc(p, strlen(c)), *o = out;

        for (c++; *c != '"'; c++) {
            if (*c == '\0')
                return -1;
            /* Only \" and \\ are escapes: old browsers send Windows paths unescaped
             * (C:\dir\a.dcm), and keeping other backslashes keeps those whole. */
            if (*c == '\\' && (c[1] == '"' || c[1] == '\\'))
                c++;
            *o++ = *c;
        }
        *o = '\0';
        c++;
        *value = out;
    } else {
        /* Looser than a token, since clients send bare UTF-8 filenames, but a value that
         * runs into a quote or stops at a space is broken, not something to guess at. */
        for (start = c; *c != '\0' && *c != ';' && *c != '"' && !is_ows(*c); c++)
            ;
        if (c == start || *c == '"')
            return -1;
        *value = apr_pstrmemdup(p, start, (apr_size_t)(c - start));
    }
    *s = c;
    return 1;
}

arca_error_t *arca_multipart_boundary(apr_pool_t *p, const char *content_type,
                                      const char **boundary)
{
    const char *s = content_type, *start, *name, *value, *found = NULL;
    int r;

    if (s == NULL)
        return arca_error_create(p, 400, "the request is not multipart/form-data");
    while (is_ows(*s))
        s++;
    for (start = s; is_tchar(*s) || *s == '/'; s++)
        ;
    if (!same_word_n(start, (apr_size_t)(s - start), "multipart/form-data"))
        return arca_error_create(p, 400, "the request is not multipart/form-data");
    while ((r = next_param(p, &s, &name, &value)) > 0) {
        if (!same_word(name, "boundary"))
            continue;
        if (found)
            return arca_error_create(p, 400, "the Content-Type has two boundary parameters");
        found = value;
    }
    if (r < 0)
        return arca_error_create(p, 400, "the multipart/form-data Content-Type is malformed");
    if (!found)
        return arca_error_create(p, 400, "the multipart/form-data Content-Type has no boundary");
    if (!valid_boundary(found))
        return arca_error_create(p, 400, "the multipart boundary must be 1 to %d printable "
                                 "characters", MAX_BOUNDARY);
    *boundary = found;
    return ARCA_OK;
}

arca_error_t *arca_multipart_create(apr_pool_t *p, const char *boundary,
                                    const arca_multipart_callbacks_t *cb,
                                    arca_multipart_t **mp)
{
    arca_multipart_t *m;

    if (!valid_boundary(boundary))
        return arca_error_create(p, 400, "the multipart boundary must be 1 to %d printable "
                                 "characters", MAX_BOUNDARY);
    m = apr_pcalloc(p, sizeof *m);
    if (apr_pool_create(&m->part_pool, p) != APR_SUCCESS)
        return arca_error_create(p, 500, "out of memory for a multipart parser");
    m->pool = p;
    m->cb = *cb;
    m->delim = apr_pstrcat(p, "\r\n--", boundary, NULL);
    m->dlen = strlen(m->delim);
    /* The body may open with its first boundary line, which then has no line end before
     * it: start as if one had just been read. */
    m->matched = 2;
    m->state = MP_PREAMBLE;
    m->hbuf = apr_palloc(p, ARCA_MULTIPART_MAX_HEADER_BYTES);
    *mp = m;
    return ARCA_OK;
}

static arca_error_t *bad(arca_multipart_t *mp, const char *message)
{
    return arca_error_create(mp->pool, 400, "%s", message);
}

static arca_error_t *emit(arca_multipart_t *mp, const char *data, apr_size_t len)
{
    if (mp->state != MP_DATA || len == 0 || !mp->cb.part_data)
        return ARCA_OK;
    return mp->cb.part_data(mp->cb.baton, data, len);
}

/* Goes through data[*pos..len) looking for the delimiter, handing what comes before it to
 * part_data (or dropping it, in the preamble). Returns with *pos just past the delimiter
 * and the state MP_AFTER_DELIM, or with *pos == len. */
static arca_error_t *scan(arca_multipart_t *mp, const char *data, apr_size_t len,
                          apr_size_t *pos)
{
    apr_size_t i = *pos;
    arca_error_t *err;

    while (i < len) {
        if (mp->matched == 0) {
            /* Only a CR can start a delimiter: everything up to one is content. */
            const char *cr = memchr(data + i, '\r', len - i);
            apr_size_t end = cr ? (apr_size_t)(cr - data) : len;

            if ((err = emit(mp, data + i, end - i)))
                return err;
            if (!cr) {
                i = len;
                break;
            }
            i = end + 1;
            mp->matched = 1;
        } else {
            apr_size_t want = mp->dlen - mp->matched, n = len - i < want ? len - i : want;
            apr_size_t k = 0;

            while (k < n && data[i + k] == mp->delim[mp->matched + k])
                k++;
            if (k < n) {
                /* Not the delimiter after all: the bytes held back are content, and they
                 * are delim[0..matched + k). The delimiter has no CR past its first byte
                 * (a boundary is printable), so no later start of one can be among them:
                 * only the byte that broke the match may start one, and the loop looks at
                 * it again. */
                err = emit(mp, mp->delim, mp->matched + k);
                mp->matched = 0;
                i += k;
                if (err)
                    return err;
                continue;
            }
            mp->matched += n;
            i += n;
            if (mp->matched == mp->dlen) {
                mp->matched = 0;
                mp->state = MP_AFTER_DELIM;
                break;
            }
        }
    }
    *pos = i;
    return ARCA_OK;
}

static arca_error_t *end_part(arca_multipart_t *mp)
{
    if (!mp->in_part)
        return ARCA_OK;
    mp->in_part = 0;
    return mp->cb.part_end ? mp->cb.part_end(mp->cb.baton) : ARCA_OK;
}

/* A delimiter line has ended: the part before it is complete and the next one's headers
 * follow. The part only ends once its delimiter line is known to be good, so a caller
 * never takes a part as complete from a body that turns out to be malformed right there. */
static arca_error_t *next_part(arca_multipart_t *mp)
{
    arca_error_t *err = end_part(mp);

    if (err)
        return err;
    if (mp->nparts == ARCA_MULTIPART_MAX_PARTS)
        return arca_error_create(mp->pool, 400, "the form has more than %d parts",
                                 ARCA_MULTIPART_MAX_PARTS);
    mp->nparts++;
    mp->state = MP_HEADERS;
    mp->hlen = 0;
    mp->line_start = 0;
    return ARCA_OK;
}

/* One byte of what follows a delimiter: "--" for the last one, else optional whitespace
 * (RFC 2046 transport padding) and the line end, CRLF or a bare LF. */
static arca_error_t *boundary_line(arca_multipart_t *mp, char c)
{
    arca_error_t *err;

    switch (mp->state) {
    case MP_AFTER_DELIM:
    case MP_PADDING:
        if (c == '-' && mp->state == MP_AFTER_DELIM) {
            mp->state = MP_CLOSE_DASH;
            return ARCA_OK;
        }
        if (is_ows(c)) {
            mp->state = MP_PADDING;
            return ARCA_OK;
        }
        if (c == '\r') {
            mp->state = MP_LINE_LF;
            return ARCA_OK;
        }
        if (c == '\n')
            return next_part(mp);
        break;
    case MP_CLOSE_DASH:
        if (c == '-') {
            err = end_part(mp);
            mp->state = MP_EPILOGUE;
            return err;
        }
        break;
    case MP_LINE_LF:
        if (c == '\n')
            return next_part(mp);
        break;
    default:
        break;
    }
    /* Also what a boundary string inside the content looks like: the client chose a
     * boundary that is not unique, which RFC 2046 forbids, and the body cannot be split. */
    return bad(mp, "a multipart boundary line is malformed");
}

/* The part's header block is complete (hbuf, ending with its empty line): finds its
 * name, filename and type and starts the part. */
static arca_error_t *begin_part(arca_multipart_t *mp)
{
    apr_pool_t *p = mp->part_pool;
    const char *r = mp->hbuf, *stop = mp->hbuf + mp->hlen;
    const char *disposition = NULL, *type = NULL, *name = NULL, *filename = NULL;
    const char *s, *start, *pname, *pvalue;
    char *block, *w, *line;
    int nlines = 0, rc;

    apr_pool_clear(p);
    /* Unfold into logical lines, each ended by a NUL; never longer than the block. */
    w = block = apr_palloc(p, mp->hlen + 1);
    while (r < stop) {
        const char *nl = memchr(r, '\n', (apr_size_t)(stop - r)); /* the block ends in one */
        const char *end = nl > r && nl[-1] == '\r' ? nl - 1 : nl;

        if (end == r)
            break; /* the empty line */
        if (memchr(r, '\0', (apr_size_t)(end - r)) || memchr(r, '\r', (apr_size_t)(end - r)))
            return bad(mp, "a form part has a malformed header line");
        if (is_ows(*r)) {
            /* A folded line (RFC 5322 obs-fold) goes on with the header before it. */
            if (nlines == 0)
                return bad(mp, "a form part has a malformed header line");
            w[-1] = ' ';
            while (r < end && is_ows(*r))
                r++;
        } else {
            nlines++;
        }
        memcpy(w, r, (apr_size_t)(end - r));
        w += end - r;
        *w++ = '\0';
        r = nl + 1;
    }

    for (line = block; nlines > 0; nlines--) {
        char *next = line + strlen(line) + 1, *colon = strchr(line, ':'), *value, *vend;

        if (colon == NULL || colon == line)
            return bad(mp, "a form part has a malformed header line");
        for (char *c = line; c < colon; c++)
            if (!is_tchar(*c))
                return bad(mp, "a form part has a malformed header line");
        *colon = '\0';
        for (value = colon + 1; is_ows(*value); value++)
            ;
        for (vend = value + strlen(value); vend > value && is_ows(vend[-1]); vend--)
            ;
        *vend = '\0';
        /* One branch per header a part may carry once, each refusing a second with its own
         * message, as for the Content-Disposition parameters below: the shape repeats by
         * design. */
        if (same_word(line, "Content-Disposition")) {
            if (disposition)
                return bad(mp, "a form part has two Content-Disposition headers");
            disposition = value;
        } else if (same_word(line, "Content-Type")) {
            if (type)
                return bad(mp, "a form part has two Content-Type headers");
            type = value;
        }
        line = next;
    }

    if (disposition == NULL)
        return bad(mp, "a form part has no Content-Disposition header");
    for (s = start = disposition; is_tchar(*s); s++)
        ;
    if (!same_word_n(start, (apr_size_t)(s - start), "form-data"))
        return bad(mp, "a form part's Content-Disposition is not form-data");
    while ((rc = next_param(p, &s, &pname, &pvalue)) > 0) {
        if (same_word(pname, "name")) {
            if (name)
                return bad(mp, "a form part's Content-Disposition has two names");
            name = pvalue;
        } else if (same_word(pname, "filename")) {
            if (filename)
                return bad(mp, "a form part's Content-Disposition has two filenames");
            filename = pvalue;
        }
        /* Others are ignored, filename* among them: RFC 7578 4.2 forbids it. */
    }
    if (rc < 0)
        return bad(mp, "a form part's Content-Disposition is malformed");
    if (name == NULL)
        return bad(mp, "a form part's Content-Disposition has no name");

    mp->state = MP_DATA;
    mp->matched = 0;
    mp->in_part = 1;
    if (!mp->cb.part_begin)
        return ARCA_OK;
    return mp->cb.part_begin(mp->cb.baton, name, filename, type && *type ? type : NULL);
}

/* Takes header bytes from data[*pos..len), up to the end of a line at most. */
static arca_error_t *read_headers(arca_multipart_t *mp, const char *data, apr_size_t len,
                                  apr_size_t *pos)
{
    const char *start = data + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    apr_size_t n = nl ? (apr_size_t)(nl - start) + 1 : len - *pos, line;

    if (n > ARCA_MULTIPART_MAX_HEADER_BYTES - mp->hlen)
        return arca_error_create(mp->pool, 400, "a form part's headers are larger than %d "
                                 "bytes", ARCA_MULTIPART_MAX_HEADER_BYTES);
    memcpy(mp->hbuf + mp->hlen, start, n);
    mp->hlen += n;
    *pos += n;
    if (!nl)
        return ARCA_OK;
    line = mp->hlen - mp->line_start;
    if (line == 1 || (line == 2 && mp->hbuf[mp->line_start] == '\r'))
        return begin_part(mp);
    mp->line_start = mp->hlen;
    return ARCA_OK;
}

arca_error_t *arca_multipart_feed(arca_multipart_t *mp, const char *data, apr_size_t len)
{
    apr_size_t i = 0;
    arca_error_t *err = ARCA_OK;

    if (mp->err)
        return mp->err;
    while (i < len && !err) {
        switch (mp->state) {
        case MP_PREAMBLE:
        case MP_DATA:
            err = scan(mp, data, len, &i);
            break;
        case MP_HEADERS:
            err = read_headers(mp, data, len, &i);
            break;
        case MP_EPILOGUE:
            i = len;
            break;
        default:
            err = boundary_line(mp, data[i++]);
            break;
        }
    }
    return mp->err = err;
}

arca_error_t *arca_multipart_finish(arca_multipart_t *mp)
{
    if (mp->err)
        return mp->err;
    if (mp->state == MP_PREAMBLE)
        mp->err = bad(mp, "the body holds no part with the boundary its Content-Type gives");
    else if (mp->state != MP_EPILOGUE)
        mp->err = bad(mp, "the form ended before its closing boundary: the upload is "
                          "incomplete");
    return mp->err;
}
