/* Validation of configuration values and names. */
#include "test_util.h"

#include "base/validate.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(site_ids),
        cmocka_unit_test(logins),
        cmocka_unit_test(conninfo_strings),
    };
    return RUN(tests);
}
