/* Validation of configuration values and names. */
#include "test_util.h"

#include "base/validate.h"
#include "model/model.h"

static void site_ids(void **state)
{
    assert_true(arca_valid_site_id("XNAT"));
    assert_true(arca_valid_site_id("CNR_PISA1"));
    assert_false(arca_valid_site_id(""));
    assert_false(arca_valid_site_id(NULL));
    assert_false(arca_valid_site_id("1SITE"));
    assert_false(arca_valid_site_id("bad id"));
    assert_false(arca_valid_site_id("ABCDEFGHIJKLMNOP")); /* 16 */
    assert_false(arca_valid_site_id("A-B"));
}

static void logins(void **state)
{
    assert_true(arca_valid_login("admin"));
    assert_true(arca_valid_login("jane.doe@uni.example"));
    assert_false(arca_valid_login(""));
    assert_false(arca_valid_login("a:b"));
    assert_false(arca_valid_login("a/b"));
    assert_false(arca_valid_login("a\nb"));
}

static void local_paths(void **state)
{
    assert_true(arca_valid_local_path("/"));
    assert_true(arca_valid_local_path("/projects/P1?x=1#top"));
    assert_true(arca_valid_local_path("/a//b"));
    assert_false(arca_valid_local_path(NULL));
    assert_false(arca_valid_local_path(""));
    assert_false(arca_valid_local_path("projects"));
    assert_false(arca_valid_local_path("//evil.example/"));
    assert_false(arca_valid_local_path("/\\evil.example"));
    assert_false(arca_valid_local_path("https://evil.example/"));
    assert_false(arca_valid_local_path("javascript:alert(1)"));
    assert_false(arca_valid_local_path("/a\r\nSet-Cookie: x=1"));
    assert_false(arca_valid_local_path("/\t/evil.example"));
}

static void conninfo_strings(void **state)
{
    apr_pool_t *p = *state;
    const char *why = NULL;

    assert_true(arca_valid_conninfo(p, "host=/tmp dbname=arca", &why));
    assert_true(arca_valid_conninfo(p, "postgresql://u@localhost/arca", &why));
    assert_false(arca_valid_conninfo(p, "host=/tmp dbname=arca nosuchkey=1", &why));
    assert_non_null(strstr(why, "nosuchkey"));
    assert_false(arca_valid_conninfo(p, "host='unterminated", &why));
}

/* Numbers are decimal and fit the column: no NaN, Infinity, hex or overflow. */
static void numeric_values(void **state)
{
    apr_pool_t *p;
    static const char *const good_ints[] = {"0", "-5", "+7", "2147483647", "-2147483648"};
    static const char *const bad_ints[] = {"2147483648", "-2147483649", "99999999999999999999",
                                           " 1", "1 ", "0x10", "1e3", "1.0", "-", "NaN"};
    static const char *const good_floats[] = {"1.5", "-0.25", ".5", "5.", "2e-3", "1E+10",
                                              "+3", "1.7976931348623157e308"};
    static const char *const bad_floats[] = {"NaN", "nan", "Infinity", "-inf", "INF", "0x1p3",
                                             "1e999", "1e-400", "1e", ".", "e5", " 1", "1,5"};

    (void)state;
    apr_pool_create(&p, NULL);
    for (size_t i = 0; i < sizeof good_ints / sizeof *good_ints; i++)
        assert_null(arca_value_check(p, "n", ARCA_TYPE_INTEGER, good_ints[i]));
    for (size_t i = 0; i < sizeof bad_ints / sizeof *bad_ints; i++) {
        arca_error_t *err = arca_value_check(p, "n", ARCA_TYPE_INTEGER, bad_ints[i]);
        if (err == NULL)
            fail_msg("integer '%s' was accepted", bad_ints[i]);
        else
            assert_int_equal(err->status, 400);
    }
    for (size_t i = 0; i < sizeof good_floats / sizeof *good_floats; i++)
        assert_null(arca_value_check(p, "x", ARCA_TYPE_FLOAT, good_floats[i]));
    for (size_t i = 0; i < sizeof bad_floats / sizeof *bad_floats; i++) {
        arca_error_t *err = arca_value_check(p, "x", ARCA_TYPE_FLOAT, bad_floats[i]);
        if (err == NULL)
            fail_msg("float '%s' was accepted", bad_floats[i]);
        else
            assert_non_null(strstr(err->message, "x: '"));
    }
    apr_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(site_ids),
        cmocka_unit_test(logins),
        cmocka_unit_test(local_paths),
        cmocka_unit_test(conninfo_strings),
        cmocka_unit_test(numeric_values),
    };
    return RUN(tests);
}
