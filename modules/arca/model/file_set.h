/* Which resources a files listing or zip covers: a resource's, everything under an object,
 * or a set of a session's scans (.../scans/ALL/files, .../scans/1,2,5/resources/DICOM/files)
 * and of resources by label (.../resources/DICOM,NIFTI/files). */
#ifndef ARCA_FILE_SET_H
#define ARCA_FILE_SET_H

#include "model/locate.h"

/* Adds `value` as a parameter of the statement being built; returns its placeholder. */
typedef const char *(*arca_sql_param_fn)(void *baton, const char *value);

/* SQL selecting the pk of each resource whose files the files list `loc` covers. */
const char *arca_file_set_sql(apr_pool_t *p, const arca_location_t *loc,
                              arca_sql_param_fn param, void *baton);

#endif
