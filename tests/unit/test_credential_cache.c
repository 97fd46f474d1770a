/* The verified-credentials cache of the authn provider. */
#include "test_util.h"
#include <apr_time.h>

#include "credential_cache.h"

static void remembers_only_the_verified_password(void **state)
{
    credential_cache *c = credential_cache_create(*state, apr_time_from_sec(60));

    assert_false(credential_cache_check(c, "jane", "pw"));
    credential_cache_put(c, "jane", "pw");
    assert_true(credential_cache_check(c, "jane", "pw"));
    assert_false(credential_cache_check(c, "jane", "pw2"));
    assert_false(credential_cache_check(c, "john", "pw"));
    /* a new password replaces the old one */
    credential_cache_put(c, "jane", "new");
    assert_false(credential_cache_check(c, "jane", "pw"));
    assert_true(credential_cache_check(c, "jane", "new"));
}

static void entries_expire(void **state)
{
    credential_cache *c = credential_cache_create(*state, apr_time_from_msec(20));

    credential_cache_put(c, "jane", "pw");
    assert_true(credential_cache_check(c, "jane", "pw"));
    apr_sleep(apr_time_from_msec(40));
    assert_false(credential_cache_check(c, "jane", "pw"));
}

static void zero_timeout_disables(void **state)
{
    credential_cache *c = credential_cache_create(*state, 0);

    credential_cache_put(c, "jane", "pw");
    assert_false(credential_cache_check(c, "jane", "pw"));
}

static void stays_bounded(void **state)
{
    apr_pool_t *p = *state;
    credential_cache *c = credential_cache_create(p, apr_time_from_sec(60));

    for (int i = 0; i < 10000; i++)
        credential_cache_put(c, apr_psprintf(p, "user%d", i), "pw");
    assert_true(credential_cache_check(c, "user9999", "pw"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(remembers_only_the_verified_password),
        cmocka_unit_test(entries_expire),
        cmocka_unit_test(zero_timeout_disables),
        cmocka_unit_test(stays_bounded),
    };
    return RUN(tests);
}
