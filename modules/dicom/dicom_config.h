/* mod_arca_dicom's directives: the receivers, the peers, the limits. Main server only. */
#ifndef ARCA_DICOM_CONFIG_H
#define ARCA_DICOM_CONFIG_H

#include <httpd.h>
#include <http_config.h>

#include "dicom/dicom_net.h"
#include "dicom/dicom_service.h"

typedef struct dicom_conf {
    apr_array_header_t *receivers;   /* arca_dicom_receiver_t * */
    apr_array_header_t *peers;       /* arca_dnet_peer_t */
    int max_associations;            /* ArcaDicomMaxAssociations (default 16) */
    int max_per_peer;                /* ArcaDicomMaxPerPeer (default 8) */
    int timeout;                     /* ArcaDicomTimeout, seconds (default 30) */
    int artim_timeout;               /* ArcaDicomArtimTimeout, seconds (default 10) */
    apr_off_t max_object;            /* ArcaDicomMaxObjectSize, bytes (default 512 MiB) */
} dicom_conf;

extern module AP_MODULE_DECLARE_DATA arca_dicom_module;
extern const command_rec dicom_directives[];

void *dicom_create_server_conf(apr_pool_t *p, server_rec *s);

static inline dicom_conf *dicom_conf_get(server_rec *s)
{
    return ap_get_module_config(s->module_config, &arca_dicom_module);
}

#endif
