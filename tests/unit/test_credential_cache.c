/* The verified-credentials cache of the authn provider. */
#include "test_util.h"
#include <apr_time.h>

#include "credential_cache.h"

static void remembers_only_the_verified_password(void **state)
{
    credential_cache *c = credential_cache_create(*state, apr_time_from_sec(60));
    apr_int64_t gen = 0;

    assert_false(credential_cache_check(c, "jane", "pw", &gen));
    credential_cache_put(c, "jane", "pw", 7);
    assert_true(credential_cache_check(c, "jane", "pw", &gen));
    assert_false(credential_cache_check(c, "jane", "pw2", &gen));
    assert_false(credential_cache_check(c, "john", "pw", &gen));
    /* a new password replaces the old one */
    credential_cache_put(c, "jane", "new", 7);
    assert_false(credential_cache_check(c, "jane", "pw", &gen));
    assert_true(credential_cache_check(c, "jane", "new", &gen));
}

static void keeps_the_generation_verified_under(void **state)
{
    credential_cache *c = credential_cache_create(*state, apr_time_from_sec(60));
    apr_int64_t gen = -5;

    credential_cache_put(c, "jane", "pw", 41);
    assert_true(credential_cache_check(c, "jane", "pw", &gen));
    assert_int_equal(gen, 41);
    credential_cache_put(c, "jane", "pw", 42); /* verified again after a change */
    assert_true(credential_cache_check(c, "jane", "pw", &gen));
    assert_int_equal(gen, 42);
}

static void entries_expire(void **state)
{
    credential_cache *c = credential_cache_create(*state, apr_time_from_msec(20));
    apr_int64_t gen;

    credential_cache_put(c, "jane", "pw", 7);
    assert_true(credential_cache_check(c, "jane", "pw", &gen));
    apr_sleep(apr_time_from_msec(40));
    assert_false(credential_cache_check(c, "jane", "pw", &gen));
}

static void zero_timeout_disables(void **state)
{
    credential_cache *c = credential_cache_create(*state, 0);
    apr_int64_t gen;

    credential_cache_put(c, "jane", "pw", 7);
    assert_false(credential_cache_check(c, "jane", "pw", &gen));
}

static void stays_bounded(void **state)
{
    apr_pool_t *p = *state;
    credential_cache *c = credential_cache_create(p, apr_time_from_sec(60));
    apr_int64_t gen;

    for (int i = 0; i < 10000; i++)
        credential_cache_put(c, apr_psprintf(p, "user%d", i), "pw", 7);
    assert_true(credential_cache_check(c, "user9999", "pw", &gen));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(remembers_only_the_verified_password),
        cmocka_unit_test(keeps_the_generation_verified_under),
        cmocka_unit_test(entries_expire),
        cmocka_unit_test(zero_timeout_disables),
        cmocka_unit_test(stays_bounded),
    };
    return RUN(tests);
}
