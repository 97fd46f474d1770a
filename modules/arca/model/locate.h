/* Resolves an XNAT REST path (the segments after /data) to the objects it names:
 *   projects[/P[/subjects[/S[/experiments[/E...]]]]]   projects/P/experiments/E
 *   subjects/ID   experiments/ID   .../scans/N   .../resources/R   .../files/path/in/it
 *   .../reconstructions/X[/out/resources/R...]  (also X/resources/R: the same resources)
 *   .../subjects/S/projects/OTHER  (the share of a subject or experiment in OTHER)
 *   .../scans/ALL/files   .../scans/1,2/resources/DICOM,NIFTI/files  (sets: files lists)
 *   .../subjects/S/projects        (the projects a subject or experiment is in)
 * A project is named by its ID or an alias (project_alias.h); the location holds the ID.
 * Every object on the way must exist (404 naming the first that does not), except the
 * last, which a PUT may be about to create, and the subject of projects/P/subjects/S/
 * experiments/E, which a PUT of the experiment creates with it (subject_missing). */
#ifndef ARCA_LOCATE_H
#define ARCA_LOCATE_H

#include "db/db.h"
#include "model/model.h"

typedef struct arca_location_t {
    arca_kind_t kind;         /* what the path addresses (or lists) */
    int is_list;              /* ".../subjects" rather than ".../subjects/S1" */
    int exists;               /* the addressed item exists (always 1 for lists) */
    const char *name;         /* the last segment as given (label, ID, file path) */

    const char *project;      /* the project the path goes through, if any */
    const char *subject_id;   /* resolved accession IDs and labels along the path */
    const char *subject_label;
    const char *subject_project; /* primary project of the subject */
    const char *experiment_id;
    const char *experiment_label;
    const char *experiment_project; /* primary project of the experiment */
    const char *session_id;   /* assessors: the session they assess (.../assessors/A) */
    const char *scan_pk;
    const char *scan_id;
    const char *recon_pk;     /* .../reconstructions/R */
    const char *recon_id;
    const char *resource_pk;  /* NULL under a resource a file upload will create */
    const char *resource_label;
    const char *resource_dir;
    arca_kind_t owner;        /* resources and files: the kind they hang on */
    const char *file_path;    /* files: the path inside the resource */
    const char *scan_set;     /* ".../scans/ALL/..." or ".../scans/1,2,5/...": "ALL" or the
                               * scan IDs, comma-separated (files lists only) */
    const char *resource_set; /* ".../resources/DICOM,NIFTI/files", or any label below a
                               * scan set: the labels, comma-separated */

    const char *share_project; /* ".../projects/OTHER" under a subject or experiment */
    int projects_of;          /* ".../projects" under a subject or experiment: the projects
                                 it is in (kind PROJECT, a list; projects_kind says whose) */
    arca_kind_t projects_kind;
    int subject_missing;      /* ".../subjects/S/experiments/E" with no subject S in the
                                 project: a PUT creates both (subject_label is S) */
    arca_kind_t top_kind;     /* what the path starts with: projects, subjects, experiments */
    const char *top_name;     /* the segment after it, as given (a project's alias stays an
                                 alias), for answers that must not tell found from hidden */
} arca_location_t;

arca_error_t *arca_locate(arca_db_t *db, apr_pool_t *p, const char *const *seg, int n,
                          arca_location_t *loc);

#endif
