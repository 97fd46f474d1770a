/* multipart/form-data files pulled as streams: every file's bytes come out whole and in
 * order, fields are skipped, whatever the chunking of the body; a truncated form is a 400. */
#include "test_util.h"

#include "store/form_files.h"

static const char form[] =
    "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\na field\r\n"
    "--B\r\nContent-Disposition: form-data; name=\"a\"; filename=\"one.zip\"\r\n"
    "Content-Type: application/zip\r\n\r\nfirst file\r\ncontent\r\n"
    "--B\r\nContent-Disposition: form-data; name=\"b\"; filename=\"two.dcm\"\r\n\r\n"
    "second\r\n"
    "--B--\r\n";

typedef struct {
    const char *body;
    size_t len, at, chunk;
} chunked;

static arca_error_t *read_chunks(void *baton, const void **data, apr_size_t *len)
{
    chunked *c = baton;
    size_t n = c->len - c->at < c->chunk ? c->len - c->at : c->chunk;

    *data = c->body + c->at;
    *len = n;
    c->at += n;
    return ARCA_OK;
}

/* All of the current file, concatenated. */
static const char *slurp(apr_pool_t *p, arca_form_files_t *f)
{
    const char *all = "";
    const void *data;
    apr_size_t len;

    for (;;) {
        assert_null(arca_form_files_read(f, &data, &len));
        if (len == 0)
            return all;
        all = apr_pstrcat(p, all, apr_pstrmemdup(p, data, len), NULL);
    }
}

static void every_chunk_size_gives_the_files(void **state)
{
    apr_pool_t *p = *state;

    for (size_t chunk = 1; chunk <= sizeof form; chunk++) {
        chunked c = {form, sizeof form - 1, 0, chunk};
        arca_form_files_t *f;
        const char *name, *type;
        int more;

        assert_null(arca_form_files_open(p, "multipart/form-data; boundary=B", read_chunks,
                                         &c, &f));
        assert_null(arca_form_files_next(f, &more, &name, &type));
        assert_int_equal(more, 1);
        assert_string_equal(name, "one.zip");
        assert_string_equal(type, "application/zip");
        assert_string_equal(slurp(p, f), "first file\r\ncontent");
        assert_null(arca_form_files_next(f, &more, &name, &type));
        assert_int_equal(more, 1);
        assert_string_equal(name, "two.dcm");
        assert_null(type);
        assert_string_equal(slurp(p, f), "second");
        assert_null(arca_form_files_next(f, &more, &name, &type));
        assert_int_equal(more, 0);
    }
}

static void a_file_left_unread_is_skipped(void **state)
{
    apr_pool_t *p = *state;
    chunked c = {form, sizeof form - 1, 0, 5};
    arca_form_files_t *f;
    const char *name, *type;
    const void *data;
    apr_size_t len;
    int more;

    assert_null(arca_form_files_open(p, "multipart/form-data; boundary=B", read_chunks, &c,
                                     &f));
    assert_null(arca_form_files_next(f, &more, &name, &type));
    assert_null(arca_form_files_read(f, &data, &len)); /* a little of one.zip only */
    assert_null(arca_form_files_next(f, &more, &name, &type));
    assert_int_equal(more, 1);
    assert_string_equal(name, "two.dcm");
    assert_string_equal(slurp(p, f), "second");
}

static void a_truncated_form_is_refused(void **state)
{
    apr_pool_t *p = *state;
    chunked c = {form, strstr(form, "content") - form, 0, 16};
    arca_form_files_t *f;
    const char *name, *type;
    const void *data;
    apr_size_t len;
    arca_error_t *err = NULL;
    int more;

    assert_null(arca_form_files_open(p, "multipart/form-data; boundary=B", read_chunks, &c,
                                     &f));
    assert_null(arca_form_files_next(f, &more, &name, &type));
    do
        err = arca_form_files_read(f, &data, &len);
    while (!err && len);
    assert_non_null(err);
    assert_int_equal(err->status, 400);
}

static void not_a_form_is_refused(void **state)
{
    chunked c = {form, sizeof form - 1, 0, 16};
    arca_form_files_t *f;
    arca_error_t *err = arca_form_files_open(*state, "application/zip", read_chunks, &c, &f);

    assert_non_null(err);
    assert_int_equal(err->status, 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_chunk_size_gives_the_files),
        cmocka_unit_test(a_file_left_unread_is_skipped),
        cmocka_unit_test(a_truncated_form_is_refused),
        cmocka_unit_test(not_a_form_is_refused),
    };
    return RUN(tests);
}
