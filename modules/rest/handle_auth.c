/* /data/auth: who the server thinks you are (xnatpy checks it after logging in). */
#include <httpd.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "handlers.h"

int handle_auth(request_rec *r, const route_match *m)
{
    const arca_account_t *account;
    arca_error_t *err = arca_core.request_account(r, &account);

    if (err)
        return arca_http_error(r, err);
    if (r->user == NULL)
        return arca_http_errorf(r, HTTP_UNAUTHORIZED, "not logged in");
    if (account == NULL)
        return arca_http_errorf(r, HTTP_FORBIDDEN, "'%s' logged in, but has no Arca account",
                                r->user);
    return arca_http_send_text(r, "text/plain; charset=utf-8",
                               apr_psprintf(r->pool, "User '%s' is logged in", account->login));
}
