/* Reading a prearchived session's folder: {session}/SCANS/{scan}/{resource}/{files}, as
 * the import lays it out. Headers are read from the first file of each scan only (dcmtk
 * stops before the pixel data), so inspecting a large session stays cheap. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <libxml/xmlwriter.h>

#include "dicom/dicom.h"
#include "store/filestore.h"
#include "model/model.h"
#include "prearchive/prearchive.h"
#include "format/xml_out.h"

typedef struct {
    const char *name;
    apr_filetype_e type;
    apr_off_t size;
} entry_t;

/* Numbers in numeric order (scan 2 before 10), then names. */
static int natural(const void *a, const void *b)
{
    const char *x = ((const entry_t *)a)->name, *y = ((const entry_t *)b)->name;
    int dx = x[strspn(x, "0123456789")] == '\0', dy = y[strspn(y, "0123456789")] == '\0';

    if (dx && dy && strlen(x) != strlen(y))
        return strlen(x) < strlen(y) ? -1 : 1;
    if (dx != dy)
        return dx ? -1 : 1;
    return strcmp(x, y);
}

/* The entries of a directory of one type (APR_DIR or APR_REG), sorted; dot-names are the
 * import's own. 404 when the directory is missing. */
static arca_error_t *entries(apr_pool_t *p, const char *dir, apr_filetype_e type,
                             apr_array_header_t **out)
{
    apr_dir_t *d;
    apr_finfo_t fi;

    *out = apr_array_make(p, 16, sizeof(entry_t));
    if (apr_dir_open(&d, dir, p) != APR_SUCCESS)
        return arca_error_create(p, 404, "Not Found: no such folder in the session");
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE | APR_FINFO_SIZE, d)
           == APR_SUCCESS) {
        entry_t *e;
        if (fi.name[0] == '.' || fi.filetype != type)
            continue;
        e = apr_array_push(*out);
        e->name = apr_pstrdup(p, fi.name);
        e->type = fi.filetype;
        e->size = fi.size;
    }
    apr_dir_close(d);
    qsort((*out)->elts, (size_t)(*out)->nelts, sizeof(entry_t), natural);
    return ARCA_OK;
}

static const char *keep(apr_pool_t *p, const char *v)
{
    return v ? apr_pstrdup(p, v) : NULL;
}

/* What the scan's first DICOM file says; a file that does not read leaves all NULL. */
static void read_header(apr_pool_t *p, arca_prearc_scan_t *scan, const char *path)
{
    apr_pool_t *hp;
    arca_dicom_t *d;
    arca_dicom_info_t in;

    apr_pool_create(&hp, p); /* the file and dcmtk's header go with it */
    if (arca_dicom_read_file(hp, path, &d) == ARCA_OK && arca_dicom_info(d, hp, &in) == ARCA_OK) {
        scan->modality = keep(p, in.modality);
        scan->series_description = keep(p, in.series_description);
        scan->uid = keep(p, in.series_uid);
        scan->study_uid = keep(p, in.study_uid);
        scan->study_date = keep(p, in.study_date);
        scan->study_time = keep(p, in.study_time);
        scan->manufacturer = keep(p, in.manufacturer);
        scan->model = keep(p, in.model);
        scan->patient_comments = keep(p, in.patient_comments);
        scan->study_comments = keep(p, in.study_comments);
    }
    apr_pool_destroy(hp);
}

arca_error_t *arca_prearchive_scans(apr_pool_t *p, const arca_prearc_t *s,
                                    apr_array_header_t **scans)
{
    const char *root = apr_pstrcat(p, s->dir, "/SCANS", NULL);
    apr_array_header_t *ids, *labels, *files;
    arca_error_t *err;

    *scans = apr_array_make(p, 8, sizeof(arca_prearc_scan_t *));
    if ((err = entries(p, root, APR_DIR, &ids)))
        return arca_error_create(p, 404, "Not Found: the session's folder is gone");
    for (int i = 0; i < ids->nelts; i++) {
        arca_prearc_scan_t *scan = apr_pcalloc(p, sizeof *scan);
        const char *dir = apr_pstrcat(p, root, "/", APR_ARRAY_IDX(ids, i, entry_t).name, NULL);
        scan->id = APR_ARRAY_IDX(ids, i, entry_t).name;
        scan->resources = apr_array_make(p, 1, sizeof(arca_prearc_resource_t));
        if ((err = entries(p, dir, APR_DIR, &labels)))
            return err;
        for (int j = 0; j < labels->nelts; j++) {
            arca_prearc_resource_t *res = apr_array_push(scan->resources);
            const char *rdir = apr_pstrcat(p, dir, "/", APR_ARRAY_IDX(labels, j, entry_t).name,
                                           NULL);
            res->label = APR_ARRAY_IDX(labels, j, entry_t).name;
            res->files = 0;
            res->size = 0;
            if ((err = entries(p, rdir, APR_REG, &files)))
                return err;
            for (int k = 0; k < files->nelts; k++)
                res->size += APR_ARRAY_IDX(files, k, entry_t).size;
            res->files = files->nelts;
            if (scan->modality == NULL && files->nelts > 0)
                read_header(p, scan, apr_pstrcat(p, rdir, "/",
                                                 APR_ARRAY_IDX(files, 0, entry_t).name, NULL));
        }
        scan->xsi_type = arca_scan_xsi(p, arca_session_xsi(scan->modality));
        APR_ARRAY_PUSH(*scans, arca_prearc_scan_t *) = scan;
    }
    return ARCA_OK;
}

/* Every regular file below dir, named from `prefix`. */
static arca_error_t *walk(apr_pool_t *p, const char *dir, const char *prefix,
                          apr_array_header_t *out)
{
    apr_array_header_t *subdirs, *files;
    arca_error_t *err;

    if ((err = entries(p, dir, APR_REG, &files)) || (err = entries(p, dir, APR_DIR, &subdirs)))
        return err;
    for (int i = 0; i < files->nelts; i++) {
        arca_prearc_file_t *f = apr_array_push(out);
        f->name = apr_pstrcat(p, prefix, APR_ARRAY_IDX(files, i, entry_t).name, NULL);
        f->path = apr_pstrcat(p, dir, "/", APR_ARRAY_IDX(files, i, entry_t).name, NULL);
        f->size = APR_ARRAY_IDX(files, i, entry_t).size;
    }
    for (int i = 0; i < subdirs->nelts && !err; i++) {
        const char *name = APR_ARRAY_IDX(subdirs, i, entry_t).name;
        err = walk(p, apr_pstrcat(p, dir, "/", name, NULL),
                   apr_pstrcat(p, prefix, name, "/", NULL), out);
    }
    return err;
}

arca_error_t *arca_prearchive_files(apr_pool_t *p, const arca_prearc_t *s, const char *scan,
                                    const char *resource, apr_array_header_t **files)
{
    *files = apr_array_make(p, 16, sizeof(arca_prearc_file_t));
    if (scan == NULL)
        return walk(p, s->dir, "", *files);
    if (!arca_valid_label(scan) || !arca_valid_label(resource))
        return arca_error_create(p, 404, "Not Found: no such scan or resource");
    return walk(p, apr_pstrcat(p, s->dir, "/SCANS/", scan, "/", resource, NULL), "", *files);
}

/* ---- XNAT's session document ----------------------------------------------------------- */

static int attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    return value && *value ? xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value) < 0
                           : 0;
}

static int element(xmlTextWriterPtr w, const char *name, const char *value)
{
    return value && *value ? xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST value) < 0
                           : 0;
}

static const char *dicom_time(apr_pool_t *p, const char *tm)
{
    if (tm == NULL || strlen(tm) < 6 || strspn(tm, "0123456789") < 6)
        return NULL;
    return apr_psprintf(p, "%.2s:%.2s:%.2s", tm, tm + 2, tm + 4);
}

static int write_scan(xmlTextWriterPtr w, apr_pool_t *p, const arca_prearc_scan_t *scan)
{
    int rc = xmlTextWriterStartElement(w, BAD_CAST "xnat:scan") < 0, frames = 0;

    rc |= attr(w, "ID", scan->id);
    rc |= attr(w, "type", scan->series_description);
    rc |= attr(w, "UID", scan->uid);
    rc |= attr(w, "xsi:type", scan->xsi_type);
    for (int i = 0; i < scan->resources->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(scan->resources, i, arca_prearc_resource_t).label,
                   "DICOM") == 0)
            frames = APR_ARRAY_IDX(scan->resources, i, arca_prearc_resource_t).files;
    rc |= element(w, "xnat:series_description", scan->series_description);
    if (scan->manufacturer || scan->model) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:scanner") < 0;
        rc |= attr(w, "manufacturer", scan->manufacturer);
        rc |= attr(w, "model", scan->model);
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    rc |= element(w, "xnat:modality", scan->modality);
    rc |= element(w, "xnat:frames", frames ? apr_itoa(p, frames) : NULL);
    /* the resources last, as the schema's imageScanData has them */
    for (int i = 0; i < scan->resources->nelts; i++) {
        const arca_prearc_resource_t *res = &APR_ARRAY_IDX(scan->resources, i,
                                                           arca_prearc_resource_t);
        int dicom = strcmp(res->label, "DICOM") == 0;
        rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:file") < 0;
        rc |= attr(w, "xsi:type", "xnat:resourceCatalog");
        rc |= attr(w, "label", res->label);
        rc |= attr(w, "format", dicom ? "DICOM" : NULL);
        rc |= attr(w, "content", dicom ? "RAW" : NULL);
        rc |= attr(w, "file_count", apr_itoa(p, res->files));
        rc |= attr(w, "file_size", apr_off_t_toa(p, res->size));
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    return rc | (xmlTextWriterEndElement(w) < 0);
}

arca_error_t *arca_prearchive_write_xml(apr_pool_t *p, const arca_prearc_t *s,
                                        const apr_array_header_t *scans, arca_write_fn write,
                                        void *baton)
{
    const arca_prearc_scan_t *first = scans->nelts ? APR_ARRAY_IDX(scans, 0,
                                                                   arca_prearc_scan_t *) : NULL;
    const char *modality = *s->modality ? s->modality : first ? first->modality : NULL;
    arca_xml_out_t *out;
    xmlTextWriterPtr w = arca_xml_out_open(p, write, baton, &out);
    int rc;

    if (w == NULL)
        return arca_error_create(p, 500, "could not write the session");
    rc = xmlTextWriterStartElement(w, BAD_CAST arca_element_of_xsi(
                                        arca_session_xsi(modality))) < 0;
    rc |= attr(w, "xmlns:xnat", "http://nrg.wustl.edu/xnat");
    rc |= attr(w, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
    rc |= attr(w, "project", s->project);
    rc |= attr(w, "label", s->folder);
    rc |= attr(w, "UID", *s->study_uid ? s->study_uid : first ? first->study_uid : NULL);
    rc |= element(w, "xnat:date", s->scan_date);
    rc |= element(w, "xnat:time", first ? dicom_time(p, first->study_time) : NULL);
    rc |= element(w, "xnat:subject_ID", s->subject);
    if (first && (first->manufacturer || first->model)) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:scanner") < 0;
        rc |= attr(w, "manufacturer", first->manufacturer);
        rc |= attr(w, "model", first->model);
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    rc |= element(w, "xnat:modality", modality);
    if (scans->nelts) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "xnat:scans") < 0;
        for (int i = 0; i < scans->nelts && !rc; i++)
            rc |= write_scan(w, p, APR_ARRAY_IDX(scans, i, const arca_prearc_scan_t *));
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    rc |= xmlTextWriterEndElement(w) < 0;
    rc |= arca_xml_out_close(out);
    return rc ? arca_error_create(p, 500, "could not write the session") : ARCA_OK;
}
