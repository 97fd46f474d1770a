/* Whole numbers and sizes in directive values (see directive_parse.h). */
#include <errno.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "directive_parse.h"

int arca_parse_whole(const char *s, apr_int64_t min, apr_int64_t max, apr_int64_t *out)
{
    char *end;
    apr_int64_t n;

    errno = 0;
    n = apr_strtoi64(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || n < min || n > max)
        return 0;
    *out = n;
    return 1;
}

const char *arca_directive_int(cmd_parms *cmd, const char *arg, int min, int max,
                               const char *zero_means, int *out)
{
    apr_int64_t n;

    if (!arca_parse_whole(arg, min, max, &n)) {
        const char *from = min == 0 && zero_means ? apr_psprintf(cmd->pool, "0 (%s)",
                                                                 zero_means)
                                                  : apr_itoa(cmd->pool, min);
        return apr_psprintf(cmd->pool, "%s '%s': use a whole number from %s to %d",
                            cmd->cmd->name, arg, from, max);
    }
    *out = (int)n;
    return NULL;
}

const char *arca_directive_size(cmd_parms *cmd, const char *arg, apr_off_t *out)
{
    size_t len = strlen(arg);
    const char *digits = arg;
    int shift = 0;
    apr_int64_t n;

    switch (len > 0 ? apr_toupper(arg[len - 1]) : 0) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    }
    if (shift)
        digits = apr_pstrmemdup(cmd->pool, arg, len - 1);
    if (!arca_parse_whole(digits, 0, APR_INT64_MAX >> shift, &n))
        return apr_psprintf(cmd->pool, "%s '%s': use a size: bytes, or a number followed "
                            "by K, M, G or T", cmd->cmd->name, arg);
    *out = (apr_off_t)(n << shift);
    return NULL;
}
