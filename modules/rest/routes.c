/* Every REST route Arca answers, in one table: the API at a glance. */
#include "handlers.h"

const route rest_routes[] = {
    {"GET", "data:version", handle_version},
    {"GET", "xapi:siteConfig/buildInfo", handle_build_info},
    {"GET", "data:auth", handle_auth},
    {"GET", "data:JSESSION", handle_session_open},
    {"POST", "data:JSESSION", handle_session_open},
    {"DELETE", "data:JSESSION", handle_session_close},
    /* the data tree: every method, resolved by handle_data */
    {"GET", "data:projects/**", handle_data},
    {"PUT", "data:projects/**", handle_data},
    {"POST", "data:projects/**", handle_data},
    {"DELETE", "data:projects/**", handle_data},
    {"GET", "data:subjects/**", handle_data},
    {"PUT", "data:subjects/**", handle_data},
    {"POST", "data:subjects/**", handle_data},
    {"DELETE", "data:subjects/**", handle_data},
    {"GET", "data:experiments/**", handle_data},
    {"PUT", "data:experiments/**", handle_data},
    {"POST", "data:experiments/**", handle_data},
    {"DELETE", "data:experiments/**", handle_data},
    {"GET", "xapi:projects/{project}/customVariables", handle_custom_vars_list},
    {"PUT", "xapi:projects/{project}/customVariables/{level}/{name}", handle_custom_var_put},
    {"DELETE", "xapi:projects/{project}/customVariables/{level}/{name}",
     handle_custom_var_delete},
    {NULL, NULL, NULL}
};
