/* Shared bits of the unit tests: a pool per test, a write callback into a buffer. */
#ifndef ARCA_TEST_UTIL_H
#define ARCA_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

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

#define RUN(tests) arca_run_tests(tests, sizeof(tests) / sizeof(tests[0]), __FILE__)

#endif
