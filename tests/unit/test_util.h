/* Shared bits of the unit tests: a pool per test, a write callback into a buffer. */
#ifndef ARCA_TEST_UTIL_H
#define ARCA_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

static inline int pool_setup(void **state)
{
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    *state = p;
    return 0;
}

static inline int pool_teardown(void **state)
{
    apr_pool_destroy(*state);
    return 0;
}

typedef struct {
    apr_pool_t *pool;
    char *text;
    size_t len;
    int fail_after; /* fail the write once this many bytes are in; -1 never */
} sink_t;

static inline int sink_write(void *baton, const char *data, size_t len)
{
    sink_t *s = baton;

    if (s->fail_after >= 0 && s->len + len > (size_t)s->fail_after)
        return -1;
    s->text = apr_pstrcat(s->pool, s->text ? s->text : "", apr_pstrmemdup(s->pool, data, len),
                          NULL);
    s->len += len;
    return 0;
}

static inline int arca_run_tests(const struct CMUnitTest *tests, size_t n, const char *name)
{
    int rc;

    apr_initialize();
    rc = _cmocka_run_group_tests(name, tests, n, pool_setup, pool_teardown);
    apr_terminate();
    return rc;
}

/* A fresh directory under /tmp for one test, removed with everything in it afterwards.
 * Its pool (a child of the test's) is destroyed first, since pool cleanups may still
 * remove files in the directory. */
typedef struct {
    apr_pool_t *pool;
    char *dir;
    char *tmpdir; /* free for the test's own use */
} test_dir_t;

static inline int test_rm_entry(const char *path, const struct stat *st, int flag,
                                struct FTW *ftw)
{
    return remove(path);
}

static inline int test_dir_setup(void **state)
{
    apr_pool_t *p;
    test_dir_t *fx;

    apr_pool_create(&p, *state);
    fx = apr_pcalloc(p, sizeof *fx);
    fx->pool = p;
    fx->dir = apr_pstrdup(p, "/tmp/arca-test-unit-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    *state = fx;
    return 0;
}

static inline int test_dir_teardown(void **state)
{
    test_dir_t *fx = *state;
    char *dir = strdup(fx->dir);

    apr_pool_destroy(fx->pool);
    nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
    return 0;
}

#define RUN(tests) arca_run_tests(tests, sizeof(tests) / sizeof(tests[0]), __FILE__)

#endif
