/* Stored searches (XNAT's xdat:stored_search): kept as the document, re-written from the
 * parsed search so what is stored is always well-formed and within the limits. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "access/authz.h"
#include "format/row_stream.h"
#include "search/search.h"

/* Who sees a stored search: its owner, site admins, the users it lists, readers of the
 * project it is tagged with, and everyone when it lists no user and no project. $1 is the
 * account, $2 the login, $3 whether the account is a site admin. */
static const char *visible_sql(apr_pool_t *p)
{
    return apr_pstrcat(p, "($3 OR s.owner_id = $1::bigint OR $2 = ANY(s.users) "
                       "OR (s.project IS NOT NULL AND s.project IN (",
                       arca_readable_projects_sql(p, "$1"), ")) "
                       "OR (cardinality(s.users) = 0 AND s.project IS NULL))", NULL);
}

static void fill_who(const arca_account_t *who, const char **params)
{
    params[0] = who ? who->id : NULL;
    params[1] = who ? who->login : "";
    params[2] = arca_is_site_admin(who) ? "true" : "false";
}

arca_error_t *arca_saved_list(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                              arca_resultset_t **out)
{
    const char *params[3];

    fill_who(who, params);
    return arca_query_resultset(db, p, "Stored Searches", apr_pstrcat(p,
        "SELECT s.id, s.brief_description, s.description, s.root AS root_element_name, "
        "coalesce(s.project, '') AS tag, a.login AS owner, "
        "CASE WHEN s.project IS NOT NULL THEN 'project' WHEN cardinality(s.users) = 0 "
        "THEN 'public' ELSE 'users' END AS sharing "
        "FROM arca_saved_search s JOIN arca_account a ON a.id = s.owner_id WHERE ",
        visible_sql(p), " ORDER BY s.id", NULL), 3, params, out);
}

static int valid_id(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > 100)
        return 0;
    for (const char *c = id; *c; c++)
        if (!apr_isalnum(*c) && *c != '_' && *c != '-' && *c != '.')
            return 0;
    return id[0] != '.';
}

static const char *users_array(apr_pool_t *p, const apr_array_header_t *users)
{
    const char *out = "{";
    int first = 1;

    for (int i = 0; users && i < users->nelts; i++) {
        const char *u = APR_ARRAY_IDX(users, i, const char *);
        char *q, *o;
        if (u == NULL || *u == '\0')
            continue;
        q = o = apr_palloc(p, 2 * strlen(u) + 3); /* every character escaped, quotes, NUL */
        *o++ = '"';
        for (; *u; u++) {
            if (*u == '"' || *u == '\\')
                *o++ = '\\';
            *o++ = *u;
        }
        *o++ = '"';
        *o = '\0';
        out = apr_pstrcat(p, out, first ? "" : ",", q, NULL);
        first = 0;
    }
    return apr_pstrcat(p, out, "}", NULL);
}

static arca_error_t *check_compiles(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                                   const arca_search_t *s)
{
    arca_search_types_t *types;
    arca_search_ctx_t ctx;
    arca_search_sql_t *q;
    arca_error_t *err;

    if ((err = arca_search_load_types(db, p, s, &types)))
        return err;
    arca_search_ctx_for(who, types, &ctx);
    return arca_search_compile(p, s, &ctx, &q);
}

arca_error_t *arca_saved_put(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                             const char *id, const arca_search_t *s, int *created)
{
    arca_search_t copy = *s;
    const char *xml, *owner = NULL;
    PGresult *res;
    arca_error_t *err;
    arca_kind_t kind;

    *created = 0;
    if (who == NULL)
        return arca_error_create(p, 401, "log in to store a search");
    if (!valid_id(id))
        return arca_error_create(p, 400, "stored search ID '%s': letters, digits, '_', '-' "
                                 "and '.', up to 100", arca_search_quote(p, id));
    if (!arca_search_element_kind(s->root, &kind))
        return arca_error_create(p, 400, "root_element_name: '%s' is not a searchable type",
                                 arca_search_quote(p, s->root));
    if (s->project) {
        int allowed, visible;
        if ((err = arca_can_project(db, p, who, s->project, ARCA_READ, &allowed, &visible)))
            return err;
        if (!allowed)
            return arca_error_create(p, visible ? 403 : 404, "project '%s': %s",
                                     arca_search_quote(p, s->project),
                                     visible ? "you may not read it, so you cannot share "
                                     "searches with it" : "no such project");
    }
    /* compiled as it will run, so that a field or value it would refuse then is refused
     * now, before anything is stored */
    if ((err = check_compiles(db, p, who, s)))
        return err;
    if ((err = arca_db_query(db, p, &res, "SELECT owner_id FROM arca_saved_search WHERE id = "
                             "$1", 1, &id)))
        return err;
    if (PQntuples(res) > 0) {
        owner = PQgetvalue(res, 0, 0);
        if (strcmp(owner, who->id) != 0 && !arca_is_site_admin(who))
            return arca_error_create(p, 403, "stored search '%s' belongs to someone else",
                                     id);
    }
    copy.id = id;
    if (copy.brief_description == NULL || *copy.brief_description == '\0')
        copy.brief_description = id;
    if ((err = arca_search_to_xml(p, &copy, &xml)))
        return err;
    err = arca_db_query(db, p, NULL,
        "INSERT INTO arca_saved_search (id, owner_id, brief_description, description, root, "
        "project, users, document) VALUES ($1, $2::bigint, $3, $4, $5, $6, $7::text[], $8) "
        "ON CONFLICT (id) DO UPDATE SET brief_description = EXCLUDED.brief_description, "
        "description = EXCLUDED.description, root = EXCLUDED.root, project = EXCLUDED.project, "
        "users = EXCLUDED.users, document = EXCLUDED.document, updated_at = now()", 8,
        (const char *const[]){id, owner ? owner : who->id, copy.brief_description,
                              copy.description ? copy.description : "", copy.root,
                              copy.project, users_array(p, copy.users), xml});
    *created = owner == NULL;
    return err;
}

arca_error_t *arca_saved_get(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                             const char *id, arca_search_t **s, const char **xml)
{
    const char *params[4];
    PGresult *res;
    arca_error_t *err;

    fill_who(who, params);
    params[3] = id;
    err = arca_db_query(db, p, &res, apr_pstrcat(p,
        "SELECT s.document FROM arca_saved_search s WHERE s.id = $4 AND ", visible_sql(p),
        NULL), 4, params);
    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "no stored search '%s'", arca_search_quote(p, id));
    *xml = PQgetvalue(res, 0, 0);
    return s ? arca_search_parse_xml(p, *xml, strlen(*xml), s) : ARCA_OK;
}

arca_error_t *arca_saved_delete(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                                const char *id)
{
    PGresult *res;
    const char *xml;
    arca_error_t *err;

    if ((err = arca_saved_get(db, p, who, id, NULL, &xml)))
        return err;
    err = arca_db_query(db, p, &res, "DELETE FROM arca_saved_search WHERE id = $1 AND "
                        "(owner_id = $2::bigint OR $3) RETURNING 1", 3,
                        (const char *const[]){id, who ? who->id : NULL,
                                              arca_is_site_admin(who) ? "true" : "false"});
    if (!err && PQntuples(res) == 0)
        return arca_error_create(p, 403, "stored search '%s' belongs to someone else",
                                 arca_search_quote(p, id));
    return err;
}
