/* /data/JSESSION: what XNAT clients call first to open a session (pyxnat falls back to
 * the /REST prefix for good when it fails). Until server-side sessions exist, it answers
 * with a fresh random identifier and clients keep using their credentials on every
 * request, which works with every XNAT client. */
#include <httpd.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "handlers.h"

int handle_session_open(request_rec *r, const route_match *m)
{
    unsigned char raw[16];
    char hex[33];

    if (apr_generate_random_bytes(raw, sizeof raw) != APR_SUCCESS)
        return arca_http_errorf(r, HTTP_INTERNAL_SERVER_ERROR, "no random source");
    for (int i = 0; i < 16; i++)
        apr_snprintf(hex + 2 * i, 3, "%02X", raw[i]);
    return arca_http_send_text(r, "text/plain; charset=utf-8", hex);
}

int handle_session_close(request_rec *r, const route_match *m)
{
    return OK;
}
