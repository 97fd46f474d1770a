/* The login throttle's window and how it names a client address. */
#include "test_util.h"

#include "access/login_throttle.h"

static void window_doubles_up_to_the_maximum(void **state)
{
    assert_int_equal(arca_throttle_window(5, 300, 0), 0);
    assert_int_equal(arca_throttle_window(5, 300, 4), 0);
    assert_int_equal(arca_throttle_window(5, 300, 5), 2);
    assert_int_equal(arca_throttle_window(5, 300, 6), 4);
    assert_int_equal(arca_throttle_window(5, 300, 12), 256);
    assert_int_equal(arca_throttle_window(5, 300, 13), 300);
    assert_int_equal(arca_throttle_window(5, 300, 2000000000), 300);
    assert_int_equal(arca_throttle_window(1, 1, 1), 1);
}

static void zero_never_throttles(void **state)
{
    assert_int_equal(arca_throttle_window(0, 300, 1000), 0);
    assert_int_equal(arca_throttle_window(5, 0, 1000), 0);
}

static void ipv6_counts_by_its_64(void **state)
{
    apr_pool_t *p = *state;

    assert_string_equal(arca_throttle_source(p, "192.0.2.7"), "192.0.2.7");
    assert_string_equal(arca_throttle_source(p, "2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
                        "2001:db8:1:2::/64");
    assert_string_equal(arca_throttle_source(p, "2001:db8:1:2::1"),
                        arca_throttle_source(p, "2001:db8:1:2:ffff::9"));
    assert_string_equal(arca_throttle_source(p, "::ffff:192.0.2.7"), "::ffff:192.0.2.7");
    assert_string_equal(arca_throttle_source(p, "not an address"), "not an address");
    assert_string_equal(arca_throttle_source(p, NULL), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_doubles_up_to_the_maximum),
        cmocka_unit_test(zero_never_throttles),
        cmocka_unit_test(ipv6_counts_by_its_64),
    };
    return RUN(tests);
}
