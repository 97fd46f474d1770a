/* Custom routing rules (see routing_rules.h). */
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "import/routing_rules.h"

struct arca_routing_rule_t {
    arca_route_kind_t kind;
    const char *tag;     /* "(gggg,eeee)", as arca_dicom_get takes it */
    regex_t re;
};

static apr_status_t free_regex(void *data)
{
    regfree(&((arca_routing_rule_t *)data)->re);
    return APR_SUCCESS;
}

int arca_route_kind_parse(const char *word, arca_route_kind_t *out)
{
    static const char *const words[] = {"project", "subject", "session"};

    for (int i = 0; word && i < 3; i++)
        if (strcasecmp(word, words[i]) == 0) {
            *out = (arca_route_kind_t)i;
            return 1;
        }
    return 0;
}

arca_error_t *arca_routing_rule_parse(apr_pool_t *p, arca_route_kind_t kind, const char *text,
                                      arca_routing_rule_t **out)
{
    arca_routing_rule_t *r = apr_pcalloc(p, sizeof *r);
    unsigned group, element;
    int used = 0, rc;

    if (sscanf(text, "(%4x,%4x):%n", &group, &element, &used) != 2 || used != 12
        || text[used] == '\0')
        return arca_error_create(p, 400, "a routing rule is (gggg,eeee):regex, with four hex "
                                 "digits each and a regex after the colon");
    r->kind = kind;
    r->tag = apr_psprintf(p, "(%04X,%04X)", group, element);
    if ((rc = regcomp(&r->re, text + used, REG_EXTENDED)) != 0) {
        char why[128];
        regerror(rc, &r->re, why, sizeof why);
        return arca_error_create(p, 400, "routing rule %s: the regex does not compile: %s",
                                 r->tag, why);
    }
    apr_pool_cleanup_register(p, r, free_regex, apr_pool_cleanup_null);
    *out = r;
    return ARCA_OK;
}

const char *arca_routing_apply(const apr_array_header_t *rules, arca_route_kind_t kind,
                               arca_dicom_t *d, apr_pool_t *p)
{
    for (int i = 0; rules && i < rules->nelts; i++) {
        const arca_routing_rule_t *r = APR_ARRAY_IDX(rules, i, const arca_routing_rule_t *);
        regmatch_t m[2];
        const char *value;

        if (r->kind != kind || arca_dicom_get(d, r->tag, p, &value) != ARCA_OK
            || regexec(&r->re, value, 2, m, 0) != 0)
            continue;
        if (m[1].rm_so >= 0 && m[1].rm_eo > m[1].rm_so)
            return apr_pstrmemdup(p, value + m[1].rm_so, (apr_size_t)(m[1].rm_eo - m[1].rm_so));
        if (m[0].rm_eo > m[0].rm_so)
            return apr_pstrmemdup(p, value + m[0].rm_so, (apr_size_t)(m[0].rm_eo - m[0].rm_so));
    }
    return NULL;
}
