/* Audit records. */
#include <apr_strings.h>

#include "access/audit.h"
#include "format/row_stream.h"

arca_error_t *arca_audit(arca_db_t *db, apr_pool_t *p, const char *actor, const char *action,
                         const char *object, const char *detail, const char *remote)
{
    const char *params[5] = {actor ? actor : "", action, object ? object : "",
                             detail ? detail : "", remote ? remote : ""};

    return arca_db_query(db, p, NULL, "INSERT INTO arca_audit (actor, action, object, "
                         "detail, remote) VALUES ($1, $2, $3, $4, $5)", 5, params);
}

arca_error_t *arca_audit_list(arca_db_t *db, apr_pool_t *p, const char *action, long limit,
                              arca_resultset_t **out)
{
    /* ORDER BY names the table's column: a bare "id" is the text output column, which
     * sorts "99" before "361" */
    return arca_query_resultset(db, p, "Audit",
        "SELECT id::text AS id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
        "AS at, actor, action, object, detail, remote FROM arca_audit "
        "WHERE ($1::text IS NULL OR action = $1) ORDER BY arca_audit.id DESC "
        "LIMIT $2::bigint", 2,
        (const char *const[]){action, apr_ltoa(p, limit)}, out);
}
