/* Secrets that clients put in URLs (a token's secret in /data/services/tokens/validate,
 * a password in a query string) kept out of every log: the request line (%r in the
 * access log, and what httpd quotes in the error log) and r->uri (which httpd's auth
 * modules quote on a failed login) are replaced with redacted copies before any other
 * module sees the request. The router reads the path as sent (arca_request_path). */
#ifndef ARCA_LOG_REDACT_H
#define ARCA_LOG_REDACT_H

#include <httpd.h>

/* A copy of a request target ("/path?query") or path with the secrets replaced by
 * "***", or NULL when it holds none. */
char *arca_redact_target(apr_pool_t *p, const char *target);

/* post_read_request hook: redacts r->the_request and r->uri. */
int arca_redact_request(request_rec *r);

/* The request's path as the client sent it (decoded, as r->uri), secrets included. */
const char *arca_request_path(request_rec *r);

#endif
