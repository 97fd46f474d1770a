/* What the login page needs before anyone has logged in:
 *   GET /data/services/login-options
 *       {"sessionTimeout": 900, "institutionLogin": null | {"url": "/...", "label": "..."}}
 * sessionTimeout: seconds a session lives unused (ArcaSessionIdleTimeout), for the
 * auto-logout countdown; institutionLogin: the login made elsewhere (ArcaInstitutionLogin),
 * shown as a button. Public: the shipped configuration lets it through without a login. */
#include <httpd.h>
#include <jansson.h>

#include "arca_http.h"
#include "handlers.h"
#include "mod_arca.h"
#include "rest_config.h"

#define DEFAULT_SESSION_IDLE 900 /* mod_arca_authz's default, when it is not loaded */

int handle_login_options(request_rec *r, const route_match *m)
{
    APR_OPTIONAL_FN_TYPE(arca_session_idle_seconds) *idle =
        APR_RETRIEVE_OPTIONAL_FN(arca_session_idle_seconds);
    const rest_config_t *c = rest_config_of(r);
    json_t *institution = c->institution_login_url
        ? json_pack("{s:s,s:s}", "url", c->institution_login_url, "label",
                    c->institution_login_label)
        : json_null();

    return arca_http_send_json(r, json_pack("{s:I,s:o}", "sessionTimeout",
                                            (json_int_t)(idle ? idle(r) : DEFAULT_SESSION_IDLE),
                                            "institutionLogin", institution));
}
