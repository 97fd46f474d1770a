/* REST handlers, one file per resource. */
#ifndef ARCA_REST_HANDLERS_H
#define ARCA_REST_HANDLERS_H

#include "router.h"

/* handle_version.c */
int handle_version(request_rec *r, const route_match *m);
int handle_build_info(request_rec *r, const route_match *m);
int handle_login_options(request_rec *r, const route_match *m);
int handle_build_info_property(request_rec *r, const route_match *m);

/* handle_user_list.c */
int handle_user_list(request_rec *r, const route_match *m);
int handle_user_list_one(request_rec *r, const route_match *m);

/* handle_schemas.c */
int handle_schemas_list(request_rec *r, const route_match *m);
int handle_schema_get(request_rec *r, const route_match *m);

/* handle_session.c */
int handle_session_open(request_rec *r, const route_match *m);
int handle_session_close(request_rec *r, const route_match *m);
int handle_login_redirect(request_rec *r, const route_match *m);
int handle_services_auth(request_rec *r, const route_match *m);
int handle_token_issue(request_rec *r, const route_match *m);
int handle_token_issue_for(request_rec *r, const route_match *m);
int handle_token_validate(request_rec *r, const route_match *m);
int handle_token_invalidate(request_rec *r, const route_match *m);

/* handle_auth.c */
int handle_auth(request_rec *r, const route_match *m);

/* handle_data.c: the projects > subjects > experiments > ... tree */
int handle_data(request_rec *r, const route_match *m);

/* handle_custom_vars.c */
int handle_custom_vars_list(request_rec *r, const route_match *m);
int handle_custom_var_put(request_rec *r, const route_match *m);
int handle_custom_var_delete(request_rec *r, const route_match *m);

/* handle_search.c */
int handle_search(request_rec *r, const route_match *m);
int handle_search_elements(request_rec *r, const route_match *m);
int handle_search_saved_list(request_rec *r, const route_match *m);
int handle_search_saved(request_rec *r, const route_match *m);
int handle_search_saved_results(request_rec *r, const route_match *m);

/* handle_project_users.c */
int handle_project_users(request_rec *r, const route_match *m);
int handle_project_user_put(request_rec *r, const route_match *m);
int handle_project_user_delete(request_rec *r, const route_match *m);
int handle_accessibility_get(request_rec *r, const route_match *m);
int handle_accessibility_put(request_rec *r, const route_match *m);

/* handle_users.c */
int handle_users_list(request_rec *r, const route_match *m);
int handle_user_current(request_rec *r, const route_match *m);
int handle_user_get(request_rec *r, const route_match *m);
int handle_user_create(request_rec *r, const route_match *m);
int handle_user_update(request_rec *r, const route_match *m);
int handle_user_flag_get(request_rec *r, const route_match *m);
int handle_user_flag_put(request_rec *r, const route_match *m);
int handle_user_roles(request_rec *r, const route_match *m);
int handle_user_role_put(request_rec *r, const route_match *m);
int handle_user_role_delete(request_rec *r, const route_match *m);
int handle_user_group_put(request_rec *r, const route_match *m);
int handle_user_group_delete(request_rec *r, const route_match *m);
int handle_user_projects(request_rec *r, const route_match *m);
int handle_audit(request_rec *r, const route_match *m);

/* handle_project_permissions.c */
int handle_project_permissions(request_rec *r, const route_match *m);

/* handle_import.c */
int handle_import(request_rec *r, const route_match *m);
/* extract=true into a session's DICOM resource: the import path, into that
 * session (handle_files.c) */
int rest_import_to_session(request_rec *r, const char *project, const char *subject,
                           const char *session);

/* handle_prearchive.c */
int handle_prearchive_list(request_rec *r, const route_match *m);
int handle_prearchive_session(request_rec *r, const route_match *m);
int handle_services_archive(request_rec *r, const route_match *m);
int handle_services_prearchive(request_rec *r, const route_match *m);

/* handle_prearchive_view.c */
int handle_prearchive_get(request_rec *r, const route_match *m);
int handle_prearchive_scans(request_rec *r, const route_match *m);
int handle_prearchive_scan(request_rec *r, const route_match *m);
int handle_prearchive_files(request_rec *r, const route_match *m);

/* handle_dicomdump.c */
int handle_dicomdump(request_rec *r, const route_match *m);

/* handle_prearchive_code.c */
int handle_prearchive_code_get(request_rec *r, const route_match *m);
int handle_prearchive_code_put(request_rec *r, const route_match *m);

/* handle_share_policy.c */
int handle_share_policy_get(request_rec *r, const route_match *m);
int handle_share_policy_put(request_rec *r, const route_match *m);

/* handle_project_arc.c */
int handle_quarantine_code_get(request_rec *r, const route_match *m);
int handle_current_arc_get(request_rec *r, const route_match *m);

/* handle_config.c */
int handle_site_config(request_rec *r, const route_match *m);
int handle_project_config(request_rec *r, const route_match *m);
int handle_anon_site(request_rec *r, const route_match *m);
int handle_anon_site_enabled(request_rec *r, const route_match *m);
int handle_anon_project(request_rec *r, const route_match *m);
int handle_anon_project_enabled(request_rec *r, const route_match *m);
int handle_anon_default(request_rec *r, const route_match *m);

#endif
