/* Showing an account, and XNAT's role names (see account_view.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "access/account_view.h"

json_t *arca_account_json(const arca_account_t *a)
{
    static const char *const access[] = {"none", "read", "edit"};

    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:i,s:b,s:s,s:s,s:b}",
                     "username", a->login, "firstName", a->firstname, "lastName", a->lastname,
                     "email", a->email, "enabled", a->enabled, "verified", a->verified,
                     "id", atoi(a->id), "admin", a->site_admin,
                     "dataAccess", access[a->data_access], "authSource", a->auth_source,
                     "nonExpiring", a->non_expiring);
}

json_t *arca_account_roles_json(const arca_account_t *a, int groups)
{
    json_t *list = json_array();

    if (!groups && a->site_admin)
        json_array_append_new(list, json_string("Administrator"));
    if (!groups && a->non_expiring)
        json_array_append_new(list, json_string("Non_Expiring"));
    if (groups && a->data_access)
        json_array_append_new(list, json_string(a->data_access == 2 ? "ALL_DATA_ADMIN"
                                                                    : "ALL_DATA_ACCESS"));
    return list;
}

int arca_account_flag(const arca_account_t *a, const char *name, int *value)
{
    if (strcmp(name, "enabled") == 0)
        *value = a->enabled;
    else if (strcmp(name, "verified") == 0)
        *value = a->verified;
    else
        return 0;
    return 1;
}

int arca_account_role_setting(const char *name, int on, const char **field,
                              const char **value)
{
    if (!strcmp(name, "Administrator") || !strcmp(name, "administrator")) {
        *field = "site_admin";
        *value = on ? "t" : "f";
    } else if (!strcmp(name, "Non_Expiring") || !strcmp(name, "non_expiring")) {
        *field = "non_expiring";
        *value = on ? "t" : "f";
    } else if (!strcmp(name, "ALL_DATA_ADMIN")) {
        *field = "data_access";
        *value = on ? "edit" : "none";
    } else if (!strcmp(name, "ALL_DATA_ACCESS")) {
        *field = "data_access";
        *value = on ? "read" : "none";
    } else {
        return 0;
    }
    return 1;
}

static const char *yes_no(int flag)
{
    return flag ? "yes" : "no";
}

const char *arca_account_text(apr_pool_t *p, const arca_account_t *a)
{
    return apr_psprintf(p, "login: %s\nname: %s %s\nemail: %s\nenabled: %s\nverified: %s\n"
                        "site admin: %s\nlocal password: %s\n", a->login, a->firstname,
                        a->lastname, a->email, yes_no(a->enabled), yes_no(a->verified),
                        yes_no(a->site_admin), yes_no(a->has_password));
}
