/* Redacted request lines and URIs: see log_redact.h. */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "log_redact.h"

#define MASK "***"
#define NOTE_PATH "arca-path-as-sent"

/* Where the secret segment of a token validation path starts, or NULL. */
static const char *token_secret(const char *path, const char *end)
{
    static const char marker[] = "/services/tokens/validate/";
    const char *at = strstr(path, marker), *slash;

    if (at == NULL || at >= end)
        return NULL;
    at += sizeof marker - 1;
    slash = memchr(at, '/', (size_t)(end - at)); /* after the alias */
    return slash && slash + 1 < end ? slash + 1 : NULL;
}

static int secret_key(const char *key, size_t n)
{
    static const char *const keys[] = {"password", "j_password", "secret", NULL};

    for (int i = 0; keys[i]; i++)
        if (strlen(keys[i]) == n && strncasecmp(key, keys[i], n) == 0)
            return 1;
    return 0;
}

char *arca_redact_target(apr_pool_t *p, const char *target)
{
    const char *query = strchr(target, '?');
    const char *path_end = query ? query : target + strlen(target);
    const char *secret = token_secret(target, path_end), *from = target;
    char *out = "";
    int changed = 0;

    if (secret) {
        const char *after = memchr(secret, '/', (size_t)(path_end - secret));
        out = apr_pstrcat(p, apr_pstrmemdup(p, target, (apr_size_t)(secret - target)), MASK,
                          NULL);
        from = after ? after : path_end;
        changed = 1;
    }
    if (query == NULL)
        return changed ? apr_pstrcat(p, out, from, NULL) : NULL;
    out = apr_pstrcat(p, out, apr_pstrmemdup(p, from, (apr_size_t)(query + 1 - from)), NULL);
    for (const char *piece = query + 1; *piece;) {
        size_t len = strcspn(piece, "&;");
        const char *eq = memchr(piece, '=', len);
        if (eq && secret_key(piece, (size_t)(eq - piece))) {
            out = apr_pstrcat(p, out, apr_pstrmemdup(p, piece, (apr_size_t)(eq + 1 - piece)),
                              MASK, NULL);
            changed = 1;
        } else {
            out = apr_pstrcat(p, out, apr_pstrmemdup(p, piece, len), NULL);
        }
        piece += len;
        if (*piece) {
            out = apr_pstrcat(p, out, apr_pstrmemdup(p, piece, 1), NULL);
            piece++;
        }
    }
    return changed ? out : NULL;
}

int arca_redact_request(request_rec *r)
{
    const char *line = r->the_request, *sp1, *sp2;
    char *red;

    if (r->uri && (red = arca_redact_target(r->pool, r->uri))) {
        apr_table_setn(r->notes, NOTE_PATH, r->uri);
        r->uri = red;
    }
    /* "METHOD target PROTOCOL" (or "METHOD target" in HTTP/0.9) */
    if (line == NULL || (sp1 = strchr(line, ' ')) == NULL)
        return DECLINED;
    sp2 = strrchr(sp1 + 1, ' ');
    {
        const char *end = sp2 ? sp2 : sp1 + 1 + strlen(sp1 + 1);
        char *target = apr_pstrmemdup(r->pool, sp1 + 1, (apr_size_t)(end - sp1 - 1));
        if ((red = arca_redact_target(r->pool, target)))
            r->the_request = apr_pstrcat(r->pool,
                                         apr_pstrmemdup(r->pool, line,
                                                        (apr_size_t)(sp1 + 1 - line)),
                                         red, end, NULL);
    }
    return DECLINED;
}

const char *arca_request_path(request_rec *r)
{
    const char *sent = apr_table_get(r->notes, NOTE_PATH);

    return sent ? sent : r->uri;
}
