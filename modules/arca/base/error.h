/* One error type for all of libarca: an HTTP-like status and a message meant for the
 * person on the other end. Every failure reaches a client as that status and message, and
 * the log as one numbered line. NULL means success (like svn_error_t). */
#ifndef ARCA_ERROR_H
#define ARCA_ERROR_H

#include <apr_pools.h>

typedef struct arca_error_t {
    int status;          /* 400 bad input, 404 unknown, 409 clash, 500 bug, 503 unavailable */
    const char *message; /* one sentence, safe to show: never PHI, never a password */
} arca_error_t;

#define ARCA_OK ((arca_error_t *)NULL)

/* The message of every 401: exactly what pyxnat recognises as a failed login (it raises
 * "Authentication failed" on it and misreads anything else). */
#define ARCA_LOGIN_REQUIRED "The request requires user authentication"

arca_error_t *arca_error_create(apr_pool_t *p, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
