/* The compiled-in migrations: numbered from 1 without gaps, sorted, non-empty. */
#include "test_util.h"

#include "config.h"
#include "db/schema.h"

static void migrations_are_contiguous_and_sorted(void **state)
{
    assert_true(arca_migration_count >= 1);
    for (int i = 0; i < arca_migration_count; i++) {
        assert_int_equal(arca_migrations[i].version, i + 1);
        assert_true(strlen(arca_migrations[i].name) > 0);
        assert_true(strlen(arca_migrations[i].sql) > 0);
    }
}

static void known_version_is_the_newest(void **state)
{
    assert_int_equal(arca_schema_known_version(), arca_migration_count);
    assert_int_equal(arca_schema_known_version(), ARCA_SCHEMA_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations_are_contiguous_and_sorted),
        cmocka_unit_test(known_version_is_the_newest),
    };
    return RUN(tests);
}
