/* The response dataset of STOW-RS (PS3.18 10.5.3; see dicomweb.h). */
#include <string.h>

#include <apr_strings.h>

#include "dicomweb/dw_internal.h"

struct arca_stow_t {
    apr_pool_t *p;
    const arca_dw_scope_t *scope;
    json_t *stored, *failed;
    const char *study_url;   /* the RetrieveURL of the study, when one study was stored */
    int mixed;               /* instances of more than one study */
};

arca_stow_t *arca_stow_begin(apr_pool_t *p, const arca_dw_scope_t *scope)
{
    arca_stow_t *s = apr_pcalloc(p, sizeof *s);

    s->p = p;
    s->scope = scope;
    s->stored = json_array();
    s->failed = json_array();
    return s;
}

static json_t *uid_attr(const char *uid)
{
    return arca_dw_attr("UI", uid);
}

void arca_stow_stored(arca_stow_t *s, const char *sop_class, const char *sop_uid,
                      const char *study_uid, const char *series_uid,
                      const char *stored_sop_uid)
{
    json_t *item = json_pack("{s:o, s:o}", "00081150", uid_attr(sop_class),
                             "00081155", uid_attr(sop_uid));

    if (study_uid && *study_uid) {
        const char *url = apr_pstrcat(s->p, s->scope->base_url, "/studies/", study_uid, NULL);
        json_object_set_new(item, "00081190", arca_dw_attr("UR", dw_instance_url(s->p,
                            s->scope, study_uid, series_uid, stored_sop_uid)));
        if (s->study_url && strcmp(s->study_url, url) != 0)
            s->mixed = 1;
        s->study_url = url;
    }
    json_array_append_new(s->stored, item);
}

void arca_stow_failed(arca_stow_t *s, const char *sop_class, const char *sop_uid, int reason)
{
    json_array_append_new(s->failed, json_pack("{s:o, s:o, s:{s:s, s:[i]}}",
                          "00081150", uid_attr(sop_class), "00081155", uid_attr(sop_uid),
                          "00081197", "vr", "US", "Value", reason));
}

json_t *arca_stow_answer(arca_stow_t *s, int *status)
{
    json_t *out = json_object();
    size_t ok = json_array_size(s->stored), bad = json_array_size(s->failed);

    json_object_set_new(out, "00081190", arca_dw_attr("UR", s->study_url && !s->mixed
                                                      ? s->study_url : NULL));
    if (ok)
        json_object_set_new(out, "00081199", json_pack("{s:s, s:O}", "vr", "SQ", "Value",
                                                       s->stored));
    if (bad)
        json_object_set_new(out, "00081198", json_pack("{s:s, s:O}", "vr", "SQ", "Value",
                                                       s->failed));
    *status = bad == 0 ? 200 : ok ? 202 : 409;
    json_decref(s->stored);
    json_decref(s->failed);
    return out;
}
