/* Every REST route Arca answers, in one table: the API at a glance. */
#include "handlers.h"

const route rest_routes[] = {
    {"GET", "data:version", handle_version},
    {"GET", "xapi:siteConfig/buildInfo", handle_build_info},
    {"GET", "data:auth", handle_auth},
    {"GET", "data:projects", handle_projects_list},
    {NULL, NULL, NULL}
};
