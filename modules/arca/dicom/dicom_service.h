/* What Arca's DICOM listener does with associations (dicom_net.h's callbacks):
 *   C-STORE  into the import path, as the receiver's user: de-identified, routed, into the
 *            prearchive (RECEIVING sessions the sweeper completes) or the archive (added to
 *            the session). One object, one transaction: the answer "success" means stored.
 *   C-FIND   over what the receiver's user may read (dicom_query.h).
 *   C-MOVE / C-GET  the files of what the identifier names.
 * Each association has its own memory pool and database connection. A status file (JSON,
 * replaced whole) keeps each receiver's counters for the REST listing. */
#ifndef ARCA_DICOM_SERVICE_H
#define ARCA_DICOM_SERVICE_H

#include <apr_tables.h>

#include "dicom/dicom_net.h"

/* One ArcaDicomReceiver. */
typedef struct arca_dicom_receiver_t {
    const char *ae_title;
    const char *host;
    int port;
    const char *project;        /* project=: everything goes there; NULL: routed by headers */
    int to_prearchive;          /* dest=prearchive (the default) or archive */
    const char *user;           /* user=: whose rights apply; NULL: anonymous (public data) */
    apr_array_header_t *callers;/* calling AE titles allowed (const char *); NULL: any */
    apr_array_header_t *routing;/* ArcaDicomRoute rules (arca_routing_rule_t *); NULL: none */
    int no_sync;                /* sync=off: nothing flushed before the answer (import.h) */
    int index;                  /* filled in by arca_dicom_service_make */
} arca_dicom_receiver_t;

typedef struct arca_dicom_site_t {
    const char *conninfo, *site_id, *archive, *prearchive;
    const char *status_file;    /* NULL: none */
    void (*log)(void *baton, int level, int logno, const char *msg);
    void *log_baton;
} arca_dicom_site_t;

/* The service over the receivers (their `index` set); lives in p, used by many threads. */
arca_error_t *arca_dicom_service_make(apr_pool_t *p, const arca_dicom_site_t *site,
                                      arca_dicom_receiver_t *const *receivers, int n,
                                      arca_dnet_service_t **out);

#endif
