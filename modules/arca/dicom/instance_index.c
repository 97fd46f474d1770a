/* The DICOMweb index of an archived instance (see instance_index.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "dicom/instance_index.h"
#include "dicom/json_text.h"

static const char *int_or_null(apr_pool_t *p, const char *s)
{
    char *end;
    long v;

    if (s == NULL || !*s)
        return NULL;
    v = strtol(s, &end, 10);
    while (*end == ' ')
        end++;
    return *end || v < -2147483647L || v > 2147483647L ? NULL : apr_ltoa(p, v);
}

/* of_input: the pixel data's offset in what was read (the stored file), not written */
static arca_error_t *put(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                         const char *path, arca_dicom_t *d, int of_input)
{
    arca_dicom_info_t in;
    const char *json, *frames;
    apr_off_t off = 0, len = 0;
    int enc = 0, known = arca_dicom_pixel_span(d, of_input, &off, &len, &enc);
    arca_error_t *err;

    if ((err = arca_dicom_info(d, p, &in)) || (err = arca_dicom_json(d, p, &json)))
        return err;
    /* what dcmtk wrote, repaired if it must be (json_text.h); else an empty header rather
     * than a failed import */
    if ((json = arca_json_repair(p, json)) == NULL)
        json = "{}";
    frames = int_or_null(p, in.number_of_frames);
    const char *params[11] = {
        resource_pk, path, in.sop_instance_uid ? in.sop_instance_uid : "",
        in.sop_class_uid ? in.sop_class_uid : "", int_or_null(p, in.instance_number),
        in.transfer_syntax, frames && atoi(frames) > 0 ? frames : "1",
        known ? apr_off_t_toa(p, off) : NULL, known ? apr_off_t_toa(p, len) : NULL,
        enc ? "t" : "f", json};
    return arca_db_query_prepared(db, p, NULL, "arca_instance_put",
        "INSERT INTO arca_instance (resource_pk, path, scan_pk, sop_uid, sop_class_uid, "
        "instance_number, transfer_syntax, frames, pixel_offset, pixel_length, encapsulated, "
        "header) SELECT $1::bigint, $2, r.scan_pk, $3, $4, $5::integer, $6, $7::integer, "
        "$8::bigint, $9::bigint, $10::boolean, $11::jsonb FROM arca_resource r WHERE r.pk = "
        "$1::bigint AND r.scan_pk IS NOT NULL ON CONFLICT (resource_pk, path) DO UPDATE SET "
        "scan_pk = EXCLUDED.scan_pk, sop_uid = EXCLUDED.sop_uid, sop_class_uid = "
        "EXCLUDED.sop_class_uid, instance_number = EXCLUDED.instance_number, "
        "transfer_syntax = EXCLUDED.transfer_syntax, frames = EXCLUDED.frames, pixel_offset "
        "= EXCLUDED.pixel_offset, pixel_length = EXCLUDED.pixel_length, encapsulated = "
        "EXCLUDED.encapsulated, header = EXCLUDED.header", 11, params);
}

arca_error_t *arca_instance_index_put(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                                      const char *path, arca_dicom_t *d)
{
    return put(db, p, resource_pk, path, d, 0);
}

static int discard(void *baton, const char *data, apr_size_t len)
{
    (void)baton, (void)data, (void)len;
    return 0;
}

arca_error_t *arca_instance_index_file(arca_db_t *db, apr_pool_t *p, const char *resource_pk,
                                       const char *path, const char *disk_path)
{
    arca_dicom_t *d;
    arca_error_t *err;

    /* written to nowhere: the bridge finds where the pixel data lies in the file as it
     * passes by */
    if ((err = arca_dicom_read_file(p, disk_path, &d)) || (err = arca_dicom_write(d, discard,
                                                                                  NULL)))
        return err;
    return put(db, p, resource_pk, path, d, 1);
}
