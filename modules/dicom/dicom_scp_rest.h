/* GET /xapi/dicomscp[/{id}]: the receivers and their state, like XNAT's DICOM SCP
 * receivers listing; site admins only. */
#ifndef ARCA_DICOM_SCP_REST_H
#define ARCA_DICOM_SCP_REST_H

#include <httpd.h>

int dicom_scp_handler(request_rec *r);

/* The daemon's status file (JSON), in httpd's runtime directory. */
const char *dicom_status_file(apr_pool_t *p);

#endif
