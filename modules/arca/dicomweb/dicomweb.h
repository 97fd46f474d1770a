/* DICOMweb over the archive: QIDO-RS (qido.c), WADO-RS instances, metadata and frames
 * (wado.c, frames.c) and the answer of STOW-RS (stow.c), all from PostgreSQL's index
 * (arca_instance, sql/0020; dicom/instance_index.h) and the stored files. Plain C: the httpd
 * module (modules/dicomweb/) parses URLs and headers and writes multipart bodies.
 *
 * What a user sees is what authz.h lets them read: the studies (sessions) of the projects
 * they may read, a study shared into a project counting there too. A root names either
 * every such project or one of them; a UID outside is answered as if it did not exist. */
#ifndef ARCA_DICOMWEB_H
#define ARCA_DICOMWEB_H

#include <apr_tables.h>
#include <jansson.h>

#include "access/account.h"
#include "db/db.h"

/* Who asks, through which root. */
typedef struct arca_dw_scope_t {
    const arca_account_t *who;
    const char *project;    /* /dicomweb/projects/{P}: P; NULL for /dicomweb */
    const char *base_url;   /* the root as the client reaches it, for RetrieveURL and
                               BulkDataURI ("http://host/dicomweb/projects/P") */
} arca_dw_scope_t;

/* The project of a scope exists and `who` may read it: else 404 (never 403: a private
 * project is not shown to exist). With `edit`, adding data is asked: 403 if the project
 * may be seen but not written. A scope without project: ARCA_OK. */
arca_error_t *arca_dw_scope_check(arca_db_t *db, apr_pool_t *p, const arca_dw_scope_t *scope,
                                  int edit);

/* ---- QIDO-RS ----------------------------------------------------------------------------- */

typedef enum { ARCA_QIDO_STUDIES, ARCA_QIDO_SERIES, ARCA_QIDO_INSTANCES } arca_qido_level_t;

typedef struct arca_qido_t {
    arca_qido_level_t level;
    const char *study_uid, *series_uid;  /* from the path; NULL when not there */
    const apr_table_t *args;             /* the query string, decoded; keys may repeat */
} arca_qido_t;

/* The matches as a DICOM JSON array (never NULL: [] when nothing matches). Keys: UIDs (a
 * list split by '\' or ','), dates and times (ranges "A-B", "A-", "-B"), texts and person
 * names with '*' and '?' (names case-insensitive), ModalitiesInStudy (any of a list);
 * includefield (tags or keywords, comma lists, repeatable, "all"), limit (default and
 * most: 1000), offset, fuzzymatching (not supported: ignored with a warning). A key that
 * is unknown, not matchable at the level, or a bad value: 400 saying which. *warning:
 * NULL, or a text for a Warning header (truncated by limit, fuzzy matching ignored). */
arca_error_t *arca_qido(arca_db_t *db, apr_pool_t *p, const arca_dw_scope_t *scope,
                        const arca_qido_t *q, json_t **out, const char **warning);

/* ---- WADO-RS ----------------------------------------------------------------------------- */

/* One stored instance. */
typedef struct arca_dw_instance_t {
    const char *study_uid, *series_uid, *sop_uid, *sop_class_uid;
    const char *file;            /* absolute path of the stored Part 10 file */
    const char *transfer_syntax;
    int frames;
    apr_off_t pixel_offset;      /* -1: not known (deflated, no pixel data) */
    apr_off_t pixel_length;
    int encapsulated;
    const char *header;          /* DICOM JSON object, as indexed */
} arca_dw_instance_t;

/* The instances of a study, of one of its series (series_uid not NULL) or one instance
 * (sop_uid too), in series and instance-number order. None the scope may read: 404.
 * Instances stored before the index existed are indexed on the way (once). */
arca_error_t *arca_dw_instances(arca_db_t *db, apr_pool_t *p, const arca_dw_scope_t *scope,
                                const char *archive, const char *study_uid,
                                const char *series_uid, const char *sop_uid,
                                apr_array_header_t **instances);

/* The metadata of instances (arca_dw_instances) as a DICOM JSON array: each stored header,
 * its binary values' BulkDataURIs and the pixel data's made absolute under
 * scope->base_url (…/instances/{uid}/bulk/{tag}). */
json_t *arca_dw_metadata(apr_pool_t *p, const arca_dw_scope_t *scope,
                         const apr_array_header_t *instances);

/* A byte range of a stored file. */
typedef struct arca_dw_range_t {
    apr_off_t offset, length;
} arca_dw_range_t;

/* The bytes of frame `n` (1-based) of an instance: native pixel data cut at n's place (one
 * range); encapsulated, its fragments as stored (one per frame, or all of them when a
 * single-frame image has several), in the instance's transfer syntax. No pixel data,
 * unknown layout or n out of range: 404 saying why. */
arca_error_t *arca_dw_frame(apr_pool_t *p, const arca_dw_instance_t *inst, int n,
                            apr_array_header_t **ranges);

/* The value of a top-level binary attribute `tag` (8 hex digits) of an instance, read from
 * its file (the pixel data: its ranges as stored). Absent: 404. */
arca_error_t *arca_dw_bulk(apr_pool_t *p, const arca_dw_instance_t *inst, const char *tag,
                           const char **data, apr_size_t *len, apr_array_header_t **ranges);

/* ---- STOW-RS ----------------------------------------------------------------------------- */

/* The answer being built for one STOW-RS request. */
typedef struct arca_stow_t arca_stow_t;

arca_stow_t *arca_stow_begin(apr_pool_t *p, const arca_dw_scope_t *scope);

/* An instance stored: the SOP Class and Instance UIDs as sent; the UIDs it is stored under
 * (study_uid NULL: not in the archive yet, e.g. held in the prearchive: no RetrieveURL). */
void arca_stow_stored(arca_stow_t *s, const char *sop_class, const char *sop_uid,
                      const char *study_uid, const char *series_uid,
                      const char *stored_sop_uid);

/* An instance refused, with a DICOM failure reason (0xC000 cannot understand, 0xA700 out
 * of resources, 0x0110 processing failure...). UIDs may be NULL when unreadable. */
void arca_stow_failed(arca_stow_t *s, const char *sop_class, const char *sop_uid,
                      int reason);

/* The response dataset and its HTTP status: 200 all stored, 202 some failed, 409 none
 * stored. */
json_t *arca_stow_answer(arca_stow_t *s, int *status);

/* ---- DICOM JSON values ------------------------------------------------------------------- */

/* {"vr": vr, "Value": [...]} from a value as DICOM writes it ('\' between values): person
 * names as {"Alphabetic": ..}, numbers of numeric VRs as numbers; empty: no "Value". */
json_t *arca_dw_attr(const char *vr, const char *value);

#endif
