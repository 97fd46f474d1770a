/* DICOM network services (DIMSE over dcmtk's dcmnet), behind a C interface: nothing here is
 * C++, dcmtk or httpd. dicom_net.cc accepts associations on one or more listeners, serves
 * each in a thread of its own (up to a limit), and calls the service's C callbacks for
 * C-ECHO, C-STORE, C-FIND, C-MOVE and C-GET. What the callbacks do with the data (import,
 * queries over the archive) is dicom_service.c's business.
 *
 * C-STORE datasets are received into memory, as received (no parsing, no temporary file),
 * behind a regenerated meta header: the callback gets a Part 10 object in the transfer
 * syntax it was sent in. An object larger than the listener's limit is read and dropped,
 * and answered with "out of resources" (A700). */
#ifndef ARCA_DICOM_NET_H
#define ARCA_DICOM_NET_H

#ifdef __cplusplus
extern "C" {
#endif

#include <apr_pools.h>
#include <apr_tables.h>

#include "base/error.h"

/* DIMSE statuses the callbacks answer with */
#define ARCA_DIMSE_SUCCESS         0x0000
#define ARCA_DIMSE_PENDING         0xFF00
#define ARCA_DIMSE_OUT_OF_RESOURCES 0xA700
#define ARCA_DIMSE_MOVE_OUT_OF_RESOURCES 0xA701 /* C-MOVE: no sub-operations possible */
#define ARCA_DIMSE_UNKNOWN_DESTINATION 0xA801
#define ARCA_DIMSE_IDENTIFIER_MISMATCH 0xA900
#define ARCA_DIMSE_CANNOT_UNDERSTAND 0xC000
#define ARCA_DIMSE_PROCESSING_FAILURE 0x0110
#define ARCA_DIMSE_REFUSED_NOT_AUTHORIZED 0x0124
#define ARCA_DIMSE_SUBOPS_WARNING  0xB000

/* Another AE (ArcaDicomPeer): a C-MOVE destination. */
typedef struct arca_dnet_peer_t {
    const char *ae_title;
    const char *host;
    int port;
} arca_dnet_peer_t;

/* One listener (ArcaDicomReceiver) as the network layer sees it. */
typedef struct arca_dnet_listener_cfg_t {
    const char *ae_title;      /* the called AE title it answers to */
    const char *host;          /* the address to bind ("0.0.0.0": all) */
    int port;
    void *receiver;            /* the service's, handed back in arca_dnet_assoc_t */
} arca_dnet_listener_cfg_t;

typedef struct arca_dnet_config_t {
    const arca_dnet_listener_cfg_t *listeners;
    int nlisteners;
    const arca_dnet_peer_t *peers;
    int npeers;
    int max_associations;      /* at once, over all listeners; more are refused (transient) */
    int max_per_peer;          /* associations from one IP address at once, and as many
                                * connections from it awaiting their requests */
    int timeout;               /* seconds: a silent peer, a send */
    int artim_timeout;         /* seconds a connection may take to send its association
                                * request (ARTIM); never more than timeout */
    apr_size_t max_object;     /* bytes of one received object */
} arca_dnet_config_t;

/* One association, as the callbacks see it. Strings stay valid until `close`. */
typedef struct arca_dnet_assoc_t {
    const char *calling_ae, *called_ae;
    const char *peer;          /* "address:port" of the other end */
    void *receiver;            /* the listener's (arca_dnet_listener_cfg_t.receiver) */
    void *state;               /* the service's, set by `open` */
} arca_dnet_assoc_t;

/* A query or retrieve key / a match's value: a top-level element. `value` "" is a key
 * asked to be returned (universal match). */
typedef struct arca_dnet_key_t {
    unsigned group, element;
    const char *value;
} arca_dnet_key_t;

typedef enum { ARCA_DNET_PATIENT_ROOT, ARCA_DNET_STUDY_ROOT } arca_dnet_model_t;

/* A C-FIND match: the values of its keys (same order and tags as asked). Return non-zero
 * when the peer cancelled or went away: the query should stop. */
typedef int (*arca_dnet_match_fn)(void *ctx, const arca_dnet_key_t *values, int n);

typedef struct arca_dnet_service_t {
    void *baton;
    /* May this association open (calling AE allowed by the listener)? 0: refused, with a
     * reason for the log in *why. */
    int (*accept)(void *baton, void *receiver, const char *calling_ae, const char *peer,
                  const char **why);
    /* The association is open: set a->state (per association, used by one thread). */
    arca_error_t *(*open)(void *baton, arca_dnet_assoc_t *a);
    /* One object received whole: a Part 10 file in memory. Returns a DIMSE status. */
    unsigned (*store)(arca_dnet_assoc_t *a, const char *sop_class, const char *sop_instance,
                      const void *data, apr_size_t len);
    /* A C-FIND at `level` ("PATIENT", "STUDY", "SERIES", "IMAGE"): match() for each match.
     * Returns the final status (success, or a failure). */
    unsigned (*find)(arca_dnet_assoc_t *a, arca_dnet_model_t model, const char *level,
                     const arca_dnet_key_t *keys, int n, arca_dnet_match_fn match, void *ctx);
    /* The files (absolute paths, const char *) a C-MOVE or C-GET names, in *files
     * (allocated in p). Returns a DIMSE status. */
    unsigned (*locate)(arca_dnet_assoc_t *a, arca_dnet_model_t model, const char *level,
                       const arca_dnet_key_t *keys, int n, apr_pool_t *p,
                       apr_array_header_t **files);
    /* The association is over: released (1) by the peer, or aborted or failed (0). */
    void (*close)(arca_dnet_assoc_t *a, int released);
    /* A log line (never PHI); logno is the module's number for it. */
    void (*log)(void *baton, int level, int logno, const char *msg);
} arca_dnet_service_t;

/* log levels, as syslog's */
#define ARCA_DNET_ERR 3
#define ARCA_DNET_WARNING 4
#define ARCA_DNET_NOTICE 5
#define ARCA_DNET_INFO 6
#define ARCA_DNET_DEBUG 7

typedef struct arca_dnet_t arca_dnet_t;

/* Binds every listener (before privileges are dropped: port 104 needs root). 500 naming
 * the listener when one cannot be bound. The sockets live as long as p. */
arca_error_t *arca_dnet_bind(apr_pool_t *p, const arca_dnet_config_t *cfg, arca_dnet_t **out);

/* Serves until *stop becomes non-zero (checked every 200 ms), then refuses new
 * associations and waits up to `grace` seconds for those under way. */
arca_error_t *arca_dnet_serve(arca_dnet_t *net, const arca_dnet_service_t *svc,
                              volatile int *stop, int grace);

/* The number of associations being served now. */
int arca_dnet_active(const arca_dnet_t *net);

#ifdef __cplusplus
}
#endif

#endif
