/* Single facts about objects, looked up by name or key: what a request names outside its
 * path (a subject given as a parameter), or needs besides what the path resolved. */
#ifndef ARCA_LOOKUP_H
#define ARCA_LOOKUP_H

#include "db/db.h"

/* A subject of `project` named by its label there (primary or shared) or by its accession
 * ID; a label wins over an ID. Any of the outputs may be NULL: the subject's ID, its label
 * in `project`, its primary project. 404 when there is none. */
arca_error_t *arca_subject_in_project(arca_db_t *db, apr_pool_t *p, const char *project,
                                      const char *name, const char **id, const char **label,
                                      const char **primary_project);

/* The xsi:type of an experiment (xnat:ctSessionData...); NULL when there is no such
 * experiment. */
arca_error_t *arca_experiment_xsi_type(arca_db_t *db, apr_pool_t *p, const char *id,
                                       const char **xsi_type);

#endif
