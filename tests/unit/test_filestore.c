/* Safe file writes: which client paths and labels pass, and uploads that land whole or not
 * at all. Each test works in its own directory under /tmp. */
#include "test_util.h"
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_io.h>

#include "store/filestore.h"

typedef test_dir_t fixture_t; /* tmpdir: where uploads start */

static int dir_setup(void **state)
{
    fixture_t *fx;

    if (test_dir_setup(state) != 0)
        return -1;
    fx = *state;
    fx->tmpdir = apr_pstrcat(fx->pool, fx->dir, "/tmp", NULL);
    return mkdir(fx->tmpdir, 0700);
}

#define dir_teardown test_dir_teardown

static int count_entries(const char *dir)
{
    struct stat st;
    char path[4096];
    int n = 0;
    apr_pool_t *p;
    apr_dir_t *d;
    apr_finfo_t fi;

    apr_pool_create(&p, NULL);
    assert_int_equal(apr_dir_open(&d, dir, p), APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (strcmp(fi.name, ".") == 0 || strcmp(fi.name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, fi.name);
        assert_int_equal(lstat(path, &st), 0);
        n++;
    }
    apr_dir_close(d);
    apr_pool_destroy(p);
    return n;
}

static const char *slurp(apr_pool_t *p, const char *path)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;

    if (apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p) != APR_SUCCESS)
        return NULL;
    apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    assert_int_equal(apr_file_read_full(f, buf, n, NULL), APR_SUCCESS);
    buf[n] = '\0';
    apr_file_close(f);
    return buf;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static arca_upload_t *upload_of(fixture_t *fx, const char *text)
{
    arca_upload_t *up;

    assert_null(arca_upload_begin(fx->pool, fx->tmpdir, &up));
    assert_null(arca_upload_write(up, text, strlen(text)));
    return up;
}

/* ---- names --------------------------------------------------------------------------- */

static void relpath_accepts(void **state)
{
    char max[1025];

    assert_true(arca_safe_relpath("a"));
    assert_true(arca_safe_relpath("scan 1/DICOM/1.2.840.dcm"));
    assert_true(arca_safe_relpath("..a/b.."));
    assert_true(arca_safe_relpath(".hidden/...")); /* only exactly "." and ".." are special */
    assert_true(arca_safe_relpath("caf\xc3\xa9/\xe6\x97\xa5.txt"));
    memset(max, 'a', sizeof max - 1);
    for (int i = 200; i < 1024; i += 201)
        max[i] = '/';
    max[1024] = '\0';
    assert_true(arca_safe_relpath(max));
}

static void relpath_rejects(void **state)
{
    char seg[300], longpath[1026];

    assert_false(arca_safe_relpath(NULL));
    assert_false(arca_safe_relpath(""));
    assert_false(arca_safe_relpath("../x"));
    assert_false(arca_safe_relpath("a/../x"));
    assert_false(arca_safe_relpath("a/.."));
    assert_false(arca_safe_relpath(".."));
    assert_false(arca_safe_relpath("."));
    assert_false(arca_safe_relpath("a//b"));
    assert_false(arca_safe_relpath("a/"));
    assert_false(arca_safe_relpath("/abs"));
    assert_false(arca_safe_relpath("/"));
    assert_false(arca_safe_relpath("a/./b"));
    assert_false(arca_safe_relpath("./a"));
    assert_false(arca_safe_relpath("a\\b"));
    assert_false(arca_safe_relpath("..\\x"));
    assert_false(arca_safe_relpath("a\nb"));
    assert_false(arca_safe_relpath("a\tb"));
    assert_false(arca_safe_relpath("a\x1f"));
    assert_false(arca_safe_relpath("a\x7f"));

    memset(seg, 'x', sizeof seg);
    seg[255] = '\0';
    assert_true(arca_safe_relpath(seg));
    seg[255] = 'x';
    seg[256] = '\0';
    assert_false(arca_safe_relpath(seg));
    assert_false(arca_safe_relpath(apr_pstrcat(*state, "ok/", seg, NULL)));
    assert_false(arca_safe_relpath(apr_pstrcat(*state, seg, "/ok", NULL)));

    memset(longpath, 'a', sizeof longpath);
    for (int i = 100; i < 1025; i += 101)
        longpath[i] = '/';
    longpath[1025] = '\0';
    assert_false(arca_safe_relpath(longpath));
}

static void labels(void **state)
{
    char max[66];

    assert_true(arca_valid_label("P1"));
    assert_true(arca_valid_label("Subj-01_v2.3"));
    assert_true(arca_valid_label("1"));
    memset(max, 'a', 64);
    max[64] = '\0';
    assert_true(arca_valid_label(max));
    max[64] = 'a';
    max[65] = '\0';
    assert_false(arca_valid_label(max));

    assert_false(arca_valid_label(NULL));
    assert_false(arca_valid_label(""));
    assert_false(arca_valid_label("."));
    assert_false(arca_valid_label(".."));
    assert_false(arca_valid_label(".hidden"));
    assert_false(arca_valid_label("a/b"));
    assert_false(arca_valid_label("a b"));
    assert_false(arca_valid_label("a\\b"));
    assert_false(arca_valid_label("caf\xc3\xa9"));
    assert_false(arca_valid_label("a\n"));
}

/* ---- uploads ------------------------------------------------------------------------- */

static void commit_creates_parents_and_digest(void **state)
{
    fixture_t *fx = *state;
    const char *final = apr_pstrcat(fx->pool, fx->dir, "/arc/P1/S1/file.txt", NULL);
    arca_upload_t *up;
    struct stat st;

    assert_null(arca_upload_begin(fx->pool, fx->tmpdir, &up));
    assert_null(arca_upload_write(up, "hel", 3));
    assert_null(arca_upload_write(up, "", 0));
    assert_null(arca_upload_write(up, "lo", 2));
    assert_int_equal(arca_upload_size(up), 5);
    assert_string_equal(arca_upload_md5(up), "5d41402abc4b2a76b9719d911017c592");
    assert_null(arca_upload_commit(up, final, 0));
    assert_string_equal(arca_upload_md5(up), "5d41402abc4b2a76b9719d911017c592");
    assert_int_equal(arca_upload_size(up), 5);

    assert_string_equal(slurp(fx->pool, final), "hello");
    assert_int_equal(stat(final, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0664);
    for (int i = 0; i < 3; i++) {
        static const char *levels[] = {"/arc", "/arc/P1", "/arc/P1/S1"};
        assert_int_equal(stat(apr_pstrcat(fx->pool, fx->dir, levels[i], NULL), &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 02775);
    }
    assert_int_equal(count_entries(fx->tmpdir), 0);
    arca_upload_abort(up); /* after a commit: nothing to do, the file stays */
    assert_string_equal(slurp(fx->pool, final), "hello");
}

static void empty_upload(void **state)
{
    fixture_t *fx = *state;
    const char *final = apr_pstrcat(fx->pool, fx->dir, "/empty", NULL);
    arca_upload_t *up;

    assert_null(arca_upload_begin(fx->pool, fx->tmpdir, &up));
    assert_null(arca_upload_commit(up, final, 0));
    assert_int_equal(arca_upload_size(up), 0);
    assert_string_equal(arca_upload_md5(up), "d41d8cd98f00b204e9800998ecf8427e");
    assert_string_equal(slurp(fx->pool, final), "");
}

static void existing_file_is_409_unless_replace(void **state)
{
    fixture_t *fx = *state;
    const char *final = apr_pstrcat(fx->pool, fx->dir, "/f.txt", NULL);
    arca_error_t *err;
    arca_upload_t *up;

    spit(final, "old");
    up = upload_of(fx, "new");
    err = arca_upload_commit(up, final, 0);
    assert_non_null(err);
    assert_int_equal(err->status, 409);
    assert_non_null(strstr(err->message, "already exists"));
    assert_string_equal(slurp(fx->pool, final), "old");
    assert_int_equal(count_entries(fx->tmpdir), 0);
    /* Used up: neither writing nor committing again. */
    assert_int_equal(arca_upload_write(up, "x", 1)->status, 500);
    assert_int_equal(arca_upload_commit(up, final, 1)->status, 500);

    up = upload_of(fx, "newer");
    assert_null(arca_upload_commit(up, final, 1));
    assert_string_equal(slurp(fx->pool, final), "newer");
    assert_int_equal(count_entries(fx->tmpdir), 0);
}

static void directory_in_the_way_is_409(void **state)
{
    fixture_t *fx = *state;
    const char *final = apr_pstrcat(fx->pool, fx->dir, "/d", NULL);
    arca_error_t *err;

    assert_int_equal(mkdir(final, 0755), 0);
    assert_int_equal(mkdir(apr_pstrcat(fx->pool, final, "/x", NULL), 0755), 0);
    err = arca_upload_commit(upload_of(fx, "a"), final, 0);
    assert_non_null(err);
    assert_int_equal(err->status, 409);
    err = arca_upload_commit(upload_of(fx, "a"), final, 1);
    assert_non_null(err);
    assert_int_equal(err->status, 409);
    assert_int_equal(count_entries(fx->tmpdir), 0);
}

static void abort_removes_temp(void **state)
{
    fixture_t *fx = *state;
    arca_upload_t *up = upload_of(fx, "partial");
    apr_dir_t *d;
    apr_finfo_t fi;
    struct stat st;

    assert_int_equal(count_entries(fx->tmpdir), 1);
    /* The temp file: created 0664, named by us alone. */
    assert_int_equal(apr_dir_open(&d, fx->tmpdir, fx->pool), APR_SUCCESS);
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (fi.name[0] == '.')
            continue;
        assert_int_equal(strncmp(fi.name, "arca-upload-", 12), 0);
        assert_int_equal(stat(apr_pstrcat(fx->pool, fx->tmpdir, "/", fi.name, NULL), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0664);
        assert_true(st.st_size <= 7); /* small writes may still be in the buffer */
    }
    apr_dir_close(d);

    arca_upload_abort(up);
    assert_int_equal(count_entries(fx->tmpdir), 0);
    arca_upload_abort(up);
    arca_upload_abort(NULL);
    assert_int_equal(arca_upload_write(up, "x", 1)->status, 500);
    assert_int_equal(
        arca_upload_commit(up, apr_pstrcat(fx->pool, fx->dir, "/f", NULL), 0)->status, 500);
}

static void pool_destroy_removes_temp(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *p;
    arca_upload_t *a, *b;

    apr_pool_create(&p, fx->pool);
    assert_null(arca_upload_begin(p, fx->tmpdir, &a));
    assert_null(arca_upload_write(a, "one", 3));
    assert_null(arca_upload_begin(p, fx->tmpdir, &b));
    assert_int_equal(count_entries(fx->tmpdir), 2);
    apr_pool_destroy(p);
    assert_int_equal(count_entries(fx->tmpdir), 0);

    /* A committed file survives its pool. */
    apr_pool_create(&p, fx->pool);
    assert_null(arca_upload_begin(p, fx->tmpdir, &a));
    assert_null(arca_upload_write(a, "kept", 4));
    assert_null(arca_upload_commit(a, apr_pstrcat(fx->pool, fx->dir, "/kept", NULL), 0));
    apr_pool_destroy(p);
    assert_string_equal(slurp(fx->pool, apr_pstrcat(fx->pool, fx->dir, "/kept", NULL)), "kept");
}

static void begin_in_a_missing_tmpdir_fails(void **state)
{
    fixture_t *fx = *state;
    arca_upload_t *up = (arca_upload_t *)fx;
    arca_error_t *err;

    err = arca_upload_begin(fx->pool, apr_pstrcat(fx->pool, fx->dir, "/nope", NULL), &up);
    assert_non_null(err);
    assert_int_equal(err->status, 500);
    assert_null(up);
}

static void commit_below_a_file_fails(void **state)
{
    fixture_t *fx = *state;
    const char *blocker = apr_pstrcat(fx->pool, fx->dir, "/plain", NULL);
    arca_error_t *err;

    spit(blocker, "x");
    err = arca_upload_commit(upload_of(fx, "data"), apr_pstrcat(fx->pool, blocker, "/f", NULL), 0);
    assert_non_null(err);
    /* the client's path is in its own way: a conflict, told without server paths */
    assert_int_equal(err->status, 409);
    assert_null(strstr(err->message, fx->dir));
    assert_int_equal(count_entries(fx->tmpdir), 0);
}

static void big_upload_digest(void **state)
{
    fixture_t *fx = *state;
    const char *final = apr_pstrcat(fx->pool, fx->dir, "/big", NULL);
    char block[4096];
    arca_upload_t *up;
    struct stat st;

    /* 1000 x 4096 bytes of 'a', as md5sum computes it. */
    memset(block, 'a', sizeof block);
    assert_null(arca_upload_begin(fx->pool, fx->tmpdir, &up));
    for (int i = 0; i < 1000; i++)
        assert_null(arca_upload_write(up, block, sizeof block));
    assert_null(arca_upload_commit(up, final, 0));
    assert_int_equal(arca_upload_size(up), 4096000);
    assert_int_equal(stat(final, &st), 0);
    assert_int_equal(st.st_size, 4096000);
    assert_string_equal(arca_upload_md5(up), "145e4d70823dbdd05e472e733c5be1b9");
}

/* Without the running digest the file is the same; its MD5, taken later from the disk, is
 * what the running one would have been. */
static void digest_later(void **state)
{
    fixture_t *fx = *state;
    const char *final = apr_pstrcat(fx->pool, fx->dir, "/later", NULL);
    char block[4096];
    const char *hex;
    apr_off_t size;
    arca_upload_t *up;

    memset(block, 'a', sizeof block);
    assert_null(arca_upload_begin(fx->pool, fx->tmpdir, &up));
    arca_upload_no_digest(up);
    for (int i = 0; i < 1000; i++)
        assert_null(arca_upload_write(up, block, sizeof block));
    assert_null(arca_upload_commit(up, final, 0));
    assert_string_equal(arca_upload_md5(up), "");
    assert_null(arca_file_md5(fx->pool, final, &hex, &size));
    assert_int_equal(size, 4096000);
    assert_string_equal(hex, "145e4d70823dbdd05e472e733c5be1b9");
    assert_non_null(arca_file_md5(fx->pool, apr_pstrcat(fx->pool, final, ".none", NULL),
                                  &hex, &size));
}

/* ---- directories ----------------------------------------------------------------------- */

static void mkdirs_nested_and_existing(void **state)
{
    fixture_t *fx = *state;
    const char *d = apr_pstrcat(fx->pool, fx->dir, "/x/y/z/", NULL);
    arca_error_t *err;
    struct stat st;

    assert_null(arca_mkdirs(fx->pool, d));
    assert_int_equal(stat(d, &st), 0);
    assert_int_equal(st.st_mode & 07777, 02775);
    assert_null(arca_mkdirs(fx->pool, d));
    assert_null(arca_mkdirs(fx->pool, fx->dir));

    spit(apr_pstrcat(fx->pool, fx->dir, "/x/file", NULL), "");
    err = arca_mkdirs(fx->pool, apr_pstrcat(fx->pool, fx->dir, "/x/file", NULL));
    assert_non_null(err);
    assert_int_equal(err->status, 409);
    err = arca_mkdirs(fx->pool, apr_pstrcat(fx->pool, fx->dir, "/x/file/below", NULL));
    assert_non_null(err);
    assert_int_equal(err->status, 409);
}

static void remove_tree_does_not_follow_links(void **state)
{
    fixture_t *fx = *state;
    const char *tree = apr_pstrcat(fx->pool, fx->dir, "/tree", NULL);
    const char *outside = apr_pstrcat(fx->pool, fx->dir, "/outside", NULL);
    struct stat st;

    assert_null(arca_mkdirs(fx->pool, apr_pstrcat(fx->pool, tree, "/a/b/c", NULL)));
    assert_null(arca_mkdirs(fx->pool, apr_pstrcat(fx->pool, tree, "/empty", NULL)));
    assert_null(arca_mkdirs(fx->pool, outside));
    spit(apr_pstrcat(fx->pool, outside, "/precious", NULL), "keep me");
    spit(apr_pstrcat(fx->pool, tree, "/top.txt", NULL), "1");
    spit(apr_pstrcat(fx->pool, tree, "/a/b/c/deep.txt", NULL), "2");
    assert_int_equal(symlink(outside, apr_pstrcat(fx->pool, tree, "/a/link", NULL)), 0);
    assert_int_equal(symlink("/nonexistent", apr_pstrcat(fx->pool, tree, "/dangling", NULL)),
                     0);

    assert_null(arca_remove_tree(fx->pool, tree));
    assert_int_equal(lstat(tree, &st), -1);
    assert_string_equal(slurp(fx->pool, apr_pstrcat(fx->pool, outside, "/precious", NULL)),
                        "keep me");
    /* Gone already: fine. */
    assert_null(arca_remove_tree(fx->pool, tree));

    /* A link given as the tree: the link goes, the target stays. */
    assert_int_equal(symlink(outside, tree), 0);
    assert_null(arca_remove_tree(fx->pool, tree));
    assert_int_equal(lstat(tree, &st), -1);
    assert_string_equal(slurp(fx->pool, apr_pstrcat(fx->pool, outside, "/precious", NULL)),
                        "keep me");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relpath_accepts),
        cmocka_unit_test(relpath_rejects),
        cmocka_unit_test(labels),
        cmocka_unit_test_setup_teardown(commit_creates_parents_and_digest, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(empty_upload, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(existing_file_is_409_unless_replace, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(directory_in_the_way_is_409, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(abort_removes_temp, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(pool_destroy_removes_temp, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(begin_in_a_missing_tmpdir_fails, dir_setup,
                                        dir_teardown),
        cmocka_unit_test_setup_teardown(commit_below_a_file_fails, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(big_upload_digest, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(digest_later, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(mkdirs_nested_and_existing, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(remove_tree_does_not_follow_links, dir_setup,
                                        dir_teardown),
    };
    return RUN(tests);
}
