/* Project groups and accessibility, in PostgreSQL. */
#include <string.h>

#include <apr_strings.h>

#include "access/membership.h"
#include "format/row_stream.h"

arca_error_t *arca_project_users(arca_db_t *db, apr_pool_t *p, const char *project,
                                 arca_resultset_t **out)
{
    return arca_query_resultset(db, p, "Users",
        "SELECT m.project || '_' || m.role AS \"GROUP_ID\", CASE m.role WHEN 'owner' THEN "
        "'Owners' WHEN 'member' THEN 'Members' ELSE 'Collaborators' END AS displayname, "
        "a.login, a.firstname, a.lastname, a.email, a.id::text AS xdat_user_id "
        "FROM arca_project_member m JOIN arca_account a ON a.id = m.account_id "
        "WHERE m.project = $1 ORDER BY array_position(ARRAY['owner','member','collaborator'], "
        "m.role), a.login", 1, &project, out);
}

arca_error_t *arca_account_projects(arca_db_t *db, apr_pool_t *p, const char *login,
                                    arca_resultset_t **out)
{
    return arca_query_resultset(db, p, "Projects",
        "SELECT m.project, p.name, CASE m.role WHEN 'owner' THEN 'Owners' WHEN 'member' "
        "THEN 'Members' ELSE 'Collaborators' END AS \"group\" "
        "FROM arca_project_member m JOIN arca_account a ON a.id = m.account_id "
        "JOIN arca_project p ON p.id = m.project WHERE a.login = $1 ORDER BY m.project",
        1, &login, out);
}

arca_error_t *arca_project_user_set(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char *login, const char *role)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "INSERT INTO arca_project_member (project, account_id, role) "
        "SELECT $1, id, $3 FROM arca_account WHERE login = $2 "
        "ON CONFLICT (project, account_id) DO UPDATE SET role = EXCLUDED.role RETURNING 1", 3,
        (const char *const[]){project, login, role});

    if (!err && PQntuples(res) == 0)
        return arca_error_create(p, 404, "no user '%s'", login);
    return err;
}

arca_error_t *arca_project_user_remove(arca_db_t *db, apr_pool_t *p, const char *project,
                                       const char *login, const char *role)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "DELETE FROM arca_project_member m USING arca_account a WHERE a.id = m.account_id "
        "AND m.project = $1 AND a.login = $2 AND m.role = $3 RETURNING 1", 3,
        (const char *const[]){project, login, role});

    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "'%s' is not in that group of project '%s'", login,
                                 project);
    if (strcmp(role, "owner") == 0) {
        if ((err = arca_db_query(db, p, &res, "SELECT 1 FROM arca_project_member WHERE "
                                 "project = $1 AND role = 'owner' LIMIT 1", 1, &project)))
            return err;
        if (PQntuples(res) == 0)
            return arca_error_create(p, 409, "project '%s' would have no owner left", project);
    }
    return ARCA_OK;
}

arca_error_t *arca_project_accessibility(arca_db_t *db, apr_pool_t *p, const char *project,
                                         const char **level)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT accessibility FROM arca_project "
                                      "WHERE id = $1", 1, &project);

    if (!err && PQntuples(res) == 0)
        return arca_error_create(p, 404, "no project '%s'", project);
    if (!err)
        *level = PQgetvalue(res, 0, 0);
    return err;
}

arca_error_t *arca_project_set_accessibility(arca_db_t *db, apr_pool_t *p, const char *project,
                                             const char *level)
{
    if (strcmp(level, "private") && strcmp(level, "protected") && strcmp(level, "public"))
        return arca_error_create(p, 400, "accessibility '%s': use private, protected or public",
                                 level);
    return arca_db_query(db, p, NULL, "UPDATE arca_project SET accessibility = $2 WHERE id = $1",
                         2, (const char *const[]){project, level});
}
