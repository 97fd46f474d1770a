/* Frames and bulk data of a stored instance (see dicomweb.h): byte ranges of its file,
 * found from the index (where the pixel data lies, the image's geometry in its header)
 * and, for encapsulated pixel data, the item headers read from the file. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "dicom/dicom.h"
#include "dicomweb/dw_internal.h"

static long header_int(json_t *h, const char *tag, long dflt)
{
    json_t *v = json_array_get(json_object_get(json_object_get(h, tag), "Value"), 0);

    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_real(v))
        return (long)json_real_value(v);
    if (json_is_string(v))
        return atol(json_string_value(v));
    return dflt;
}

static int big_endian(const char *ts)
{
    return strcmp(ts, "1.2.840.10008.1.2.2") == 0;
}

static apr_uint32_t u32(const unsigned char *b, int be)
{
    return be ? ((apr_uint32_t)b[0] << 24) | ((apr_uint32_t)b[1] << 16) | (b[2] << 8) | b[3]
              : b[0] | (b[1] << 8) | ((apr_uint32_t)b[2] << 16) | ((apr_uint32_t)b[3] << 24);
}

/* The items of encapsulated pixel data: the offset table's entries and each fragment's
 * range. */
static arca_error_t *items(apr_pool_t *p, const arca_dw_instance_t *in,
                           apr_array_header_t **table, apr_array_header_t **frags)
{
    apr_file_t *f;
    apr_off_t at = in->pixel_offset, end = in->pixel_offset + in->pixel_length;
    int be = big_endian(in->transfer_syntax), first = 1;
    unsigned char h[8];

    if (apr_file_open(&f, in->file, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p) != APR_SUCCESS)
        return arca_error_create(p, 500, "cannot open a stored DICOM file");
    *table = apr_array_make(p, 8, sizeof(apr_uint32_t));
    *frags = apr_array_make(p, 8, sizeof(arca_dw_range_t));
    while (at + 8 <= end) {
        apr_size_t n = 8;
        apr_off_t pos = at;
        if (apr_file_seek(f, APR_SET, &pos) != APR_SUCCESS
            || apr_file_read_full(f, h, 8, &n) != APR_SUCCESS)
            break;
        unsigned g = be ? (h[0] << 8) | h[1] : h[0] | (h[1] << 8);
        unsigned e = be ? (h[2] << 8) | h[3] : h[2] | (h[3] << 8);
        apr_uint32_t len = u32(h + 4, be);
        if (g != 0xFFFE || e != 0xE000 || at + 8 + (apr_off_t)len > end)
            break;   /* the sequence delimiter, or not items */
        if (first) {   /* the Basic Offset Table */
            for (apr_uint32_t k = 0; k + 4 <= len; k += 4) {
                unsigned char b[4];
                n = 4;
                if (apr_file_read_full(f, b, 4, &n) != APR_SUCCESS)
                    break;
                APR_ARRAY_PUSH(*table, apr_uint32_t) = u32(b, be);
            }
            first = 0;
        } else {
            arca_dw_range_t *r = apr_array_push(*frags);
            r->offset = at + 8;
            r->length = len;
        }
        at += 8 + (apr_off_t)len;
    }
    apr_file_close(f);
    return ARCA_OK;
}

arca_error_t *arca_dw_frame(apr_pool_t *p, const arca_dw_instance_t *in, int n,
                            apr_array_header_t **ranges)
{
    json_t *h;
    arca_error_t *err;

    if (in->pixel_offset < 0)
        return arca_error_create(p, 404, "Not Found: the instance has no pixel data that "
                                 "can be cut into frames");
    if (n < 1 || n > (in->frames > 0 ? in->frames : 1))
        return arca_error_create(p, 404, "Not Found: no frame %d (the instance has %d)", n,
                                 in->frames > 0 ? in->frames : 1);
    *ranges = apr_array_make(p, 1, sizeof(arca_dw_range_t));
    if (!in->encapsulated) {
        h = json_loads(in->header, 0, NULL);
        apr_off_t size = (apr_off_t)header_int(h, "00280010", 0) * header_int(h, "00280011", 0)
                         * header_int(h, "00280002", 1) * header_int(h, "00280100", 0) / 8;
        json_decref(h);
        if (size <= 0 || (apr_off_t)n * size > in->pixel_length)
            return arca_error_create(p, 404, "Not Found: the pixel data does not hold frame "
                                     "%d", n);
        arca_dw_range_t *r = apr_array_push(*ranges);
        r->offset = in->pixel_offset + (apr_off_t)(n - 1) * size;
        r->length = size;
        return ARCA_OK;
    }
    apr_array_header_t *table = NULL, *frags = NULL;
    if ((err = items(p, in, &table, &frags)))
        return err;
    int frames = in->frames > 0 ? in->frames : 1;
    if (frags->nelts == 0)
        return arca_error_create(p, 404, "Not Found: the pixel data has no fragments");
    if (frames == 1) {
        *ranges = frags;
        return ARCA_OK;
    }
    if (frags->nelts == frames) {
        APR_ARRAY_PUSH(*ranges, arca_dw_range_t) = APR_ARRAY_IDX(frags, n - 1, arca_dw_range_t);
        return ARCA_OK;
    }
    if (table->nelts == frames) {  /* the offset table groups the fragments */
        apr_off_t base = APR_ARRAY_IDX(frags, 0, arca_dw_range_t).offset - 8;
        apr_off_t from = base + APR_ARRAY_IDX(table, n - 1, apr_uint32_t);
        apr_off_t to = n < frames ? base + APR_ARRAY_IDX(table, n, apr_uint32_t)
                                  : in->pixel_offset + in->pixel_length;
        for (int k = 0; k < frags->nelts; k++) {
            arca_dw_range_t r = APR_ARRAY_IDX(frags, k, arca_dw_range_t);
            if (r.offset - 8 >= from && r.offset - 8 < to)
                APR_ARRAY_PUSH(*ranges, arca_dw_range_t) = r;
        }
        if ((*ranges)->nelts)
            return ARCA_OK;
    }
    return arca_error_create(p, 404, "Not Found: the fragments of frame %d cannot be told "
                             "apart (no offset table)", n);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

arca_error_t *arca_dw_bulk(apr_pool_t *p, const arca_dw_instance_t *in, const char *tag,
                           const char **data, apr_size_t *len, apr_array_header_t **ranges)
{
    arca_dicom_t *d;
    const char *hex;
    arca_error_t *err;

    *data = NULL, *len = 0, *ranges = NULL;
    if (strlen(tag) != 8 || strspn(tag, "0123456789abcdefABCDEF") != 8)
        return arca_error_create(p, 404, "Not Found: bulk data is named by a tag of 8 hex "
                                 "digits");
    if (strcasecmp(tag, "7FE00010") == 0) {
        if (in->pixel_offset < 0)
            return arca_error_create(p, 404, "Not Found: no pixel data");
        *ranges = apr_array_make(p, 1, sizeof(arca_dw_range_t));
        APR_ARRAY_PUSH(*ranges, arca_dw_range_t) = (arca_dw_range_t){in->pixel_offset,
                                                                     in->pixel_length};
        return ARCA_OK;
    }
    if ((err = arca_dicom_read_file(p, in->file, &d))
        || (err = arca_dicom_get(d, apr_psprintf(p, "(%.4s,%.4s)", tag, tag + 4), p, &hex)))
        return err->status == 400 ? arca_error_create(p, 404, "Not Found: no bulk data %s",
                                                      tag) : err;
    /* values come as hex, '\' between them: bytes (OB, UN) or 16-bit words (OW), which
     * go out little endian */
    size_t n = strlen(hex), k = 0;
    char *out = apr_palloc(p, n / 2 + 1);
    for (const char *t = hex; *t;) {
        size_t w = strcspn(t, "\\");
        unsigned long v = 0;
        if ((w != 2 && w != 4) || strspn(t, "0123456789abcdefABCDEF") < w)
            return arca_error_create(p, 404, "Not Found: %s is not binary data", tag);
        for (size_t i = 0; i < w; i++)
            v = v << 4 | (unsigned long)hexval(t[i]);
        out[k++] = (char)(v & 0xFF);
        if (w == 4)
            out[k++] = (char)(v >> 8);
        t += w;
        if (*t)
            t++;
    }
    *data = out, *len = k;
    return ARCA_OK;
}
