/* STOW-RS: POST /dicomweb/projects/{P}/studies[/{StudyInstanceUID}], a multipart/related
 * body of application/dicom parts. Each part goes through the import path as any upload:
 * de-identified, named (subject from the Patient ID, session from the Study Instance UID,
 * as received), into the project's archive or its prearchive by the project's setting
 * (prearchive_code), all in one transaction. The answer is PS3.18's response dataset. */
#include <string.h>
#include <strings.h>

#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <apr_strings.h>

#include "arca_http.h"
#include "dw_http.h"
#include "dicom/dicom.h"
#include "import/import.h"
#include "import/import_deid.h"
#include "import/routing_rules.h"
#include "prearchive/prearchive.h"

APLOG_USE_MODULE(arca_dicomweb);

/* A request body is held whole while its parts are split (a streaming parse is for later). */
#define MAX_BODY (256u * 1024 * 1024)

enum { FAIL_PROCESSING = 0x0110, FAIL_MISMATCH = 0xA900, FAIL_UNDERSTAND = 0xC000 };

typedef struct {
    const char *data;
    apr_size_t len;
    int done;
} mem_reader;

static arca_error_t *mem_read(void *baton, const void **buf, apr_size_t *len)
{
    mem_reader *m = baton;

    *buf = m->data;
    *len = m->done ? 0 : m->len;
    m->done = 1;
    return ARCA_OK;
}

typedef struct {
    const char *type;       /* the part's Content-Type, NULL if none */
    const char *data;
    apr_size_t len;
} part_t;

static const char *find(const char *hay, apr_size_t n, const char *needle, apr_size_t k)
{
    return k <= n ? memmem(hay, n, needle, k) : NULL;
}

/* The parts of a multipart body: "--B" lines, each part's headers up to an empty line,
 * its content up to CRLF "--B". Text before the first boundary is skipped. */
static arca_error_t *split(apr_pool_t *p, const char *body, apr_size_t len, const char *b,
                           apr_array_header_t **parts)
{
    const char *delim = apr_pstrcat(p, "--", b, NULL), *at, *end = body + len;
    apr_size_t dn = strlen(delim);

    *parts = apr_array_make(p, 8, sizeof(part_t));
    if ((at = find(body, len, delim, dn)) == NULL)
        return arca_error_create(p, 400, "the body has no multipart boundary '%s'", b);
    for (;;) {
        at += dn;
        if (end - at >= 2 && at[0] == '-' && at[1] == '-')
            return ARCA_OK;  /* the closing boundary */
        const char *eol = find(at, (apr_size_t)(end - at), "\r\n", 2), *hdr_end, *next;
        if (eol == NULL)
            break;
        hdr_end = find(eol, (apr_size_t)(end - eol), "\r\n\r\n", 4);
        if (hdr_end == NULL)
            break;
        part_t *pt = apr_array_push(*parts);
        pt->type = NULL;
        /* the headers: only Content-Type matters */
        for (const char *h = eol + 2; h < hdr_end + 2;) {
            const char *le = find(h, (apr_size_t)(hdr_end + 2 - h), "\r\n", 2);
            if (le == NULL)
                break;
            if ((apr_size_t)(le - h) > 13 && strncasecmp(h, "Content-Type:", 13) == 0) {
                const char *v = h + 13;
                while (*v == ' ' || *v == '\t')
                    v++;
                pt->type = apr_pstrmemdup(p, v, (apr_size_t)(le - v));
            }
            h = le + 2;
        }
        pt->data = hdr_end + 4;
        next = find(pt->data, (apr_size_t)(end - pt->data), apr_pstrcat(p, "\r\n", delim, NULL),
                    dn + 2);
        if (next == NULL)
            break;
        pt->len = (apr_size_t)(next - pt->data);
        at = next + 2;
    }
    return arca_error_create(p, 400, "the multipart body is truncated (no closing boundary)");
}

/* The SOP Class and Instance, Study UIDs of a part as sent (NULL when unreadable). */
static void peek(apr_pool_t *p, const part_t *pt, const char **cls, const char **sop,
                 const char **study)
{
    mem_reader m = {pt->data, pt->len, 0};
    arca_dicom_t *d;
    arca_dicom_info_t in;

    *cls = *sop = *study = NULL;
    if (arca_dicom_read(p, mem_read, &m, &d) == ARCA_OK && arca_dicom_info(d, p, &in) == ARCA_OK) {
        *cls = in.sop_class_uid;
        *sop = in.sop_instance_uid;
        *study = in.study_uid;
    }
}

static const char *param(apr_pool_t *p, const char *ct, const char *name)
{
    const char *s = ct;
    apr_size_t n = strlen(name);

    while ((s = strchr(s, ';'))) {
        s++;
        while (*s == ' ' || *s == '\t')
            s++;
        if (strncasecmp(s, name, n) == 0 && s[n] == '=') {
            const char *v = s + n + 1;
            if (*v == '"') {
                const char *q = strchr(v + 1, '"');
                return q ? apr_pstrmemdup(p, v + 1, (apr_size_t)(q - v - 1)) : NULL;
            }
            return apr_pstrmemdup(p, v, strcspn(v, "; \t"));
        }
    }
    return NULL;
}

static arca_error_t *options(request_rec *r, arca_db_t *db, const char *project,
                             arca_import_options_t *o)
{
    const arca_site_t *site = arca_core.site_get(r);
    apr_array_header_t *rules = apr_array_make(r->pool, 2, sizeof(arca_routing_rule_t *));
    arca_routing_rule_t *rule;
    apr_time_exp_t t;
    int code = 0;
    arca_error_t *err;

    memset(o, 0, sizeof *o);
    o->site_id = site->site_id;
    o->archive = site->archive;
    o->prearchive = site->prearchive;
    o->project = project;
    o->user = arca_http_user(r);
    o->mode = ARCA_IMPORT_UPLOAD;
    o->overwrite = ARCA_OVERWRITE_APPEND;  /* a study may come in several requests */
    apr_time_exp_gmt(&t, apr_time_now());
    o->timestamp = apr_psprintf(r->pool, "%04d%02d%02d_%02d%02d%02d%03d", t.tm_year + 1900,
                               t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                               t.tm_usec / 1000);
    /* names for the subject and the session, from the headers as received */
    if ((err = arca_routing_rule_parse(r->pool, ARCA_ROUTE_SUBJECT, "(0010,0020):(.+)", &rule)))
        return err;
    APR_ARRAY_PUSH(rules, arca_routing_rule_t *) = rule;
    if ((err = arca_routing_rule_parse(r->pool, ARCA_ROUTE_SESSION, "(0020,000D):(.+)", &rule)))
        return err;
    APR_ARRAY_PUSH(rules, arca_routing_rule_t *) = rule;
    o->routing_rules = rules;
    if (site->archive == NULL)
        return arca_error_create(r->pool, 500, "ArcaArchive is not set");
    /* XNAT's rule: into the prearchive unless the project archives what it receives */
    if ((err = arca_prearchive_code_get(db, r->pool, project, &code)))
        return err;
    o->to_prearchive = code != 4 && code != 5;
    if (o->to_prearchive && o->prearchive == NULL)
        return arca_error_create(r->pool, 500, "ArcaPrearchive is not set");
    if ((err = arca_core.request_account(r, &o->who))
        || (err = arca_import_site_script(db, r->pool, &o->site_script)))
        return err;
    return ARCA_OK;
}

static arca_error_t *store_parts(request_rec *r, arca_import_t *imp, arca_stow_t *stow,
                                 const char *study_in_path, const apr_array_header_t *parts)
{
    const apr_array_header_t *rejected = arca_import_rejected(imp);
    arca_error_t *err;

    for (int i = 0; i < parts->nelts; i++) {
        const part_t *pt = &APR_ARRAY_IDX(parts, i, part_t);
        const char *cls, *sop, *study;
        int before = rejected->nelts;
        apr_pool_t *sub;

        apr_pool_create(&sub, r->pool);
        peek(sub, pt, &cls, &sop, &study);
        if (pt->type && strncasecmp(pt->type, "application/dicom", 17) != 0) {
            arca_stow_failed(stow, cls, sop, FAIL_UNDERSTAND);
        } else if (study_in_path && study && strcmp(study, study_in_path) != 0) {
            arca_stow_failed(stow, cls, sop, FAIL_MISMATCH);
        } else {
            mem_reader m = {pt->data, pt->len, 0};
            if ((err = arca_import_object(imp, apr_psprintf(sub, "part %d", i + 1), mem_read,
                                          &m))) {
                apr_pool_destroy(sub);
                return err;
            }
            if (arca_import_rejected(imp)->nelts > before) {
                arca_stow_failed(stow, cls, sop, FAIL_UNDERSTAND);
            } else {
                const arca_import_stored_t *st = arca_import_last(imp);
                arca_stow_stored(stow, cls, sop, st->archived ? st->study_uid : NULL,
                                 st->series_uid, st->sop_uid);
            }
        }
        apr_pool_destroy(sub);
    }
    return ARCA_OK;
}

int dw_stow(dw_req_t *q, arca_db_t *db)
{
    request_rec *r = q->r;
    const char *ct = apr_table_get(r->headers_in, "Content-Type"), *boundary, *type;
    apr_array_header_t *parts;
    arca_import_options_t o;
    arca_import_t *imp;
    arca_stow_t *stow;
    char *body;
    apr_size_t len;
    json_t *answer;
    arca_error_t *err;
    int status;

    if (q->scope.project == NULL)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "STOW-RS stores into a project: POST to "
                                "/dicomweb/projects/{project}/studies");
    if (q->study && strspn(q->study, "0123456789.") != strlen(q->study))
        return arca_http_errorf(r, HTTP_NOT_FOUND, "Not Found: no such study");
    if ((err = arca_dw_scope_check(db, r->pool, &q->scope, 1)))
        return arca_http_error(r, err);
    if (ct == NULL || strncasecmp(ct, "multipart/related", 17) != 0)
        return arca_http_errorf(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "STOW-RS takes multipart/related"
                                "; type=\"application/dicom\"");
    type = param(r->pool, ct, "type");
    if (type && strcasecmp(type, "application/dicom") != 0)
        return arca_http_errorf(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "STOW-RS here takes parts of "
                                "type application/dicom, not %s", type);
    if ((boundary = param(r->pool, ct, "boundary")) == NULL || !*boundary
        || strlen(boundary) > 70)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "the multipart/related Content-Type has "
                                "no usable boundary");
    if ((err = arca_http_read_body(r, MAX_BODY, &body, &len))
        || (err = split(r->pool, body, len, boundary, &parts)))
        return arca_http_error(r, err);
    if (parts->nelts == 0)
        return arca_http_errorf(r, HTTP_BAD_REQUEST, "the body holds no part");
    if ((err = options(r, db, q->scope.project, &o))
        || (err = arca_import_begin(db, r->pool, &o, &imp)))
        return arca_http_error(r, err);
    stow = arca_stow_begin(r->pool, &q->scope);
    if ((err = arca_db_begin(db, r->pool))
        || (err = store_parts(r, imp, stow, q->study, parts))
        || (err = arca_import_finish(imp))
        || (err = arca_db_commit(db, r->pool))) {
        arca_db_rollback(db, r->pool);
        arca_import_abort(imp);
        return arca_http_error(r, err);
    }
    arca_import_committed(imp);
    answer = arca_stow_answer(stow, &status);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ARCA_LOGNO(10662)
                  "STOW-RS into %s: %d parts, %d stored", q->scope.project, parts->nelts,
                  arca_import_count(imp));
    r->status = status;
    return dw_send_json(r, answer, "application/dicom+json");
}
