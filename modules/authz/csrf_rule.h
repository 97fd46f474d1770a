/* Whether a change made by a logged-in user may have been forged by another site.
 * Plain C over APR (no httpd types), so the unit tests run it directly. */
#ifndef ARCA_CSRF_RULE_H
#define ARCA_CSRF_RULE_H

#include <apr_pools.h>

typedef struct {
    const char *origin;          /* Origin header, or NULL */
    const char *sec_fetch_site;  /* Sec-Fetch-Site header, or NULL */
    int other_fetch_metadata;    /* any other Sec-Fetch-* header present */
    int session;                 /* made with the session cookie (else Basic or a token) */
    int token_ok;                /* the session's XNAT_CSRF token came with the request */
    const char *scheme;          /* this server's scheme for the request: http or https */
    const char *host;            /* the request's Host header, or NULL */
} csrf_request;

/* Whether a request is outside the rule: reads (GET, HEAD, OPTIONS), and ending one's own
 * session (DELETE of /data/JSESSION, /data/archive/JSESSION or /REST/JSESSION exactly: the
 * worst a forged one does is log the user out). Every other method on every other path
 * is a change. */
int csrf_exempt(const char *method, const char *uri);

/* NULL if the request may go on, else why it is refused (a sentence safe to show). */
const char *csrf_refusal(apr_pool_t *p, const csrf_request *req);

#endif
