/* DICOM objects: read from a stream or a file, inspect and change the header, write back as
 * a Part 10 file. The only C++ of libarca (dicom_bridge.cc, over dcmtk) hides behind this
 * header; nothing here is C++ or dcmtk.
 *
 * Memory stays flat whatever the object's size. Reading parses the header with dcmtk and
 * stops before the top-level Pixel Data (7FE0,0010): the pixel data stays in the input
 * stream, and arca_dicom_write copies it through in 64 KiB chunks, byte for byte (also
 * encapsulated JPEG, JPEG 2000, RLE: never decompressed), after a regenerated header. So the
 * stream must stay readable between arca_dicom_read and arca_dicom_write, and an object read
 * from a stream can be written ONCE. Two exceptions load the whole object into memory:
 * the deflated transfer syntax (the pixel data is inside the deflated stream; the bridge
 * inflates it, to at most ARCA_DICOM_MAX_HEADER bytes, more: 413; it is re-deflated on
 * writing) and objects without top-level pixel data (SR, RT plans, KOs...),
 * both up to ARCA_DICOM_MAX_HEADER bytes.
 *
 * Elements after the pixel data (trailing padding (FFFC,FFFC), a few vendors' private groups
 * such as (7FE1,xxxx)) are only reached when writing: they are not seen by iteration, get or
 * delete; on writing, padding is dropped and, after arca_dicom_delete_private, so are their
 * private elements.
 *
 * Paths address an element at any depth: one or more "(gggg,eeee)" joined by '/', every
 * one but the last followed by a 0-based item index: "(0008,1115)[0]/(0008,1140)[1]/(0008,1155)".
 * Hex digits in either case. A private element may name its creator instead of its block,
 * "(0019,{SIEMENS MR HEADER}0F)", which resolves to (0019,xx0F) where (0019,00xx) holds that
 * creator in the same item. File meta elements (0002,eeee) are not addressable: the meta
 * header is regenerated on writing.
 *
 * An element a writer stored as UN (explicit VR, defined length) whose tag the data dictionary
 * knows is read with the dictionary's VR, and written so.
 *
 * Values are strings as DICOM writes them: multiple values joined by '\', numbers of binary
 * VRs (US, FL...) in decimal, bytes of OB/OW/UN in hex, raw bytes in the object's character
 * set (no conversion to UTF-8), trailing padding removed.
 *
 * Errors: input that is not DICOM, truncated or malformed is a 400 whose message names no
 * value; an error from the read callback is returned as it is; a failing write callback is a
 * 500. dcmtk's own logging is switched off (it may quote values). */
#ifndef ARCA_DICOM_H
#define ARCA_DICOM_H

#ifdef __cplusplus
extern "C" {
#endif

#include <apr_pools.h>
#include <apr_file_io.h> /* apr_off_t */

#include "base/error.h"
#include "store/archive_stream.h" /* arca_read_fn */
#include "format/resultset.h"      /* arca_write_fn */

/* The most read into memory for a header (or a whole object without pixel data, or a
 * deflated one, or what follows the pixel data). More: 413. */
#define ARCA_DICOM_MAX_HEADER (64 * 1024 * 1024)

typedef struct arca_dicom_t arca_dicom_t;

/* ---- reading and writing ----------------------------------------------------------------- */

/* Reads a DICOM object from `read` (see arca_read_fn): a Part 10 file (preamble, "DICM",
 * meta header) or a bare dataset without meta header, whose transfer syntax is then detected
 * (implicit or explicit VR little endian, explicit big endian). Every transfer syntax dcmtk
 * reads is accepted; encapsulated pixel data is kept as received. The object lives in `p`;
 * read and baton must stay valid until arca_dicom_write or the pool's end. */
arca_error_t *arca_dicom_read(apr_pool_t *p, arca_read_fn read, void *baton, arca_dicom_t **d);

/* The same from a file (a missing file: 404; unreadable: 500). */
arca_error_t *arca_dicom_read_file(apr_pool_t *p, const char *path, arca_dicom_t **d);

/* Writes the object, with any changes, to `write` as a Part 10 file in its own transfer
 * syntax: preamble of zeros or as read, a meta header made anew (Media Storage SOP Class and
 * Instance UIDs from (0008,0016) and (0008,0018) as they are now, Transfer Syntax UID kept,
 * dcmtk's implementation class UID and version name), no group lengths in the dataset, the pixel data
 * copied through unchanged. Truncated pixel data is found here: 400, after part of the
 * output has gone to `write` (write to a temporary file and drop it on error). An object read
 * from a stream can be written once (a second time: 500); a synthetic one any number of
 * times. A dataset without SOP Class or Instance UID cannot be written: 400. */
arca_error_t *arca_dicom_write(arca_dicom_t *d, arca_write_fn write, void *baton);

/* Writes the Part 10 file at `path` to `write` in another uncompressed transfer syntax
 * (explicit or implicit VR little endian, explicit big endian), read whole into memory:
 * at most ARCA_DICOM_MAX_HEADER bytes. Compressed pixel data, another target or a larger
 * file: 406 saying which. */
arca_error_t *arca_dicom_convert_file(apr_pool_t *p, const char *path, const char *ts_uid,
                                      arca_write_fn write, void *baton);

/* The transfer syntax UID the object was read in and will be written in. */
const char *arca_dicom_transfer_syntax(const arca_dicom_t *d);

/* ---- elements ---------------------------------------------------------------------------- */

/* The value of the element at `path` in *value (allocated in p; "" for an empty element).
 * Absent (or an item index past the end): 404. A sequence: 400. A bad path: 400. */
arca_error_t *arca_dicom_get(arca_dicom_t *d, const char *path, apr_pool_t *p,
                             const char **value);

/* The two-letter VR of the element at `path` ("SQ" for a sequence). Absent: 404. */
arca_error_t *arca_dicom_get_vr(arca_dicom_t *d, const char *path, const char **vr);

/* The number of items of the sequence at `path` in *count. Absent: 404; not a sequence: 400. */
arca_error_t *arca_dicom_item_count(arca_dicom_t *d, const char *path, int *count);

/* Sets the element at `path` to `value` (multiple values separated by '\'; "" empties it),
 * creating it if absent, and creating missing sequences and items on the way (an item index
 * may be at most the current number of items: that appends one). A new element takes the
 * data dictionary's VR; `vr` (e.g. "LO") is needed only for a tag the dictionary does not
 * know, and otherwise may be NULL; an existing element keeps its VR. A creator-named private
 * path reserves a free block for the creator when it has none. A value the VR cannot hold
 * (e.g. "abc" for US), a sequence or binary VR (OB, OW, UN...) as target, a bad path: 400. */
arca_error_t *arca_dicom_set(arca_dicom_t *d, const char *path, const char *vr,
                             const char *value);

/* Deletes the element at `path`, or when the path ends in an item index, e.g.
 * "(0008,1115)[1]", that item. *deleted (may be NULL) is 1 if something was deleted, 0 if
 * nothing was there (not an error). A bad path: 400. */
arca_error_t *arca_dicom_delete(arca_dicom_t *d, const char *path, int *deleted);

/* Deletes every private element (odd group, creators included) at every depth, also those
 * after the pixel data when writing. *count (may be NULL): how many top-level or nested
 * elements went. */
arca_error_t *arca_dicom_delete_private(arca_dicom_t *d, int *count);

/* One element as arca_dicom_iterate sees it; valid only during the callback. */
typedef struct arca_dicom_element_t {
    const char *path;        /* concrete path, e.g. "(0008,1115)[0]/(0008,1155)" */
    unsigned group, element; /* the tag */
    const char *vr;          /* "PN", "SQ", ... */
    int depth;               /* 0 at top level, 1 inside an item of a top-level sequence... */
    int is_private;          /* odd group (creators (gggg,0010-00FF) included) */
    const char *creator;     /* for a private (gggg,xxee) with xx >= 0x10: the value of
                                (gggg,00xx) in the same item, trimmed; NULL if none */
    unsigned long vm;        /* values in the element (items for a sequence) */
    const void *opaque;      /* for arca_dicom_element_value */
    const char *name;        /* the data dictionary's keyword ("PatientName"); NULL for a
                                tag it does not know */
} arca_dicom_element_t;

/* Return non-NULL to stop: arca_dicom_iterate returns that error. The object must not be
 * changed during iteration: collect paths, change afterwards. */
typedef arca_error_t *(*arca_dicom_element_fn)(void *baton, const arca_dicom_element_t *e);

/* Calls fn for every element of the dataset, depth first in tag order: a sequence comes
 * before the elements of its items. File meta elements are not included, nor the top-level
 * pixel data (which stays in the stream) nor what follows it. Strings passed live in p. */
arca_error_t *arca_dicom_iterate(arca_dicom_t *d, apr_pool_t *p, arca_dicom_element_fn fn,
                                 void *baton);

/* The same for the file meta elements (0002,eeee) as they were read (none for a bare
 * dataset or a synthetic object), all at depth 0. */
arca_error_t *arca_dicom_iterate_meta(arca_dicom_t *d, apr_pool_t *p, arca_dicom_element_fn fn,
                                      void *baton);

/* Resolves a tag given as "00100010", "0010,0010", "(0010,0010)" or a data dictionary
 * keyword ("PatientName", case-sensitive). Returns 1 and sets *group, *element if it
 * names a tag, else 0. */
int arca_dicom_tag_lookup(const char *name, unsigned *group, unsigned *element);

/* The value of the element being iterated, as arca_dicom_get gives it; a sequence: 400.
 * Only during the callback. */
arca_error_t *arca_dicom_element_value(const arca_dicom_element_t *e, apr_pool_t *p,
                                       const char **value);

/* The dataset interface of the de-identification engine (deid_script.h) over these
 * functions: pass it to arca_deid_run with the arca_dicom_t * as `ds`. `get` gives NULL for
 * an absent element, a sequence or a bad path; `set` gives an element the dictionary does
 * not know the VR LO; `remove` of an absent element succeeds. */
struct arca_deid_dataset_ops;
const struct arca_deid_dataset_ops *arca_dicom_deid_ops(void);

/* ---- what the import needs --------------------------------------------------------------- */

/* Top-level values, each NULL when absent or empty, trimmed. */
typedef struct arca_dicom_info_t {
    const char *transfer_syntax;    /* always set */
    const char *sop_class_uid;      /* (0008,0016) */
    const char *sop_instance_uid;   /* (0008,0018) */
    const char *study_uid;          /* (0020,000D) */
    const char *series_uid;         /* (0020,000E) */
    const char *modality;           /* (0008,0060) */
    const char *series_number;      /* (0020,0011) */
    const char *instance_number;    /* (0020,0013) */
    const char *series_description; /* (0008,103E) */
    const char *study_description;  /* (0008,1030) */
    const char *study_date;         /* (0008,0020) */
    const char *study_time;         /* (0008,0030) */
    const char *study_id;           /* (0020,0010) */
    const char *accession_number;   /* (0008,0050) */
    const char *patient_name;       /* (0010,0010) */
    const char *patient_id;         /* (0010,0020) */
    const char *patient_comments;   /* (0010,4000) */
    const char *study_comments;     /* (0032,4000) */
    const char *number_of_frames;   /* (0028,0008) */
    const char *manufacturer;       /* (0008,0070) */
    const char *model;              /* (0008,1090) Manufacturer's Model Name */
} arca_dicom_info_t;

arca_error_t *arca_dicom_info(arca_dicom_t *d, apr_pool_t *p, arca_dicom_info_t *info);

/* ---- what DICOMweb needs ------------------------------------------------------------------ */

/* The dataset as a DICOM JSON object (PS3.18 F.2), compact, in UTF-8 (values converted from
 * the object's Specific Character Set when iconv knows it): no meta header, no top-level
 * pixel data, nothing after it. Binary values (OB, OW, UN...) of more than 1 KiB are written
 * as {"vr":..,"BulkDataURI":"GGGGEEEE"}, the 8 hex digits of their tag, which the server turns
 * into a URI of its own; smaller ones as InlineBinary. */
arca_error_t *arca_dicom_json(arca_dicom_t *d, apr_pool_t *p, const char **json);

/* After arca_dicom_write: where the top-level pixel data's value (after its tag, VR and
 * length) lies in what was written (of_input 0) or in what was read (of_input 1), and its
 * length (for encapsulated pixel data: the items and the sequence delimiter). 0 when
 * unknown: no pixel data, a synthetic object, or a deflated transfer syntax (offsets into
 * compressed bytes). */
int arca_dicom_pixel_span(const arca_dicom_t *d, int of_input, apr_off_t *offset,
                          apr_off_t *length, int *encapsulated);

/* ---- synthetic objects for tests and benchmarks ------------------------------------------ */

typedef struct arca_dicom_synthetic_t {
    const char *modality;     /* "CT" (CT Image Storage) or "MR" (MR Image Storage); NULL: CT */
    const char *study_uid;    /* NULL: a new UID (each NULL UID is new) */
    const char *series_uid;
    const char *sop_uid;
    const char *patient_name; /* NULL: "Synthetic^Patient" */
    const char *patient_id;   /* NULL: "SYNTH001" */
    unsigned rows, cols;      /* 0: 64 */
    unsigned frames;          /* 0 or 1: single frame; more: Number of Frames is set */
    int series_number, instance_number; /* 0: 1 */
    int implicit_vr;          /* 1: implicit VR little endian; 0: explicit VR little endian */
} arca_dicom_synthetic_t;

/* Makes a CT or MR image (16-bit unsigned MONOCHROME2) with the given identity in p. Its pixel
 * data (rows * cols * frames * 2 bytes, at most 4 GiB - 2: else 400) is a pattern made
 * while writing, so even a large object costs no memory. spec may be NULL (all defaults). */
arca_error_t *arca_dicom_synthetic(apr_pool_t *p, const arca_dicom_synthetic_t *spec,
                                   arca_dicom_t **d);

#ifdef __cplusplus
}
#endif

#endif
