/* The access decisions about a person alone (authz.h), and how an account is shown and its
 * XNAT role names (account_view.h): no database needed. */
#include "test_util.h"

#include <jansson.h>

#include "access/account_view.h"
#include "access/authz.h"

static arca_account_t account(int enabled, int site_admin, int data_access)
{
    arca_account_t a = {0};

    a.id = "7";
    a.login = "jdoe";
    a.firstname = "Jane";
    a.lastname = "Doe";
    a.email = "jd@example.org";
    a.auth_source = "local";
    a.enabled = enabled;
    a.verified = 1;
    a.site_admin = site_admin;
    a.data_access = data_access;
    return a;
}

static void anonymous_is_nothing(void **state)
{
    assert_false(arca_is_site_admin(NULL));
    assert_false(arca_sees_all(NULL));
    assert_false(arca_edits_all(NULL));
    assert_false(arca_is_disabled(NULL));
    assert_false(arca_is_unverified(NULL));
}

static void site_admin_only_while_enabled(void **state)
{
    arca_account_t admin = account(1, 1, 0), fallen = account(0, 1, 2);

    assert_true(arca_is_site_admin(&admin));
    assert_true(arca_sees_all(&admin));
    assert_true(arca_edits_all(&admin));
    assert_false(arca_is_disabled(&admin));
    /* a disabled account is nothing, whatever its flags say */
    assert_false(arca_is_site_admin(&fallen));
    assert_false(arca_sees_all(&fallen));
    assert_false(arca_edits_all(&fallen));
    assert_true(arca_is_disabled(&fallen));
}

static void all_data_access(void **state)
{
    arca_account_t none = account(1, 0, 0), reader = account(1, 0, 1),
                   editor = account(1, 0, 2);

    assert_false(arca_sees_all(&none) || arca_edits_all(&none));
    assert_true(arca_sees_all(&reader));
    assert_false(arca_edits_all(&reader));
    assert_true(arca_sees_all(&editor) && arca_edits_all(&editor));
    assert_false(arca_is_site_admin(&reader) || arca_is_site_admin(&editor));
}

static void unverified(void **state)
{
    arca_account_t a = account(1, 0, 0);

    assert_false(arca_is_unverified(&a));
    a.verified = 0;
    assert_true(arca_is_unverified(&a));
}

static void editable_projects_sql_binds_the_placeholder(void **state)
{
    const char *sql = arca_editable_projects_sql(*state, "$4");

    assert_non_null(strstr(sql, "account_id = $4::bigint"));
    assert_non_null(strstr(sql, "'owner', 'member'"));
    assert_null(strstr(sql, "collaborator"));
}

static void user_json(void **state)
{
    arca_account_t a = account(1, 1, 2);
    json_t *j = arca_account_json(&a);
    char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

    assert_string_equal(text, "{\"admin\":true,\"authSource\":\"local\",\"dataAccess\":\"edit\","
                        "\"email\":\"jd@example.org\",\"enabled\":true,\"firstName\":\"Jane\","
                        "\"id\":7,\"lastName\":\"Doe\",\"nonExpiring\":false,"
                        "\"username\":\"jdoe\",\"verified\":true}");
    free(text);
    json_decref(j);
}

static void roles_and_groups(void **state)
{
    arca_account_t a = account(1, 1, 1);
    json_t *roles, *groups;
    char *r, *g;

    a.non_expiring = 1;
    roles = arca_account_roles_json(&a, 0);
    groups = arca_account_roles_json(&a, 1);
    r = json_dumps(roles, JSON_COMPACT);
    g = json_dumps(groups, JSON_COMPACT);
    assert_string_equal(r, "[\"Administrator\",\"Non_Expiring\"]");
    assert_string_equal(g, "[\"ALL_DATA_ACCESS\"]");
    free(r);
    free(g);
    json_decref(roles);
    json_decref(groups);
}

static void flags_by_name(void **state)
{
    arca_account_t a = account(0, 0, 0);
    int v = -1;

    assert_true(arca_account_flag(&a, "enabled", &v));
    assert_int_equal(v, 0);
    assert_true(arca_account_flag(&a, "verified", &v));
    assert_int_equal(v, 1);
    v = -1;
    assert_false(arca_account_flag(&a, "site_admin", &v));
    assert_int_equal(v, -1);
}

static void role_settings(void **state)
{
    const char *field, *value;

    assert_true(arca_account_role_setting("Administrator", 1, &field, &value));
    assert_string_equal(field, "site_admin");
    assert_string_equal(value, "t");
    assert_true(arca_account_role_setting("ALL_DATA_ADMIN", 1, &field, &value));
    assert_string_equal(field, "data_access");
    assert_string_equal(value, "edit");
    assert_true(arca_account_role_setting("ALL_DATA_ACCESS", 0, &field, &value));
    assert_string_equal(value, "none");
    assert_true(arca_account_role_setting("non_expiring", 0, &field, &value));
    assert_string_equal(field, "non_expiring");
    assert_string_equal(value, "f");
    assert_false(arca_account_role_setting("Wizard", 1, &field, &value));
}

static void text(void **state)
{
    arca_account_t a = account(1, 0, 0);

    a.has_password = 1;
    assert_string_equal(arca_account_text(*state, &a),
                        "login: jdoe\nname: Jane Doe\nemail: jd@example.org\nenabled: yes\n"
                        "verified: yes\nsite admin: no\nlocal password: yes\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(anonymous_is_nothing),
        cmocka_unit_test(site_admin_only_while_enabled),
        cmocka_unit_test(all_data_access),
        cmocka_unit_test(unverified),
        cmocka_unit_test(editable_projects_sql_binds_the_placeholder),
        cmocka_unit_test(user_json),
        cmocka_unit_test(roles_and_groups),
        cmocka_unit_test(flags_by_name),
        cmocka_unit_test(role_settings),
        cmocka_unit_test(text),
    };
    return RUN(tests);
}
