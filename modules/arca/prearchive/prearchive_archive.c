/* Archiving a prearchived session: its files go through the import path into the archive
 * (they were de-identified when received, so no script runs again), the row goes in the
 * same transaction, and the folder after the commit. */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "store/filestore.h"
#include "import/import.h"
#include "prearchive/prearchive_internal.h"

static arca_error_t *import_all(arca_db_t *db, apr_pool_t *p, arca_prearc_t *s,
                                arca_import_t *imp)
{
    const apr_array_header_t *rejected;
    arca_error_t *err;

    if ((err = arca_import_tree(imp, s->dir)) || (err = arca_import_finish(imp)))
        return err;
    /* every file must arrive: the folder goes afterwards */
    rejected = arca_import_rejected(imp);
    if (rejected->nelts > 0)
        return arca_error_create(p, 500, "%d file(s) of the session could not be archived",
                                 rejected->nelts);
    if (arca_import_count(imp) == 0)
        return arca_error_create(p, 400, "the session holds no DICOM file");
    return arca_db_query(db, p, NULL, "DELETE FROM arca_prearchive WHERE id = $1::bigint", 1,
                         &s->id);
}

static arca_error_t *check_names(apr_pool_t *p, const arca_import_options_t *o)
{
    if (strcmp(o->project, ARCA_UNASSIGNED) == 0)
        return arca_error_create(p, 400, "say which project to archive into: project=");
    if (o->subject == NULL || *o->subject == '\0')
        return arca_error_create(p, 400, "say which subject: subject=");
    if (!arca_valid_label(o->subject))
        return arca_error_create(p, 400, "subject '%s': use 1-64 letters, digits, '_', '-' "
                                 "or '.'", o->subject);
    if (!arca_valid_label(o->session))
        return arca_error_create(p, 400, "label '%s': use 1-64 letters, digits, '_', '-' "
                                 "or '.'", o->session);
    return ARCA_OK;
}

arca_error_t *arca_prearchive_archive(arca_db_t *db, apr_pool_t *p, arca_prearc_t *s,
                                      const arca_prearchive_target_t *t, const char **uri)
{
    arca_import_options_t o;
    arca_import_t *imp = NULL;
    const char *status, *message;
    arca_error_t *err;

    memset(&o, 0, sizeof o);
    o.mode = ARCA_IMPORT_FROM_PREARCHIVE;
    o.site_id = t->site_id;
    o.archive = t->archive;
    o.user = t->user ? t->user : "";
    o.project = t->project ? t->project : s->project;
    o.subject = t->subject ? t->subject : *s->subject ? s->subject : NULL;
    o.session = t->label ? t->label : s->folder;
    o.overwrite = t->overwrite;
    /* the project's Basic Profile and script ran when the data was received for it; data
     * received for no project or another one gets them now, before anything reaches the
     * archive */
    o.deidentified_for = s->deidentified_for;
    if ((err = check_names(p, &o)) || (err = arca_prearchive_project_exists(db, p, o.project))
        || (err = arca_prearchive_claim(db, p, s, "ARCHIVING", "{READY,CONFLICT,ERROR}")))
        return err;
    if ((err = arca_prearchive_judge(db, p, o.project, o.session, &status, &message)))
        goto failed;
    if (strcmp(status, "CONFLICT") == 0 && t->overwrite == ARCA_OVERWRITE_NONE) {
        (void)arca_prearchive_set_status(db, p, s, status, message);
        return arca_error_create(p, 409, "%s", message);
    }
    if ((err = arca_import_begin(db, p, &o, &imp)) || (err = arca_db_begin(db, p)))
        goto failed;
    if ((err = import_all(db, p, s, imp)) || (err = arca_db_commit(db, p))) {
        arca_db_rollback(db, p);
        arca_import_abort(imp);
        goto failed;
    }
    arca_import_committed(imp);
    (void)arca_remove_tree(p, s->dir);
    /* and its timestamp folder, when that was its last session */
    apr_dir_remove(apr_pstrndup(p, s->dir, (apr_size_t)(strrchr(s->dir, '/') - s->dir)), p);
    *uri = APR_ARRAY_IDX(arca_import_sessions(imp), 0, const char *);
    return ARCA_OK;
failed:
    /* the session stays, with the reason (the status may fail too if the database went) */
    (void)arca_prearchive_set_status(db, p, s, "ERROR", err->message);
    return err;
}
