/* The prearchive's sessions: finding, listing, statuses, rebuilding, moving, deleting (see
 * prearchive.h; archiving is prearchive_archive.c). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "access/authz.h"
#include "store/filestore.h"
#include "dicom/dicom_values.h"
#include "prearchive/prearchive_internal.h"

/* XNAT's prearchive table, and why a session is in ERROR or CONFLICT (`message`). */
static const char list_sql[] =
    "SELECT p.project, p.timestamp, to_char(p.lastmod, 'YYYY-MM-DD HH24:MI:SS.MS') AS "
    "lastmod, to_char(p.uploaded, 'YYYY-MM-DD HH24:MI:SS.MS') AS uploaded, "
    "coalesce(p.scan_date::text, '') AS scan_date, '' AS scan_time, p.subject, "
    "p.folder AS \"folderName\", p.folder AS name, '' AS tag, p.status, "
    "'/prearchive/projects/' || p.project || '/' || p.timestamp || '/' || p.folder AS url, "
    "CASE WHEN pr.prearchive_code IN (4, 5) THEN 'true' ELSE 'false' END AS autoarchive, "
    "'false' AS prevent_anon, 'false' AS prevent_auto_commit, "
    "'' AS \"SOURCE\", '' AS \"VISIT\", '' AS \"PROTOCOL\", '' AS \"TIMEZONE\", p.message "
    "FROM arca_prearchive p LEFT JOIN arca_project pr ON pr.id = p.project ";

static const char *const statuses[] = {"RECEIVING", "BUILDING", "READY", "ARCHIVING", "MOVING",
                                       "DELETING", "CONFLICT", "ERROR", NULL};

arca_error_t *arca_prearchive_parse_src(apr_pool_t *p, const char *src, const char **project,
                                        const char **timestamp, const char **folder)
{
    const char *parts[6] = {NULL};
    char *copy, *state = NULL;
    int n = 0;

    if (src && strncmp(src, "/data/", 6) == 0)
        src += 5;
    copy = apr_pstrdup(p, src ? src : "");
    for (char *t = apr_strtok(copy, "/", &state); t && n < 6; t = apr_strtok(NULL, "/", &state))
        parts[n++] = t;
    if (src == NULL || *src != '/' || n != 5 || strcmp(parts[0], "prearchive")
        || strcmp(parts[1], "projects") || !arca_valid_label(parts[2])
        || !arca_valid_label(parts[3]) || !arca_valid_label(parts[4]))
        return arca_error_create(p, 400, "src: give /prearchive/projects/{project}/"
                                 "{timestamp}/{session}");
    *project = parts[2];
    *timestamp = parts[3];
    *folder = parts[4];
    return ARCA_OK;
}

static const char *folder_of(apr_pool_t *p, const char *root, const char *project,
                             const char *timestamp, const char *folder)
{
    return apr_pstrcat(p, root, "/", project, "/", timestamp, "/", folder, NULL);
}

arca_error_t *arca_prearchive_find(arca_db_t *db, apr_pool_t *p, const char *root,
                                   const char *project, const char *timestamp,
                                   const char *folder, arca_prearc_t **out)
{
    arca_prearc_t *s;
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "SELECT id, subject, study_uid, modality, coalesce(scan_date::text, ''), status, "
        "message, deidentified_for FROM arca_prearchive WHERE project = $1 AND timestamp = $2 "
        "AND folder = $3",
        3, (const char *const[]){project, timestamp, folder});

    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "Not Found: no prearchived session %s/%s/%s",
                                 project, timestamp, folder);
    s = apr_pcalloc(p, sizeof *s);
    s->id = PQgetvalue(res, 0, 0);
    s->project = apr_pstrdup(p, project);
    s->timestamp = apr_pstrdup(p, timestamp);
    s->folder = apr_pstrdup(p, folder);
    s->subject = PQgetvalue(res, 0, 1);
    s->study_uid = PQgetvalue(res, 0, 2);
    s->modality = PQgetvalue(res, 0, 3);
    s->scan_date = PQgetvalue(res, 0, 4);
    s->status = PQgetvalue(res, 0, 5);
    s->message = PQgetvalue(res, 0, 6);
    s->deidentified_for = PQgetisnull(res, 0, 7) ? NULL : PQgetvalue(res, 0, 7);
    s->dir = folder_of(p, root, project, timestamp, folder);
    *out = s;
    return ARCA_OK;
}

arca_error_t *arca_prearchive_list(arca_db_t *db, apr_pool_t *p, const char *project,
                                   const arca_account_t *who, PGresult **res)
{
    /* a disabled account's roles count for nothing: no account to match them by */
    const char *member = who && !arca_is_disabled(who) ? who->id : NULL;

    return arca_db_query(db, p, res, apr_pstrcat(p, list_sql,
        "WHERE ($1::text IS NULL OR p.project = $1) AND ($3 OR ($4 AND p.project <> "
        "'" ARCA_UNASSIGNED "') OR p.project IN (", arca_editable_projects_sql(p, "$2"),
        ")) ORDER BY p.uploaded, p.folder", NULL), 4,
        (const char *const[]){project, member, arca_is_site_admin(who) ? "t" : "f",
                              arca_edits_all(who) ? "t" : "f"});
}

arca_error_t *arca_prearchive_rows(arca_db_t *db, apr_pool_t *p,
                                   const apr_array_header_t *ids, PGresult **res)
{
    const char *list = "{";

    for (int i = 0; i < ids->nelts; i++)
        list = apr_pstrcat(p, list, i ? "," : "", APR_ARRAY_IDX(ids, i, const char *), NULL);
    return arca_db_query(db, p, res, apr_pstrcat(p, list_sql, "WHERE p.id = ANY ($1::bigint[]) "
                         "ORDER BY p.uploaded, p.folder", NULL), 1,
                         (const char *const[]){apr_pstrcat(p, list, "}", NULL)});
}

static int known_status(const char *status)
{
    for (int i = 0; statuses[i]; i++)
        if (strcmp(statuses[i], status) == 0)
            return 1;
    return 0;
}

arca_error_t *arca_prearchive_set_status(arca_db_t *db, apr_pool_t *p, arca_prearc_t *s,
                                         const char *status, const char *message)
{
    arca_error_t *err;

    if (status == NULL || !known_status(status))
        return arca_error_create(p, 400, "status: use READY, RECEIVING, BUILDING, ARCHIVING, "
                                 "MOVING, DELETING, CONFLICT or ERROR");
    err = arca_db_query(db, p, NULL, "UPDATE arca_prearchive SET status = $2, message = $3 "
                        "WHERE id = $1::bigint", 3,
                        (const char *const[]){s->id, status, message ? message : ""});
    if (!err) {
        s->status = apr_pstrdup(p, status);
        s->message = apr_pstrdup(p, message ? message : "");
    }
    return err;
}

arca_error_t *arca_prearchive_claim(arca_db_t *db, apr_pool_t *p, arca_prearc_t *s,
                                    const char *to, const char *from)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res,
        "UPDATE arca_prearchive SET status = $2, message = '' WHERE id = $1::bigint AND "
        "status = ANY ($3::text[]) RETURNING id", 3, (const char *const[]){s->id, to, from});

    if (err)
        return err;
    if (PQntuples(res) == 1) {
        s->status = to;
        return ARCA_OK;
    }
    err = arca_db_query(db, p, &res, "SELECT status FROM arca_prearchive WHERE id = $1::bigint",
                        1, &s->id);
    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "Not Found: the session left the prearchive");
    return arca_error_create(p, 409, "the session is %s: wait for that to end, or "
                             "action=reset-status", PQgetvalue(res, 0, 0));
}

arca_error_t *arca_prearchive_judge(arca_db_t *db, apr_pool_t *p, const char *project,
                                    const char *label, const char **status,
                                    const char **message)
{
    PGresult *res;
    arca_error_t *err;

    *status = "READY";
    *message = "";
    if (strcmp(project, ARCA_UNASSIGNED) == 0)
        return ARCA_OK;
    err = arca_db_query(db, p, &res, "SELECT 1 FROM arca_experiment_label WHERE project = $1 "
                        "AND label = $2", 2, (const char *const[]){project, label});
    if (err || PQntuples(res) == 0)
        return err;
    *status = "CONFLICT";
    *message = apr_psprintf(p, "project %s already has a session %s: archive with "
                            "overwrite=append to add to it, or give another label", project,
                            label);
    return ARCA_OK;
}



/* "Subject: S" in comments, as a label (it becomes a directory name) */
static const char *routing_subject(apr_pool_t *p, const char *comments)
{
    const char *v = arca_label_from(p, arca_dicom_comment_field(p, comments, "Subject:"));

    return v && arca_valid_label(v) ? v : NULL;
}

arca_error_t *arca_prearchive_rebuild(arca_db_t *db, apr_pool_t *p, arca_prearc_t *s)
{
    apr_array_header_t *scans = NULL;
    const arca_prearc_scan_t *first = NULL;
    const char *subject = s->subject, *status, *message;
    arca_error_t *err = arca_prearchive_scans(p, s, &scans);

    if (err && err->status != 404)
        return err;
    for (int i = 0; !err && i < scans->nelts && !first; i++)
        if (APR_ARRAY_IDX(scans, i, arca_prearc_scan_t *)->modality)
            first = APR_ARRAY_IDX(scans, i, arca_prearc_scan_t *);
    if (first == NULL)
        return arca_prearchive_set_status(db, p, s, "ERROR", err ? "the session's folder is "
                                          "gone" : "the session holds no readable DICOM file");
    if (*subject == '\0') {
        subject = routing_subject(p, first->patient_comments);
        if (subject == NULL)
            subject = routing_subject(p, first->study_comments);
        if (subject == NULL)
            subject = "";
    }
    if ((err = arca_prearchive_judge(db, p, s->project, s->folder, &status, &message)))
        return err;
    err = arca_db_query(db, p, NULL,
        "UPDATE arca_prearchive SET subject = $2, study_uid = coalesce($3, study_uid), "
        "modality = $4, scan_date = $5::date, status = $6, message = $7, lastmod = now() "
        "WHERE id = $1::bigint", 7,
        (const char *const[]){s->id, subject, first->study_uid, first->modality,
                              arca_dicom_sql_date(p, first->study_date), status, message});
    if (err)
        return err;
    s->subject = subject;
    s->modality = first->modality;
    s->status = status;
    s->message = message;
    return ARCA_OK;
}

/* The timestamp folder goes when its last session went. */
static void remove_empty_parent(apr_pool_t *p, const char *root, const arca_prearc_t *s)
{
    apr_dir_remove(apr_pstrcat(p, root, "/", s->project, "/", s->timestamp, NULL), p);
}

arca_error_t *arca_prearchive_project_exists(arca_db_t *db, apr_pool_t *p,
                                             const char *project)
{
    PGresult *res;
    arca_error_t *err;

    if (strcmp(project, ARCA_UNASSIGNED) == 0)
        return ARCA_OK;
    err = arca_db_query(db, p, &res, "SELECT 1 FROM arca_project WHERE id = $1", 1, &project);
    if (err || PQntuples(res) == 1)
        return err;
    return arca_error_create(p, 404, "Not Found: no project '%s'", project);
}

/* The row changes project and the folder is renamed, in one transaction: the rename is
 * the last step before the commit, and undone if the commit fails. */
static arca_error_t *move_within(arca_db_t *db, apr_pool_t *p, const char *root,
                                 arca_prearc_t *s, const char *project, const char *status,
                                 const char *message)
{
    const char *to = folder_of(p, root, project, s->timestamp, s->folder);
    apr_finfo_t fi;
    arca_error_t *err;

    if ((err = arca_db_begin(db, p)))
        return err;
    err = arca_db_query(db, p, NULL, "UPDATE arca_prearchive SET project = $2, status = $3, "
                        "message = $4, lastmod = now() WHERE id = $1::bigint", 4,
                        (const char *const[]){s->id, project, status, message});
    if (err && err->status == 409)
        err = arca_error_create(p, 409, "project %s already holds a prearchived session "
                                "%s/%s", project, s->timestamp, s->folder);
    if (!err)
        err = arca_mkdirs(p, apr_pstrcat(p, root, "/", project, "/", s->timestamp, NULL));
    if (!err && apr_stat(&fi, to, APR_FINFO_TYPE, p) == APR_SUCCESS)
        err = arca_error_create(p, 409, "project %s already holds a folder %s/%s", project,
                                s->timestamp, s->folder);
    if (!err && apr_file_rename(s->dir, to, p) != APR_SUCCESS)
        err = arca_error_create(p, 500, "cannot move the session's folder");
    if (err) {
        arca_db_rollback(db, p);
        return err;
    }
    if ((err = arca_db_commit(db, p))) {
        apr_file_rename(to, s->dir, p);
        return err;
    }
    remove_empty_parent(p, root, s);
    s->project = project;
    s->dir = to;
    s->status = status;
    s->message = message;
    return ARCA_OK;
}

arca_error_t *arca_prearchive_move(arca_db_t *db, apr_pool_t *p, const char *root,
                                   arca_prearc_t *s, const char *project)
{
    const char *before = s->status, *before_message = s->message, *status, *message;
    arca_error_t *err;

    if (!arca_valid_label(project))
        return arca_error_create(p, 400, "newProject: give a project ID");
    if (strcmp(project, s->project) == 0)
        return ARCA_OK;
    if ((err = arca_prearchive_project_exists(db, p, project))
        || (err = arca_prearchive_claim(db, p, s, "MOVING", "{READY,CONFLICT,ERROR}")))
        return err;
    err = arca_prearchive_judge(db, p, project, s->folder, &status, &message);
    if (!err)
        err = move_within(db, p, root, s, project, status, message);
    if (err) /* where it was, as it was */
        (void)arca_prearchive_set_status(db, p, s, before, before_message);
    return err;
}

arca_error_t *arca_prearchive_delete(arca_db_t *db, apr_pool_t *p, const char *root,
                                     arca_prearc_t *s)
{
    arca_error_t *err = arca_prearchive_claim(db, p, s, "DELETING",
                                              "{READY,CONFLICT,ERROR,RECEIVING}");

    if (err || (err = arca_db_query(db, p, NULL, "DELETE FROM arca_prearchive WHERE id = "
                                    "$1::bigint", 1, &s->id)))
        return err;
    /* the row is gone, so the session is; files a failed removal leaves are unreachable */
    (void)arca_remove_tree(p, s->dir);
    remove_empty_parent(p, root, s);
    return ARCA_OK;
}

arca_error_t *arca_prearchive_code_get(arca_db_t *db, apr_pool_t *p, const char *project,
                                       int *code)
{
    PGresult *res;
    arca_error_t *err = arca_db_query(db, p, &res, "SELECT prearchive_code FROM arca_project "
                                      "WHERE id = $1", 1, &project);

    if (err)
        return err;
    if (PQntuples(res) == 0)
        return arca_error_create(p, 404, "Not Found: no project '%s'", project);
    *code = atoi(PQgetvalue(res, 0, 0));
    return ARCA_OK;
}

arca_error_t *arca_prearchive_code_set(arca_db_t *db, apr_pool_t *p, const char *project,
                                       int code)
{
    PGresult *res;
    arca_error_t *err;

    if (code != 0 && code != 4 && code != 5)
        return arca_error_create(p, 400, "prearchive_code: use 0 (keep in the prearchive), "
                                 "4 (archive when complete) or 5 (archive, overwriting)");
    err = arca_db_query(db, p, &res, "UPDATE arca_project SET prearchive_code = $2::integer "
                        "WHERE id = $1 RETURNING id", 2,
                        (const char *const[]){project, apr_itoa(p, code)});
    if (err || PQntuples(res) == 1)
        return err;
    return arca_error_create(p, 404, "Not Found: no project '%s'", project);
}
