/* Reading archive facts out of DICOM values (plain C, on strings the bridge returned):
 * XNAT's routing convention in comments, dates as SQL dates, labels from values. */
#ifndef ARCA_DICOM_VALUES_H
#define ARCA_DICOM_VALUES_H

#include <apr_pools.h>

/* XNAT's convention in Patient or Study Comments, "Project: P Subject: S Session: E":
 * the word after `key` (e.g. "Subject:", matched without regard to case); NULL if none. */
const char *arca_dicom_comment_field(apr_pool_t *p, const char *comments, const char *key);

/* A value made a label: at most 64 characters, those a label may not hold (labels are also
 * directory names) become '_', a leading '.' too. NULL for NULL or "". */
const char *arca_label_from(apr_pool_t *p, const char *value);

/* A DA value as an SQL date (yyyy-mm-dd), or NULL when it is none: yyyymmdd, or ACR-NEMA's
 * yyyy.mm.dd; anything else (a range, a typo, 31 February) is no date. */
const char *arca_dicom_sql_date(apr_pool_t *p, const char *da);

/* A value as UTF-8 text for an answer: unchanged when it is valid UTF-8, else its bytes
 * read as Latin-1 (DICOM's most common character set besides ASCII), so no value is lost
 * or makes the answer invalid. NULL for NULL. */
const char *arca_dicom_text(apr_pool_t *p, const char *value);

#endif
