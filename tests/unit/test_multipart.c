/* multipart/form-data parsing: what each part's callbacks see, however the body is cut
 * into chunks, and a 400 for every malformed or truncated body. */
#include "test_util.h"
#include <stdlib.h>

#include "store/multipart.h"

/* A byte buffer that grows in a pool (test bodies and transcripts hold NUL bytes). */
typedef struct {
    apr_pool_t *pool;
    char *data;
    size_t len, cap;
} buf_t;

static void buf_add(buf_t *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        char *d;

        while (cap < b->len + len)
            cap *= 2;
        d = apr_palloc(b->pool, cap);
        if (b->len)
            memcpy(d, b->data, b->len);
        b->data = d;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void buf_str(buf_t *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Records the callbacks as one transcript: <B name|filename|type>, the content bytes, <E>.
 * Content is merged, so any chunking of the same body must give the same transcript. */
typedef struct {
    buf_t log;
    int keep;              /* content into the log; else only counted */
    int calls;             /* callbacks so far */
    int fail_call;         /* the callback (1-based) that returns fail_err; 0: none */
    arca_error_t *fail_err;
    int in_part;
    int begins, ends;
    size_t max_data;       /* the largest part_data */
    unsigned long long data_bytes, hash;
} rec_t;

static rec_t *rec_make(apr_pool_t *p)
{
    rec_t *r = apr_pcalloc(p, sizeof *r);

    r->log.pool = p;
    r->keep = 1;
    return r;
}

static arca_error_t *rec_call(rec_t *r)
{
    return ++r->calls == r->fail_call ? r->fail_err : NULL;
}

static arca_error_t *rec_begin(void *baton, const char *name, const char *filename,
                               const char *content_type)
{
    rec_t *r = baton;

    assert_false(r->in_part);
    assert_non_null(name);
    r->in_part = 1;
    r->begins++;
    buf_str(&r->log, apr_psprintf(r->log.pool, "<B %s|%s|%s>", name,
                                  filename ? filename : "(none)",
                                  content_type ? content_type : "(none)"));
    return rec_call(r);
}

static arca_error_t *rec_data(void *baton, const char *data, apr_size_t len)
{
    rec_t *r = baton;

    assert_true(r->in_part);
    assert_true(len > 0);
    if (len > r->max_data)
        r->max_data = len;
    r->data_bytes += len;
    for (apr_size_t i = 0; i < len; i++)
        r->hash = (r->hash ^ (unsigned char)data[i]) * 1099511628211ULL;
    if (r->keep)
        buf_add(&r->log, data, len);
    return rec_call(r);
}

static arca_error_t *rec_end(void *baton)
{
    rec_t *r = baton;

    assert_true(r->in_part);
    r->in_part = 0;
    r->ends++;
    buf_str(&r->log, "<E>");
    return rec_call(r);
}

/* Feeds `body` in chunks of `chunk` bytes (0: in one piece) and finishes. Each chunk is
 * copied into a malloc'd block of exactly its size, so that valgrind (or ASan) catches a
 * read past it, which pool memory would hide. */
static arca_error_t *parse_sized(apr_pool_t *p, const char *boundary, const char *body,
                                 size_t len, const size_t *sizes, size_t nsizes, rec_t *r)
{
    arca_multipart_callbacks_t cb = {rec_begin, rec_data, rec_end, r};
    arca_multipart_t *mp;
    arca_error_t *err = NULL;
    size_t i = 0, k = 0;

    assert_null(arca_multipart_create(p, boundary, &cb, &mp));
    while (i < len && !err) {
        size_t n = nsizes ? sizes[k++ % nsizes] : len;
        char *copy;

        if (n == 0 || n > len - i)
            n = len - i;
        copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, body + i, n);
        err = arca_multipart_feed(mp, copy, n);
        free(copy);
        i += n;
    }
    return err ? err : arca_multipart_finish(mp);
}

static arca_error_t *parse(apr_pool_t *p, const char *boundary, const char *body, size_t len,
                           size_t chunk, rec_t *r)
{
    return parse_sized(p, boundary, body, len, &chunk, chunk ? 1 : 0, r);
}

#define BODY(s) s, sizeof(s) - 1

static void assert_log(const rec_t *r, const char *expected, size_t len)
{
    assert_int_equal(r->log.len, len);
    assert_memory_equal(r->log.data, expected, len);
}

static void assert_status(arca_error_t *err, int status)
{
    assert_non_null(err);
    assert_int_equal(err->status, status);
    assert_non_null(err->message);
}

/* ---- the boundary from Content-Type --------------------------------------------------- */

static void boundary_from_content_type(void **state)
{
    apr_pool_t *p = *state;
    const char *b;

    assert_null(arca_multipart_boundary(p, "multipart/form-data; boundary=XyZ", &b));
    assert_string_equal(b, "XyZ");
    assert_null(arca_multipart_boundary(p, "Multipart/Form-Data;boundary=----WebKitForm"
                                        "BoundaryX7sG;charset=utf-8", &b));
    assert_string_equal(b, "----WebKitFormBoundaryX7sG");
    assert_null(arca_multipart_boundary(p, " multipart/form-data ; charset=utf-8 ; "
                                        "BOUNDARY=\"a b:c=d?\" ;", &b));
    assert_string_equal(b, "a b:c=d?");
    assert_null(arca_multipart_boundary(p, "multipart/form-data; boundary=\"q\\\"x\\\\y\"",
                                        &b));
    assert_string_equal(b, "q\"x\\y");
    assert_null(arca_multipart_boundary(
        p, apr_pstrcat(p, "multipart/form-data; boundary=", apr_psprintf(p, "%070d", 7), NULL),
        &b));
    assert_int_equal(strlen(b), 70);
}

static void boundary_refused(void **state)
{
    apr_pool_t *p = *state;
    const char *b = "untouched";
    static const char *bad[] = {
        "application/json",
        "multipart/mixed; boundary=XyZ",
        "multipart/form-data-x; boundary=XyZ",
        "multipart/form-data",
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"XyZ",
        "multipart/form-data; boundary=\"trailing \"",
        "multipart/form-data; boundary=\"tab\there\"",
        "multipart/form-data; boundary=a; boundary=b",
        "multipart/form-data; boundary=a b",
        "multipart/form-data boundary=XyZ",
        "multipart/form-data; =XyZ",
        "multipart/form-data; boundary=\"caf\xc3\xa9\"",
        "",
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_status(arca_multipart_boundary(p, bad[i], &b), 400);
        assert_string_equal(b, "untouched");
    }
    assert_status(arca_multipart_boundary(p, NULL, &b), 400);
    assert_status(arca_multipart_boundary(
        p, apr_pstrcat(p, "multipart/form-data; boundary=", apr_psprintf(p, "%071d", 7), NULL),
        &b), 400);
}

static void create_refuses_a_bad_boundary(void **state)
{
    apr_pool_t *p = *state;
    arca_multipart_callbacks_t cb = {NULL, NULL, NULL, NULL};
    arca_multipart_t *mp;

    assert_status(arca_multipart_create(p, "", &cb, &mp), 400);
    assert_status(arca_multipart_create(p, "a\r\nb", &cb, &mp), 400);
    assert_status(arca_multipart_create(p, NULL, &cb, &mp), 400);
}

/* ---- parts ------------------------------------------------------------------------------ */

static const char two_parts[] =
    "This is the preamble, to be ignored.\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"label\"\r\n"
    "\r\n"
    "Phantom CT\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"scan 1.dcm\"\r\n"
    "Content-Type: application/dicom\r\n"
    "\r\n"
    "DICM\0\0\r\n--\r\n--X\r\n--XyY\r\r\n-\n--XyZ\r-\r\n--Xy\r\n-\r\n"
    "--XyZ--\r\n"
    "This is the epilogue, to be ignored too: \r\n--XyZ\r\n garbage\r\n";

static const char two_parts_log[] =
    "<B label|(none)|(none)>Phantom CT<E>"
    "<B file|scan 1.dcm|application/dicom>"
    "DICM\0\0\r\n--\r\n--X\r\n--XyY\r\r\n-\n--XyZ\r-\r\n--Xy\r\n-<E>";

static void single_file_part(void **state)
{
    apr_pool_t *p = *state;
    rec_t *r = rec_make(p);

    assert_null(parse(p, "XyZ", BODY("--XyZ\r\n"
                                     "Content-Disposition: form-data; name=\"file\"; "
                                     "filename=\"a b.dcm\"\r\n"
                                     "Content-Type: application/dicom\r\n"
                                     "\r\n"
                                     "DICM data\r\n"
                                     "--XyZ--\r\n"), 0, r));
    assert_log(r, BODY("<B file|a b.dcm|application/dicom>DICM data<E>"));
}

static void a_field_then_a_file(void **state)
{
    apr_pool_t *p = *state;
    rec_t *r = rec_make(p);

    assert_null(parse(p, "XyZ", BODY(two_parts), 0, r));
    assert_log(r, BODY(two_parts_log));
    assert_int_equal(r->begins, 2);
    assert_int_equal(r->ends, 2);
}

static void binary_content_passes_through(void **state)
{
    apr_pool_t *p = *state;
    buf_t body = {p, NULL, 0, 0}, expected = {p, NULL, 0, 0};
    char bytes[256];
    rec_t *r = rec_make(p);

    for (int i = 0; i < 256; i++)
        bytes[i] = (char)i;
    buf_str(&body, "--bin\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n");
    buf_str(&expected, "<B f|(none)|(none)>");
    /* Every byte value, things that start like a delimiter and are not one, and content
     * ending in a CR, in "\r\n-" and in most of a delimiter, just before the real one. */
    static const char *tricky[] = {"\r\n--", "\r\n--bi", "\r\n--biN", "\r\r\n--bIn\r\n",
                                   "\n--bin\r\n", "\r\n-", "\r", "\r\n--bi\r", "\0\r\n\0"};
    for (size_t t = 0; t < sizeof tricky / sizeof tricky[0]; t++) {
        size_t n = t == 8 ? 4 : strlen(tricky[t]);

        buf_add(&body, bytes, sizeof bytes);
        buf_add(&expected, bytes, sizeof bytes);
        buf_add(&body, tricky[t], n);
        buf_add(&expected, tricky[t], n);
    }
    buf_str(&body, "\r\n--bi");
    buf_str(&expected, "\r\n--bi");
    buf_str(&body, "\r\n--bin--");
    buf_str(&expected, "<E>");

    assert_null(parse(p, "bin", body.data, body.len, 0, r));
    assert_log(r, expected.data, expected.len);
}

static void every_chunk_size_gives_the_same_callbacks(void **state)
{
    apr_pool_t *p = *state;

    for (size_t chunk = 0; chunk <= 64; chunk++) {
        rec_t *r = rec_make(p);

        assert_null(parse(p, "XyZ", BODY(two_parts), chunk, r));
        assert_log(r, BODY(two_parts_log));
        /* Held-back bytes that turn out to be content come in one piece, of at most the
         * delimiter's length ("\r\n--XyZ"). */
        assert_true(r->max_data <= (chunk == 0 ? sizeof two_parts : chunk > 7 ? chunk : 7));
    }
}

/* Every place to cut the body in two, the boundaries and header lines included. */
static void a_boundary_split_across_chunks(void **state)
{
    apr_pool_t *p = *state;

    for (size_t cut = 0; cut <= sizeof two_parts - 1; cut++) {
        size_t sizes[2] = {cut ? cut : sizeof two_parts, sizeof two_parts};
        rec_t *r = rec_make(p);

        assert_null(parse_sized(p, "XyZ", BODY(two_parts), sizes, 2, r));
        assert_log(r, BODY(two_parts_log));
    }
    /* The delimiter itself in chunks of 1, 2 and 3 bytes, with longer chunks around it. */
    for (size_t small = 1; small <= 3; small++) {
        const char *delim = strstr(two_parts + 60, "\r\n--XyZ");
        size_t before = (size_t)(delim - two_parts);
        size_t sizes[] = {before, small, small, small, small, small, small, small, 4096};
        rec_t *r = rec_make(p);

        assert_null(parse_sized(p, "XyZ", BODY(two_parts), sizes, 9, r));
        assert_log(r, BODY(two_parts_log));
    }
}

static void preamble_epilogue_and_lenient_forms(void **state)
{
    apr_pool_t *p = *state;
    rec_t *r = rec_make(p);

    /* Bare LF in headers and boundary lines, whitespace after a boundary, header names in
     * any case, a folded header, other headers, an empty part, quoted-string escapes, an
     * unescaped Windows path, filename* alone, an empty filename, an empty Content-Type. */
    assert_null(parse(p, "b", BODY("--b \t\n"
                                   "content-disposition: form-data; name=f1\n"
                                   "CONTENT-TYPE:text/plain;charset=utf-8  \n"
                                   "X-Other: ignored\n"
                                   "\n"
                                   "one\r\n"
                                   "--b\r\n"
                                   "Content-Disposition: form-data;\r\n"
                                   "\tname=\"f2\"; filename=\"a\\\"b\\\\c.dcm\"\r\n"
                                   "\r\n"
                                   "\r\n"
                                   "--b\r\n"
                                   "Content-Disposition: FORM-DATA; NAME=\"f3\"; "
                                   "filename=\"C:\\dir\\a.dcm\"\r\n"
                                   "Content-Type:\r\n"
                                   "\r\n"
                                   "x\r\n"
                                   "--b\r\n"
                                   "Content-Disposition: form-data; name=\"f4\"; "
                                   "filename*=UTF-8''%E2%82%AC.dcm\r\n"
                                   "\r\n"
                                   "y\r\n"
                                   "--b\r\n"
                                   "Content-Disposition: form-data; name=\"\"; filename=\"\";\r\n"
                                   "\r\n"
                                   "z\r\n"
                                   "--b--"), 0, r));
    assert_log(r, BODY("<B f1|(none)|text/plain;charset=utf-8>one<E>"
                       "<B f2|a\"b\\c.dcm|(none)><E>"
                       "<B f3|C:\\dir\\a.dcm|(none)>x<E>"
                       "<B f4|(none)|(none)>y<E>"
                       "<B ||(none)>z<E>"));
}

static void a_form_without_parts(void **state)
{
    apr_pool_t *p = *state;
    rec_t *r = rec_make(p);

    assert_null(parse(p, "b", BODY("--b--\r\n"), 0, r));
    assert_int_equal(r->calls, 0);
}

/* ---- refusals ----------------------------------------------------------------------- */

static void a_truncated_body_is_refused(void **state)
{
    apr_pool_t *p = *state;
    static const char *cut[] = {
        "",
        "preamble only\r\n",
        "--XyZ",
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n",
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata",
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata\r\n--Xy",
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata\r\n--XyZ",
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata\r\n--XyZ-",
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata\r\n--XyZ\r\n",
    };

    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        for (size_t chunk = 0; chunk <= 1; chunk++) {
            rec_t *r = rec_make(p);

            assert_status(parse(p, "XyZ", cut[i], strlen(cut[i]), chunk, r), 400);
            /* The unfinished part was never reported complete. */
            assert_int_equal(r->ends, i == 8 ? 1 : 0);
        }
    }
}

static void malformed_parts_are_refused(void **state)
{
    apr_pool_t *p = *state;
    static const char *bad[] = {
        "--b\r\n\r\ndata\r\n--b--",
        "--b\r\nContent-Type: text/plain\r\n\r\ndata\r\n--b--",
        "--b\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\ndata\r\n--b--",
        "--b\r\nContent-Disposition: form-data\r\n\r\ndata\r\n--b--",
        "--b\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\ndata\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=\"f\r\n\r\ndata\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=f; filename=a; filename=b\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=a b\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=\"f\"\r\nno colon here\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition : form-data; name=\"f\"\r\n\r\n\r\n--b--",
        "--b\r\n: form-data\r\n\r\n\r\n--b--",
        "--b\r\n folded: first\r\nContent-Disposition: form-data; name=f\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=f\r\nX: a\rb\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=f\r\nX: a\0b\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=f\r\n"
        "Content-Disposition: form-data; name=g\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=f\r\nContent-Type: a/b\r\n"
        "content-type: c/d\r\n\r\n\r\n--b--",
        "--bX\r\nContent-Disposition: form-data; name=f\r\n\r\n\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=f\r\n\r\ndata\r\n--bb\r\n",
        "--b\r\nContent-Disposition: form-data; name=f\r\n\r\ndata\r\n--b-x",
        "--b \r\tContent-Disposition: form-data; name=f\r\n\r\n\r\n--b--",
        "--b\rContent-Disposition: form-data; name=f\r\n\r\n\r\n--b--",
    };
    /* Lengths by hand where the text holds a NUL. */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = i == 15 ? strlen(bad[i]) + 1 + strlen(bad[i] + strlen(bad[i]) + 1)
                             : strlen(bad[i]);

        for (size_t chunk = 0; chunk <= 1; chunk++) {
            rec_t *r = rec_make(p);
            arca_error_t *err = parse(p, "b", bad[i], len, chunk, r);

            assert_status(err, 400);
            assert_int_equal(r->ends, 0);
        }
    }
}

static void headers_beyond_the_limit_are_refused(void **state)
{
    apr_pool_t *p = *state;
    const char *head = "--b\r\nContent-Disposition: form-data; name=\"f\"\r\nX-Pad: ";
    /* The block: the two header lines and the empty line, counted from after "--b\r\n". */
    size_t fixed = strlen(head) - 5 + strlen("\r\n\r\n");

    for (size_t extra = 0; extra <= 1; extra++) {
        size_t pad = ARCA_MULTIPART_MAX_HEADER_BYTES - fixed + extra;
        char *padding = apr_palloc(p, pad + 1);
        const char *body;

        memset(padding, 'x', pad);
        padding[pad] = '\0';
        body = apr_pstrcat(p, head, padding, "\r\n\r\ndata\r\n--b--", NULL);
        for (size_t chunk = 0; chunk <= 7; chunk += 7) {
            rec_t *r = rec_make(p);
            arca_error_t *err = parse(p, "b", body, strlen(body), chunk, r);

            if (extra) {
                assert_status(err, 400);
                assert_non_null(strstr(err->message, "header"));
                assert_int_equal(r->begins, 0);
            } else {
                assert_null(err);
                assert_log(r, BODY("<B f|(none)|(none)>data<E>"));
            }
        }
    }
}

static void too_many_parts_are_refused(void **state)
{
    apr_pool_t *p = *state;

    for (int n = ARCA_MULTIPART_MAX_PARTS; n <= ARCA_MULTIPART_MAX_PARTS + 1; n++) {
        buf_t body = {p, NULL, 0, 0};
        rec_t *r = rec_make(p);
        arca_error_t *err;

        for (int i = 0; i < n; i++)
            buf_str(&body, "--b\r\nContent-Disposition: form-data; name=f\r\n\r\nv\r\n");
        buf_str(&body, "--b--\r\n");
        err = parse(p, "b", body.data, body.len, 0, r);
        if (n == ARCA_MULTIPART_MAX_PARTS) {
            assert_null(err);
        } else {
            assert_status(err, 400);
        }
        assert_int_equal(r->begins, ARCA_MULTIPART_MAX_PARTS);
    }
}

/* Whichever callback fails, the parse stops there and its error comes back, then and on
 * every later call. */
static void a_failing_callback_stops_the_parse(void **state)
{
    apr_pool_t *p = *state;

    for (size_t chunk = 0; chunk <= 1; chunk++) {
        size_t step = chunk ? 1 : sizeof two_parts - 1;
        rec_t *all = rec_make(p);

        assert_null(parse(p, "XyZ", BODY(two_parts), chunk, all));
        for (int fail = 1; fail <= all->calls; fail++) {
            arca_multipart_callbacks_t cb = {rec_begin, rec_data, rec_end, NULL};
            arca_error_t *stop = arca_error_create(p, 507, "stop");
            rec_t *r = rec_make(p);
            arca_multipart_t *mp;
            arca_error_t *err = NULL;

            r->fail_call = fail;
            r->fail_err = stop;
            cb.baton = r;
            assert_null(arca_multipart_create(p, "XyZ", &cb, &mp));
            for (size_t i = 0; i < sizeof two_parts - 1 && !err; i += step)
                err = arca_multipart_feed(mp, two_parts + i, step);
            assert_ptr_equal(err, stop);
            assert_int_equal(r->calls, fail);
            assert_ptr_equal(arca_multipart_feed(mp, two_parts, sizeof two_parts - 1), stop);
            assert_ptr_equal(arca_multipart_finish(mp), stop);
            assert_int_equal(r->calls, fail);
        }
    }
}

static void callbacks_may_be_null(void **state)
{
    apr_pool_t *p = *state;
    arca_multipart_callbacks_t cb = {NULL, NULL, NULL, NULL};
    arca_multipart_t *mp;

    assert_null(arca_multipart_create(p, "XyZ", &cb, &mp));
    assert_null(arca_multipart_feed(mp, BODY(two_parts)));
    assert_null(arca_multipart_feed(mp, NULL, 0));
    assert_null(arca_multipart_finish(mp));
}

/* ---- random bodies ------------------------------------------------------------------ */

static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
    /* xorshift64*: the same sequence everywhere, unlike rand(). */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static const char *find(const char *hay, size_t n, const char *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return hay + i;
    return NULL;
}

/* Content biased towards what is hard for the parser: CRs, LFs, dashes and the start of
 * the delimiter, with no whole delimiter in it (RFC 2046: the client ensures that). */
static void random_content(buf_t *out, const char *delim, size_t dlen, size_t len)
{
    size_t start = out->len;

    while (out->len - start < len) {
        switch (rnd(6)) {
        case 0:
            buf_add(out, delim, 1 + rnd((unsigned)dlen));
            break;
        case 1:
            buf_add(out, &"\r\n-"[rnd(3)], 1);
            break;
        default: {
            char c = (char)rnd(256);
            buf_add(out, &c, 1);
        }
        }
    }
    for (const char *at; (at = find(out->data + start, out->len - start, delim, dlen));)
        out->data[at - out->data] = 'x';
}

static void random_bodies_round_trip(void **state)
{
    apr_pool_t *parent = *state;
    static const char bchars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "'()+_,-./:=? ";

    rng_state = 0x5eed2024ULL;
    for (int iter = 0; iter < 300; iter++) {
        apr_pool_t *p;
        buf_t body, expected;
        char boundary[71];
        size_t blen = 1 + rnd(iter % 3 ? 70 : 4), sizes[16];
        int nparts = (int)rnd(5);
        rec_t *r;

        apr_pool_create(&p, parent);
        body = (buf_t){p, NULL, 0, 0};
        expected = (buf_t){p, NULL, 0, 0};
        for (size_t i = 0; i < blen; i++)
            boundary[i] = bchars[rnd(i + 1 < blen ? sizeof bchars - 1 : sizeof bchars - 2)];
        boundary[blen] = '\0';
        const char *delim = apr_pstrcat(p, "\r\n--", boundary, NULL);

        if (rnd(2))
            buf_str(&body, "a preamble\r\n");
        for (int i = 0; i < nparts; i++) {
            const char *name = apr_psprintf(p, "field%d", i);
            const char *filename = rnd(2) ? apr_psprintf(p, "file %d.dcm", i) : NULL;
            const char *type = rnd(2) ? "application/octet-stream" : NULL;

            buf_str(&body, i == 0 && body.len == 0 ? delim + 2 : delim);
            buf_str(&body, rnd(2) ? "\r\n" : " \n");
            buf_str(&body, apr_psprintf(p, "Content-Disposition: form-data; name=\"%s\"%s%s%s\r\n",
                                        name, filename ? "; filename=\"" : "",
                                        filename ? filename : "", filename ? "\"" : ""));
            if (type)
                buf_str(&body, apr_pstrcat(p, "Content-Type: ", type, "\r\n", NULL));
            buf_str(&body, "\r\n");
            buf_str(&expected, apr_psprintf(p, "<B %s|%s|%s>", name,
                                             filename ? filename : "(none)",
                                             type ? type : "(none)"));
            size_t before = body.len;
            random_content(&body, delim, strlen(delim), rnd(4) ? rnd(3000) : rnd(3));
            buf_add(&expected, body.data + before, body.len - before);
            buf_str(&expected, "<E>");
        }
        buf_str(&body, nparts == 0 && body.len == 0 ? delim + 2 : delim);
        buf_str(&body, "--");
        if (rnd(2))
            buf_str(&body, "\r\nan epilogue\r\n");

        /* Small chunks, mid-sized ones, or a mix with some large. */
        for (size_t i = 0; i < 16; i++)
            sizes[i] = 1 + rnd(iter % 3 == 0 ? 8 : iter % 3 == 1 ? 200 : (rnd(4) ? 10 : 5000));
        r = rec_make(p);
        assert_null(parse_sized(p, boundary, body.data, body.len, sizes, 16, r));
        assert_log(r, expected.data, expected.len);
        apr_pool_destroy(p);
    }
}

/* A large part fed in large chunks is handed on chunk by chunk, never gathered. */
static void a_large_body_is_streamed(void **state)
{
    apr_pool_t *p = *state;
    const char *head = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big\"\r\n\r\n";
    const size_t chunk = 1 << 20, total = 16 * chunk;
    arca_multipart_callbacks_t cb = {rec_begin, rec_data, rec_end, NULL};
    char *block = malloc(chunk);
    unsigned long long hash = 0;
    arca_multipart_t *mp;
    rec_t *r = rec_make(p);

    assert_non_null(block);
    r->keep = 0;
    cb.baton = r;
    rng_state = 42;
    for (size_t i = 0; i < chunk; i++)
        block[i] = (char)(rnd(4) ? rnd(256) : '\r');
    for (size_t n = 0; n < total / chunk; n++)
        for (size_t i = 0; i < chunk; i++)
            hash = (hash ^ (unsigned char)block[i]) * 1099511628211ULL;

    assert_null(arca_multipart_create(p, "b", &cb, &mp));
    assert_null(arca_multipart_feed(mp, head, strlen(head)));
    for (size_t n = 0; n < total / chunk; n++)
        assert_null(arca_multipart_feed(mp, block, chunk));
    assert_null(arca_multipart_feed(mp, BODY("\r\n--b--\r\n")));
    assert_null(arca_multipart_finish(mp));
    free(block);
    assert_int_equal(r->ends, 1);
    assert_true(r->data_bytes == total);
    assert_true(r->hash == hash);
    assert_true(r->max_data <= chunk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(boundary_from_content_type),
        cmocka_unit_test(boundary_refused),
        cmocka_unit_test(create_refuses_a_bad_boundary),
        cmocka_unit_test(single_file_part),
        cmocka_unit_test(a_field_then_a_file),
        cmocka_unit_test(binary_content_passes_through),
        cmocka_unit_test(every_chunk_size_gives_the_same_callbacks),
        cmocka_unit_test(a_boundary_split_across_chunks),
        cmocka_unit_test(preamble_epilogue_and_lenient_forms),
        cmocka_unit_test(a_form_without_parts),
        cmocka_unit_test(a_truncated_body_is_refused),
        cmocka_unit_test(malformed_parts_are_refused),
        cmocka_unit_test(headers_beyond_the_limit_are_refused),
        cmocka_unit_test(too_many_parts_are_refused),
        cmocka_unit_test(a_failing_callback_stops_the_parse),
        cmocka_unit_test(callbacks_may_be_null),
        cmocka_unit_test(random_bodies_round_trip),
        cmocka_unit_test(a_large_body_is_streamed),
    };
    return RUN(tests);
}
