/* C-FIND and the look-up of C-MOVE/C-GET over the archive, as parameterised SQL. The
 * levels map onto the data model: PATIENT = subject (Patient ID and Name are its label, as
 * de-identification wrote it), STUDY = experiment (Study Instance UID, date, time, its ID
 * as Accession Number, its label as Study ID), SERIES = scan, IMAGE = a file of a scan's
 * DICOM resource (named by its SOP Instance UID). Only what `who` may read is matched:
 * the experiment (or subject) through any project it is in, primary or shared into
 * (authz.c's rules); the labels answered are those of its primary project.
 * Matching: single values, '\'-separated UID lists, '*' and '?' wildcards, date and time
 * ranges ("A-B", "A-", "-B"); names match case-insensitively. */
#ifndef ARCA_DICOM_QUERY_H
#define ARCA_DICOM_QUERY_H

#include <apr_tables.h>

#include "access/account.h"
#include "db/db.h"
#include "dicom/dicom_net.h"

/* Calls fn for each match with the values of the keys asked (unknown keys empty). A level
 * that is not one of the four: 400. fn returning non-zero stops the query (not an error). */
arca_error_t *arca_dicom_find(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                              const char *level, const arca_dnet_key_t *keys, int n,
                              arca_dnet_match_fn fn, void *ctx);

/* The files (absolute paths under `archive`) of what the keys name at `level`. */
arca_error_t *arca_dicom_locate(arca_db_t *db, apr_pool_t *p, const arca_account_t *who,
                                const char *archive, const char *level,
                                const arca_dnet_key_t *keys, int n,
                                apr_array_header_t **files);

/* A DICOM wildcard value as a LIKE pattern: '*' and '?' as '%' and '_', LIKE's own
 * characters escaped (C-FIND and QIDO-RS match the same way). */
const char *arca_dicom_like_pattern(apr_pool_t *p, const char *v);

#endif
