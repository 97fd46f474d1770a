/* Lookups of single objects (see lookup.h). */
#include "model/lookup.h"

arca_error_t *arca_subject_in_project(arca_db_t *db, apr_pool_t *p, const char *project,
                                      const char *name, const char **id, const char **label,
                                      const char **primary_project)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "SELECT l.subject_id, l.label, s.project FROM arca_subject_label l "
        "JOIN arca_subject s ON s.id = l.subject_id "
        "WHERE l.project = $1 AND (l.label = $2 OR l.subject_id = $2) "
        "ORDER BY (l.label = $2) DESC LIMIT 1", 2, (const char *const[]){project, name});

    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "no subject '%s' in project '%s'", name, project);
    if (id)
        *id = PQgetvalue(res, 0, 0);
    if (label)
        *label = PQgetvalue(res, 0, 1);
    if (primary_project)
        *primary_project = PQgetvalue(res, 0, 2);
    return ARCA_OK;
}

arca_error_t *arca_experiment_xsi_type(arca_db_t *db, apr_pool_t *p, const char *id,
                                       const char **xsi_type)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT xsi_type FROM arca_experiment "
                                      "WHERE id = $1", 1, &id);

    if (!err)
        *xsi_type = PQntuples(res) ? PQgetvalue(res, 0, 0) : NULL;
    return err;
}
