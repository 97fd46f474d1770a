/* Numbers in directive values, checked the same way by every module: the whole value
 * must be a decimal number in range, and a bad one gets httpd's configuration error
 * naming the directive, the value and what to write instead (`httpd -t` shows it with
 * the file and line). */
#ifndef ARCA_DIRECTIVE_PARSE_H
#define ARCA_DIRECTIVE_PARSE_H

#include <httpd.h>
#include <http_config.h>

/* s is entirely a decimal number within [min, max]: returns 1 and sets *out, else 0. */
int arca_parse_whole(const char *s, apr_int64_t min, apr_int64_t max, apr_int64_t *out);

/* The directive's value as a whole number within [min, max] into *out; NULL, or the
 * error "Directive 'value': use a whole number from min to max". zero_means, when not
 * NULL, says what 0 does ("no limit") and is shown after the 0 of the range. */
const char *arca_directive_int(cmd_parms *cmd, const char *arg, int min, int max,
                               const char *zero_means, int *out);

/* The directive's value as bytes, optionally followed by K, M, G or T (powers of 1024),
 * up to what apr_off_t holds, into *out; NULL, or the error naming the directive. */
const char *arca_directive_size(cmd_parms *cmd, const char *arg, apr_off_t *out);

#endif
