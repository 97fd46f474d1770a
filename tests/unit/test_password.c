/* Password hashing and random passwords. */
#include "test_util.h"

#include "access/password.h"

static void hash_then_match(void **state)
{
    apr_pool_t *p = *state;
    const char *hash, *hash2;

    assert_null(arca_password_hash(p, "s3cret", &hash));
    assert_true(strncmp(hash, "$2y$10$", 7) == 0);
    assert_true(arca_password_matches("s3cret", hash));
    assert_false(arca_password_matches("s3creT", hash));
    assert_false(arca_password_matches("", hash));
    /* salted: the same password hashes differently */
    assert_null(arca_password_hash(p, "s3cret", &hash2));
    assert_string_not_equal(hash, hash2);
}

static void no_hash_never_matches(void **state)
{
    assert_false(arca_password_matches("x", NULL));
    assert_false(arca_password_matches("x", ""));
    assert_false(arca_password_matches("x", "x"));
}

static void dummy_hash_costs_as_much_as_a_real_one(void **state)
{
    const char *prefix = apr_psprintf(*state, "$2y$%02d$", ARCA_BCRYPT_COST);

    assert_int_equal(strncmp(arca_password_dummy_hash, prefix, strlen(prefix)), 0);
    assert_int_equal(strlen(arca_password_dummy_hash), 60);
    assert_false(arca_password_matches("", arca_password_dummy_hash));
    arca_password_waste_time("anything");
}

static void random_passwords(void **state)
{
    apr_pool_t *p = *state;
    const char *a, *b;

    assert_null(arca_random_password(p, 24, &a));
    assert_null(arca_random_password(p, 24, &b));
    assert_int_equal(strlen(a), 24);
    assert_string_not_equal(a, b);
    assert_null(strpbrk(a, "0O1lI:/ "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_then_match),
        cmocka_unit_test(no_hash_never_matches),
        cmocka_unit_test(dummy_hash_costs_as_much_as_a_real_one),
        cmocka_unit_test(random_passwords),
    };
    return RUN(tests);
}
