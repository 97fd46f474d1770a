/* The DICOM bridge over dcmtk: pydicom's test files (every transfer syntax dcmtk reads),
 * element access and changes, round trips with the pixel data byte for byte, bad input,
 * synthetic objects and a 64 MiB object streamed in constant memory, deflated objects read
 * within bounds.
 * ARCA_DICOM_TEST_OUT=dir keeps the files written, for checks with dcmdump or pydicom. */
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <apr_file_io.h>
#include <zlib.h>

#include "deid/deid_script.h"
#include "dicom/dicom.h"
#include "dicom/json_text.h"

#define TEST_FILES "/usr/lib/python3/dist-packages/pydicom/data/test_files"

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct {
    char *data;
    size_t len, cap;
    size_t fail_after; /* 0: never */
} mem_t;

static int mem_write(void *baton, const char *data, size_t len)
{
    mem_t *m = baton;

    if (m->fail_after && m->len + len > m->fail_after)
        return -1;
    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->data = realloc(m->data, m->cap);
        assert_non_null(m->data);
    }
    memcpy(m->data + m->len, data, len);
    m->len += len;
    return 0;
}

/* Feeds a buffer in chunks of `chunk` bytes. */
typedef struct {
    const char *data;
    size_t len, pos, chunk;
    arca_error_t *fail; /* returned once pos >= fail_at */
    size_t fail_at;
} feed_t;

static arca_error_t *feed_read(void *baton, const void **buf, apr_size_t *len)
{
    feed_t *f = baton;
    size_t n = f->len - f->pos;

    if (f->fail && f->pos >= f->fail_at)
        return f->fail;
    if (n > f->chunk)
        n = f->chunk;
    *buf = f->data + f->pos;
    *len = n;
    f->pos += n;
    return NULL;
}

static char *slurp(apr_pool_t *p, const char *path, size_t *len)
{
    char *data;
    apr_size_t n;
    apr_finfo_t fi;
    apr_file_t *f;

    assert_int_equal(apr_file_open(&f, path, APR_FOPEN_READ, 0, p), APR_SUCCESS);
    assert_int_equal(apr_file_info_get(&fi, APR_FINFO_SIZE, f), APR_SUCCESS);
    data = apr_palloc(p, fi.size + 1);
    n = fi.size;
    assert_int_equal(apr_file_read_full(f, data, n, &n), APR_SUCCESS);
    apr_file_close(f);
    *len = n;
    return data;
}

static arca_dicom_t *read_mem(apr_pool_t *p, feed_t *f)
{
    arca_dicom_t *d = NULL;
    arca_error_t *err = arca_dicom_read(p, feed_read, f, &d);

    if (err)
        fail_msg("read: %d %s", err->status, err->message);
    return d;
}

static const char *get(apr_pool_t *p, arca_dicom_t *d, const char *path)
{
    const char *v = NULL;
    arca_error_t *err = arca_dicom_get(d, path, p, &v);

    return err ? NULL : v;
}

static void keep(const char *name, const mem_t *m)
{
    const char *dir = getenv("ARCA_DICOM_TEST_OUT");
    char path[1024];
    FILE *f;

    if (!dir)
        return;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(m->data, 1, m->len, f);
    fclose(f);
}

/* Offset of the last top-level pixel data tag (good enough for these files). */
static long pixel_offset(const char *data, size_t len, int be)
{
    static const char le_tag[4] = {'\xE0', '\x7F', '\x10', '\x00'};
    static const char be_tag[4] = {'\x7F', '\xE0', '\x00', '\x10'};

    for (size_t i = len >= 4 ? len - 4 : 0; i-- > 0;)
        if (memcmp(data + i, be ? be_tag : le_tag, 4) == 0)
            return (long)i;
    return -1;
}

typedef struct {
    int n, private_n, with_creator, max_depth;
    apr_pool_t *p;
    arca_dicom_t *d;
} count_t;

static arca_error_t *count_one(void *baton, const arca_dicom_element_t *e)
{
    count_t *c = baton;
    const char *v;

    c->n += e->element != 0; /* group lengths are not written */
    c->private_n += e->is_private;
    c->with_creator += e->creator != NULL;
    if (e->depth > c->max_depth)
        c->max_depth = e->depth;
    assert_int_equal(e->is_private, (int)(e->group & 1));
    /* the path given leads back to the same element */
    if (strcmp(e->vr, "SQ") != 0 && arca_dicom_element_value(e, c->p, &v) == NULL) {
        const char *again = get(c->p, c->d, e->path);
        assert_non_null(again);
        assert_string_equal(again, v);
    }
    return NULL;
}

static count_t count(apr_pool_t *p, arca_dicom_t *d)
{
    count_t c = {0, 0, 0, 0, p, d};

    assert_null(arca_dicom_iterate(d, p, count_one, &c));
    return c;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void reads_known_values(void **state)
{
    apr_pool_t *p = *state;
    arca_dicom_t *d;
    arca_dicom_info_t info;
    const char *vr;

    assert_null(arca_dicom_read_file(p, TEST_FILES "/CT_small.dcm", &d));
    assert_string_equal(arca_dicom_transfer_syntax(d), "1.2.840.10008.1.2.1");
    assert_null(arca_dicom_info(d, p, &info));
    assert_string_equal(info.sop_instance_uid,
                        "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322");
    assert_string_equal(info.study_uid, "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322");
    assert_string_equal(info.sop_class_uid, "1.2.840.10008.5.1.4.1.1.2");
    assert_string_equal(info.modality, "CT");
    assert_string_equal(info.series_number, "1");
    assert_string_equal(info.patient_name, "CompressedSamples^CT1");
    assert_string_equal(info.transfer_syntax, "1.2.840.10008.1.2.1");
    assert_null(info.number_of_frames);
    assert_string_equal(get(p, d, "(0010,0010)"), "CompressedSamples^CT1");
    assert_string_equal(get(p, d, "(0008,0008)"), "ORIGINAL\\PRIMARY\\AXIAL");
    assert_string_equal(get(p, d, "(0028,0010)"), "128");
    assert_string_equal(get(p, d, "(0028,0030)"), "0.661468\\0.661468");
    assert_null(arca_dicom_get_vr(d, "(0010,0010)", &vr));
    assert_string_equal(vr, "PN");
    assert_null(get(p, d, "(7FE0,0010)")); /* stays in the stream */
    assert_int_equal(arca_dicom_get(d, "(0010,9999)", p, &vr)->status, 404);
    assert_int_equal(arca_dicom_get(d, "(0010,001", p, &vr)->status, 400);
    assert_int_equal(arca_dicom_get(d, "(0002,0010)", p, &vr)->status, 400);
    assert_int_equal(arca_dicom_get(d, "(0010,0010)/(0010,0010)", p, &vr)->status, 400);

    assert_null(arca_dicom_read_file(p, TEST_FILES "/ExplVR_BigEnd.dcm", &d));
    assert_string_equal(arca_dicom_transfer_syntax(d), "1.2.840.10008.1.2.2");
    assert_string_equal(get(p, d, "(0008,0060)"), "US");
    assert_string_equal(get(p, d, "(0028,0010)"), "60");

    /* bare datasets: transfer syntax detected */
    assert_null(arca_dicom_read_file(p, TEST_FILES "/ExplVR_BigEndNoMeta.dcm", &d));
    assert_string_equal(arca_dicom_transfer_syntax(d), "1.2.840.10008.1.2.2");
    assert_string_equal(get(p, d, "(0008,0018)"), "1.2.333.4444.5.6.7.8");
    assert_null(arca_dicom_read_file(p, TEST_FILES "/ExplVR_LitEndNoMeta.dcm", &d));
    assert_string_equal(arca_dicom_transfer_syntax(d), "1.2.840.10008.1.2.1");
    assert_string_equal(get(p, d, "(0008,0060)"), "RTPLAN");

    assert_null(arca_dicom_read_file(p, TEST_FILES "/image_dfl.dcm", &d));
    assert_string_equal(arca_dicom_transfer_syntax(d), "1.2.840.10008.1.2.1.99");
    assert_string_equal(get(p, d, "(0008,0018)"),
                        "1.3.6.1.4.1.5962.1.1.0.0.0.977067309.6001.0");

    assert_null(arca_dicom_read_file(p, TEST_FILES "/JPEG2000.dcm", &d));
    assert_string_equal(arca_dicom_transfer_syntax(d), "1.2.840.10008.1.2.4.91");
    assert_null(arca_dicom_info(d, p, &info));
    assert_string_equal(info.modality, "NM");

    /* every element but a few stored as UN: read with the dictionary's VRs */
    assert_null(arca_dicom_read_file(p, TEST_FILES "/rtdose_rle.dcm", &d));
    assert_null(arca_dicom_get_vr(d, "(0010,0010)", &vr));
    assert_string_equal(vr, "PN");
    assert_string_equal(get(p, d, "(0010,0010)"), "Lastname^Firstname");
    assert_null(arca_dicom_info(d, p, &info));
    assert_string_equal(info.modality, "RTDOSE");
    assert_null(arca_dicom_set(d, "(0010,0010)", NULL, "Sub1"));
}

static void sequences_and_private_elements(void **state)
{
    apr_pool_t *p = *state;
    arca_dicom_t *d;
    count_t c;
    int n, deleted;
    const char *vr;

    assert_null(arca_dicom_read_file(p, TEST_FILES "/rtplan.dcm", &d));
    c = count(p, d);
    assert_true(c.max_depth >= 2);
    assert_null(arca_dicom_item_count(d, "(300A,00B0)", &n));
    assert_true(n >= 1);
    assert_non_null(get(p, d, "(300A,00B0)[0]/(300A,0111)[0]/(300A,0112)"));
    assert_int_equal(arca_dicom_get(d, "(300A,00B0)[99]/(300A,00B2)", p, &vr)->status, 404);
    assert_int_equal(arca_dicom_get(d, "(300A,00B0)", p, &vr)->status, 400);

    /* CT_small has private groups with creators */
    assert_null(arca_dicom_read_file(p, TEST_FILES "/CT_small.dcm", &d));
    c = count(p, d);
    assert_true(c.private_n > 0);
    assert_true(c.with_creator > 0);
    assert_string_equal(get(p, d, "(0043,{GEMS_PARM_01}1E)"), get(p, d, "(0043,101E)"));
    assert_null(get(p, d, "(0043,{NO SUCH CREATOR}1E)"));
    assert_null(arca_dicom_delete_private(d, &n));
    assert_int_equal(n, c.private_n);
    c = count(p, d);
    assert_int_equal(c.private_n, 0);

    /* items can be deleted; absent is no error */
    assert_null(arca_dicom_read_file(p, TEST_FILES "/rtplan.dcm", &d));
    assert_null(arca_dicom_item_count(d, "(300A,0010)", &n));
    assert_null(arca_dicom_delete(d, "(300A,0010)[0]", &deleted));
    assert_int_equal(deleted, 1);
    assert_null(arca_dicom_item_count(d, "(300A,0010)", &deleted));
    assert_int_equal(deleted, n - 1);
    assert_null(arca_dicom_delete(d, "(300A,0010)", &deleted));
    assert_int_equal(deleted, 1);
    assert_null(arca_dicom_delete(d, "(300A,0010)", &deleted));
    assert_int_equal(deleted, 0);
    assert_null(arca_dicom_delete(d, "(300A,0010)[0]/(300A,0012)", &deleted));
    assert_int_equal(deleted, 0);
}

static void modify_write_reread(void **state)
{
    apr_pool_t *p = *state;
    arca_dicom_t *d, *d2;
    mem_t m = {0};
    feed_t f;
    const char *newuid = "1.2.826.0.1.3680043.2.1125.999.1";
    const char *olduid = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322";
    int deleted;

    assert_null(arca_dicom_read_file(p, TEST_FILES "/CT_small.dcm", &d));
    assert_null(arca_dicom_set(d, "(0010,0010)", NULL, "Anon^Ymous"));
    assert_null(arca_dicom_delete(d, "(0010,0030)", &deleted));
    assert_int_equal(deleted, 1);
    assert_null(arca_dicom_set(d, "(0010,4000)", NULL, "Project: P1 Subject: S1"));
    assert_null(arca_dicom_set(d, "(0008,1115)[0]/(0008,1140)[0]/(0008,1155)", NULL, "1.2.3"));
    assert_null(arca_dicom_set(d, "(0008,1115)[0]/(0008,1140)[1]/(0008,1155)", NULL, "1.2.4"));
    assert_int_equal(arca_dicom_set(d, "(0008,1115)[0]/(0008,1140)[5]/(0008,1155)", NULL,
                                    "1.2.5")->status, 400);
    assert_null(arca_dicom_set(d, "(0008,0018)", NULL, newuid));
    assert_null(arca_dicom_set(d, "(0028,1050)", NULL, "40\\50"));
    assert_int_equal(arca_dicom_set(d, "(0028,0010)", NULL, "abc")->status, 400);
    assert_int_equal(arca_dicom_set(d, "(0008,0020)", NULL, "2024-01-01")->status, 400);
    assert_int_equal(arca_dicom_set(d, "(7FE0,0010)", NULL, "1")->status, 400);
    assert_int_equal(arca_dicom_set(d, "(0009,1099)", NULL, "x")->status, 400); /* no VR */
    assert_null(arca_dicom_set(d, "(0009,1099)", "LO", "x"));
    /* (0029,0010) is GEMS_IMPS_01's: the new creator gets (0029,0011) */
    assert_null(arca_dicom_set(d, "(0029,{ARCA TEST}10)", "LO", "private value"));
    assert_string_equal(get(p, d, "(0029,0011)"), "ARCA TEST");
    assert_string_equal(get(p, d, "(0029,1110)"), "private value");
    assert_null(arca_dicom_write(d, mem_write, &m));
    keep("CT_small_modified.dcm", &m);
    assert_int_equal(arca_dicom_write(d, mem_write, &m)->status, 500); /* once */

    f = (feed_t){m.data, m.len, 0, 333, NULL, 0};
    d2 = read_mem(p, &f);
    assert_string_equal(get(p, d2, "(0010,0010)"), "Anon^Ymous");
    assert_null(get(p, d2, "(0010,0030)"));
    assert_string_equal(get(p, d2, "(0010,4000)"), "Project: P1 Subject: S1");
    assert_string_equal(get(p, d2, "(0008,1115)[0]/(0008,1140)[1]/(0008,1155)"), "1.2.4");
    assert_string_equal(get(p, d2, "(0008,0018)"), newuid);
    assert_string_equal(get(p, d2, "(0028,1050)"), "40\\50");
    assert_string_equal(get(p, d2, "(0029,{ARCA TEST}10)"), "private value");
    /* (0002,0003) follows the new SOP Instance UID: it is there twice, the old one never */
    assert_non_null(memmem(m.data, 400, newuid, strlen(newuid)));
    assert_null(memmem(m.data, m.len, olduid, strlen(olduid)));
    free(m.data);
}

/* Every file of pydicom's set that dcmtk reads: read in small chunks, write, read again;
 * the pixel data element goes through byte for byte. */
static void every_test_file_round_trips(void **state)
{
    apr_pool_t *p = *state;
    DIR *dir = opendir(TEST_FILES);
    struct dirent *de;
    int files = 0;

    assert_non_null(dir);
    while ((de = readdir(dir))) {
        apr_pool_t *fp;
        arca_dicom_t *d, *d2;
        arca_dicom_info_t info, info2;
        arca_error_t *err;
        const char *name = de->d_name;
        char *data;
        size_t len;
        mem_t m = {0};
        feed_t f;
        count_t c1, c2;
        size_t nlen = strlen(name);

        if (nlen < 4 || strcmp(name + nlen - 4, ".dcm") != 0)
            continue;
        apr_pool_create(&fp, p);
        data = slurp(fp, apr_pstrcat(fp, TEST_FILES "/", name, NULL), &len);
        f = (feed_t){data, len, 0, 1 + (size_t)(files * 37) % 4096, NULL, 0};
        err = arca_dicom_read(fp, feed_read, &f, &d);
        if (!strcmp(name, "no_meta.dcm") || !strcmp(name, "SC_rgb_jpeg.dcm") ||
            !strcmp(name, "rtplan_truncated.dcm")) {
            /* dcmdump refuses them too */
            assert_non_null(err);
            assert_int_equal(err->status, 400);
            apr_pool_destroy(fp);
            continue;
        }
        if (err)
            fail_msg("%s: %d %s", name, err->status, err->message);
        assert_null(arca_dicom_info(d, fp, &info));
        c1 = count(fp, d);
        err = arca_dicom_write(d, mem_write, &m);
        if (!strcmp(name, "MR_truncated.dcm")) { /* truncated in the pixel data */
            assert_non_null(err);
            assert_int_equal(err->status, 400);
            free(m.data);
            apr_pool_destroy(fp);
            continue;
        }
        if (!info.sop_class_uid || !info.sop_instance_uid) {
            assert_non_null(err);
            assert_int_equal(err->status, 400);
            free(m.data);
            apr_pool_destroy(fp);
            continue;
        }
        if (err)
            fail_msg("%s: write %d %s", name, err->status, err->message);
        keep(name, &m);
        assert_memory_equal(m.data + 128, "DICM", 4);
        f = (feed_t){m.data, m.len, 0, 4096, NULL, 0};
        d2 = read_mem(fp, &f);
        assert_null(arca_dicom_info(d2, fp, &info2));
        assert_string_equal(info.transfer_syntax, info2.transfer_syntax);
        assert_string_equal(info.sop_instance_uid, info2.sop_instance_uid);
        c2 = count(fp, d2);
        assert_int_equal(c1.n, c2.n);
        /* pixel data element unchanged (what followed it may be dropped: padding) */
        if (strcmp(info.transfer_syntax, "1.2.840.10008.1.2.1.99") != 0) {
            int be = strcmp(info.transfer_syntax, "1.2.840.10008.1.2.2") == 0;
            long o1 = pixel_offset(data, len, be), o2 = pixel_offset(m.data, m.len, be);
            if (o1 >= 0) {
                if (o2 < 0 || len - o1 < m.len - o2 ||
                    memcmp(data + o1, m.data + o2, m.len - o2) != 0)
                    fail_msg("%s: pixel data differs", name);
                assert_true(len - o1 >= m.len - o2);
                assert_memory_equal(data + o1, m.data + o2, m.len - o2);
            }
        }
        free(m.data);
        apr_pool_destroy(fp);
        files++;
    }
    closedir(dir);
    assert_true(files >= 55);
}

static void bad_input_is_400(void **state)
{
    apr_pool_t *p = *state;
    arca_dicom_t *d;
    arca_error_t *err, io = {503, "the upload broke"};
    char *data;
    size_t len;
    feed_t f;
    static const char garbage[] = "this is not a DICOM object at all, just some text, "
                                  "long enough to look at. 0123456789 0123456789 0123456789"
                                  "0123456789 0123456789 0123456789 0123456789 0123456789";
    mem_t m = {0};

    f = (feed_t){garbage, sizeof garbage, 0, 10, NULL, 0};
    err = arca_dicom_read(p, feed_read, &f, &d);
    assert_non_null(err);
    assert_int_equal(err->status, 400);
    assert_string_equal(err->message, "not a DICOM object");
    f = (feed_t){garbage, 0, 0, 10, NULL, 0};
    assert_int_equal(arca_dicom_read(p, feed_read, &f, &d)->status, 400);
    assert_int_equal(arca_dicom_read_file(p, "/nonexistent/x.dcm", &d)->status, 404);

    /* a DICOM preamble and magic followed by junk */
    {
        char junk[400];
        memset(junk, 0, 128);
        memcpy(junk + 128, "DICM", 4);
        for (int i = 132; i < 400; i++)
            junk[i] = (char)(i * 7919);
        f = (feed_t){junk, sizeof junk, 0, 64, NULL, 0};
        err = arca_dicom_read(p, feed_read, &f, &d);
        assert_non_null(err);
        assert_int_equal(err->status, 400);
    }

    /* every truncation of the header of CT_small: 400, never a crash. A cut between two
     * elements parses as a complete dataset; from the image pixel module on it is refused
     * (an image without pixel data), before it (30 of the cuts here) it cannot be told. */
    data = slurp(p, TEST_FILES "/CT_small.dcm", &len);
    int complete = 0;
    for (size_t cut = 0; cut < 3000; cut += 7) {
        apr_pool_t *tp;
        apr_pool_create(&tp, p);
        f = (feed_t){data, cut, 0, 100, NULL, 0};
        err = arca_dicom_read(tp, feed_read, &f, &d);
        if (!err) { /* cut inside the pixel data: found when writing */
            m.len = 0;
            err = arca_dicom_write(d, mem_write, &m);
        }
        if (err)
            assert_int_equal(err->status, 400);
        else
            complete++;
        apr_pool_destroy(tp);
    }
    assert_true(complete <= 30);
    /* cut in the pixel data: the read succeeds, the write says so */
    f = (feed_t){data, len - 1000, 0, 1000, NULL, 0};
    d = read_mem(p, &f);
    m.len = 0;
    err = arca_dicom_write(d, mem_write, &m);
    assert_non_null(err);
    assert_int_equal(err->status, 400);
    assert_string_equal(err->message, "truncated DICOM object (pixel data)");

    /* read errors pass through, in the header and in the pixel data */
    f = (feed_t){data, len, 0, 100, &io, 500};
    assert_ptr_equal(arca_dicom_read(p, feed_read, &f, &d), &io);
    {   /* past what the header read fetches ahead (256 KiB) */
        arca_dicom_synthetic_t spec = {0};
        mem_t big = {0};
        spec.rows = spec.cols = 512;
        assert_null(arca_dicom_synthetic(p, &spec, &d));
        assert_null(arca_dicom_write(d, mem_write, &big));
        f = (feed_t){big.data, big.len, 0, 1000, &io, big.len - 5000};
        d = read_mem(p, &f);
        m.len = 0;
        assert_ptr_equal(arca_dicom_write(d, mem_write, &m), &io);
        free(big.data);
    }
    /* a failing sink: 500 */
    f = (feed_t){data, len, 0, 1000, NULL, 0};
    d = read_mem(p, &f);
    m.len = 0;
    m.fail_after = 10000;
    err = arca_dicom_write(d, mem_write, &m);
    assert_non_null(err);
    assert_int_equal(err->status, 500);
    free(m.data);
}

static void synthetic_objects_round_trip(void **state)
{
    apr_pool_t *p = *state;
    arca_dicom_t *d, *d2;
    arca_dicom_info_t info;
    arca_dicom_synthetic_t spec = {0};
    mem_t m = {0}, m2 = {0};
    feed_t f;

    spec.modality = "MR";
    spec.study_uid = "1.2.826.0.1.3680043.2.1125.1";
    spec.series_uid = "1.2.826.0.1.3680043.2.1125.1.2";
    spec.sop_uid = "1.2.826.0.1.3680043.2.1125.1.2.3";
    spec.patient_name = "Test^Subject";
    spec.patient_id = "S001";
    spec.rows = 32;
    spec.cols = 48;
    spec.frames = 3;
    spec.series_number = 7;
    assert_null(arca_dicom_synthetic(p, &spec, &d));
    assert_null(arca_dicom_write(d, mem_write, &m));
    assert_null(arca_dicom_write(d, mem_write, &m2)); /* synthetic: again */
    assert_int_equal(m.len, m2.len);
    assert_memory_equal(m.data, m2.data, m.len);
    keep("synthetic_mr.dcm", &m);
    f = (feed_t){m.data, m.len, 0, 100, NULL, 0};
    d2 = read_mem(p, &f);
    assert_null(arca_dicom_info(d2, p, &info));
    assert_string_equal(info.modality, "MR");
    assert_string_equal(info.sop_class_uid, "1.2.840.10008.5.1.4.1.1.4");
    assert_string_equal(info.study_uid, spec.study_uid);
    assert_string_equal(info.series_uid, spec.series_uid);
    assert_string_equal(info.sop_instance_uid, spec.sop_uid);
    assert_string_equal(info.patient_name, "Test^Subject");
    assert_string_equal(info.patient_id, "S001");
    assert_string_equal(info.series_number, "7");
    assert_string_equal(info.number_of_frames, "3");
    assert_string_equal(info.transfer_syntax, "1.2.840.10008.1.2.1");
    assert_string_equal(get(p, d2, "(0028,0010)"), "32");
    /* pixel data: 32*48*3*2 bytes after a 12-byte header, at the end */
    assert_true(m.len > 32 * 48 * 3 * 2 + 12);
    assert_memory_equal(m.data + m.len - 32 * 48 * 3 * 2 - 12, "\xE0\x7F\x10\x00OW\0\0", 8);

    /* defaults, implicit VR */
    spec = (arca_dicom_synthetic_t){0};
    spec.implicit_vr = 1;
    assert_null(arca_dicom_synthetic(p, &spec, &d));
    m.len = 0;
    assert_null(arca_dicom_write(d, mem_write, &m));
    f = (feed_t){m.data, m.len, 0, 100, NULL, 0};
    d2 = read_mem(p, &f);
    assert_null(arca_dicom_info(d2, p, &info));
    assert_string_equal(info.transfer_syntax, "1.2.840.10008.1.2");
    assert_string_equal(info.modality, "CT");
    assert_non_null(info.sop_instance_uid);
    spec.modality = "US";
    assert_int_equal(arca_dicom_synthetic(p, &spec, &d)->status, 400);
    free(m.data);
    free(m2.data);
}

/* ---- 64 MiB streamed through read + write in small chunks, in constant memory ------------ */

typedef struct {
    apr_file_t *f;
} file_sink_t;

static int file_write(void *baton, const char *data, size_t len)
{
    apr_size_t n = len;
    return apr_file_write_full(((file_sink_t *)baton)->f, data, n, &n) != APR_SUCCESS;
}

typedef struct {
    apr_file_t *f;
    char buf[1000];
} file_feed_t;

static arca_error_t *file_feed(void *baton, const void **buf, apr_size_t *len)
{
    file_feed_t *ff = baton;
    apr_size_t n = sizeof ff->buf;
    apr_status_t rv = apr_file_read(ff->f, ff->buf, &n);

    *buf = ff->buf;
    *len = rv == APR_EOF ? 0 : n;
    return NULL;
}

/* Compares what is written with a file's content. */
typedef struct {
    apr_file_t *f;
    size_t total, mismatch;
    char buf[65536];
} compare_t;

static int compare_write(void *baton, const char *data, size_t len)
{
    compare_t *c = baton;

    while (len > 0) {
        apr_size_t n = len < sizeof c->buf ? len : sizeof c->buf;
        if (apr_file_read_full(c->f, c->buf, n, &n) != APR_SUCCESS)
            return -1;
        if (memcmp(c->buf, data, n) != 0)
            c->mismatch++;
        data += n;
        len -= n;
        c->total += n;
    }
    return 0;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void large_object_streams_in_constant_memory(void **state)
{
    apr_pool_t *p = *state;
    arca_dicom_t *d;
    arca_dicom_synthetic_t spec = {0};
    char path[] = "/tmp/arca-dicom-XXXXXX";
    file_sink_t fs;
    file_feed_t *ff = apr_pcalloc(p, sizeof *ff);
    compare_t *cmp = apr_pcalloc(p, sizeof *cmp);
    apr_finfo_t fi;
    long before;

    assert_int_equal(apr_file_mktemp(&fs.f, path, APR_FOPEN_CREATE | APR_FOPEN_READ |
                                     APR_FOPEN_WRITE | APR_FOPEN_EXCL | APR_FOPEN_DELONCLOSE,
                                     p), APR_SUCCESS);
    spec.rows = 4096;
    spec.cols = 8192; /* 64 MiB of pixel data */
    before = max_rss_kb();
    assert_null(arca_dicom_synthetic(p, &spec, &d));
    assert_null(arca_dicom_write(d, file_write, &fs));
    assert_int_equal(apr_file_info_get(&fi, APR_FINFO_SIZE, fs.f), APR_SUCCESS);
    assert_true(fi.size > 64 * 1024 * 1024);

    /* read it back 1000 bytes at a time, write it out, compare with the file */
    assert_int_equal(apr_file_open(&ff->f, path, APR_FOPEN_READ, 0, p), APR_SUCCESS);
    assert_int_equal(apr_file_open(&cmp->f, path, APR_FOPEN_READ, 0, p), APR_SUCCESS);
    d = NULL;
    {
        arca_error_t *err = arca_dicom_read(p, file_feed, ff, &d);
        if (err)
            fail_msg("%d %s", err->status, err->message);
    }
    assert_null(arca_dicom_write(d, compare_write, cmp));
    assert_int_equal(cmp->total, (size_t)fi.size);
    assert_int_equal(cmp->mismatch, 0);
    /* no more than a few MiB more than before, whatever the size */
    assert_true(max_rss_kb() - before < 16 * 1024);
    apr_file_close(fs.f);
}

/* ---- the deflated transfer syntax ------------------------------------------------------ */

/* Appends an explicit VR little endian element that declares `declared` bytes and holds the
 * n bytes of v (fewer than declared: cut short). */
static void put_element(mem_t *m, unsigned g, unsigned e, const char *vr, const void *v,
                        size_t n, apr_uint32_t declared)
{
    unsigned char h[12] = {g & 0xFF, g >> 8, e & 0xFF, e >> 8, vr[0], vr[1], 0, 0};
    int long_form = strcmp(vr, "OB") == 0 || strcmp(vr, "UN") == 0;

    if (long_form) {
        for (int i = 0; i < 4; i++)
            h[8 + i] = (declared >> (8 * i)) & 0xFF;
    } else {
        h[6] = declared & 0xFF;
        h[7] = (declared >> 8) & 0xFF;
    }
    assert_int_equal(mem_write(m, (const char *)h, long_form ? 12 : 8), 0);
    if (n)
        assert_int_equal(mem_write(m, v, n), 0);
}

/* The identifying elements every dataset below starts with. */
static void put_identity(mem_t *m)
{
    put_element(m, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7", 26, 26);
    put_element(m, 0x0008, 0x0018, "UI", "1.2.3.4.5.6.7", 14, 14);
    put_element(m, 0x0010, 0x0010, "PN", "Deflated^Test ", 14, 14);
}

/* A Part 10 file of the deflated transfer syntax: image_dfl.dcm's meta header (which names
 * it) followed by `dataset` raw-deflated, as the syntax wants. */
static char *deflated_object(apr_pool_t *p, const mem_t *dataset, size_t *len,
                             size_t *meta_len)
{
    size_t flen, meta, cap;
    char *file = slurp(p, TEST_FILES "/image_dfl.dcm", &flen), *out;
    const unsigned char *gl = (const unsigned char *)file + 140; /* (0002,0000)'s value */
    z_stream z;

    memset(&z, 0, sizeof z);
    meta = 144 + (gl[0] | gl[1] << 8 | gl[2] << 16 | (size_t)gl[3] << 24);
    cap = meta + compressBound(dataset->len) + 64;
    out = apr_palloc(p, cap);
    memcpy(out, file, meta);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)dataset->data;
    z.avail_in = dataset->len;
    z.next_out = (Bytef *)out + meta;
    z.avail_out = cap - meta;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *len = meta + z.total_out;
    if (meta_len)
        *meta_len = meta;
    deflateEnd(&z);
    return out;
}

static arca_error_t *read_error(apr_pool_t *p, const char *data, size_t len)
{
    feed_t f = {data, len, 0, 1000, NULL, 0};
    arca_dicom_t *d;

    return arca_dicom_read(p, feed_read, &f, &d);
}

/* The peak of the address space: an allocation counts even if never touched. */
static long vm_peak_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;

    assert_non_null(f);
    while (kb < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "VmPeak: %ld kB", &kb) != 1)
            kb = -1;
    fclose(f);
    assert_true(kb > 0);
    return kb;
}

static void deflated_objects_are_read_within_bounds(void **state)
{
    apr_pool_t *p = *state;
    mem_t ds = {0}, out = {0};
    unsigned char blob[8192];
    size_t len, meta;
    char *obj, *padded;
    arca_dicom_t *d, *d2;
    arca_error_t *err;
    const char *v;
    feed_t f;
    long before;

    /* valid, with a value longer than dcmtk reads at once (loaded from the inflated data) */
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (unsigned char)(i * 7);
    put_identity(&ds);
    put_element(&ds, 0x0009, 0x0010, "LO", "ARCA TEST ", 10, 10);
    put_element(&ds, 0x0009, 0x1000, "OB", blob, sizeof blob, sizeof blob);
    obj = deflated_object(p, &ds, &len, &meta);
    f = (feed_t){obj, len, 0, 1000, NULL, 0};
    d = read_mem(p, &f);
    assert_string_equal(arca_dicom_transfer_syntax(d), "1.2.840.10008.1.2.1.99");
    assert_string_equal(get(p, d, "(0010,0010)"), "Deflated^Test");
    v = get(p, d, "(0009,1000)");
    assert_non_null(v);
    assert_true(strncmp(v, "00\\07\\0e\\15", 11) == 0);
    /* written deflated again, and read back the same */
    assert_null(arca_dicom_set(d, "(0010,0020)", NULL, "DFL1"));
    assert_null(arca_dicom_write(d, mem_write, &out));
    keep("deflated.dcm", &out);
    f = (feed_t){out.data, out.len, 0, 777, NULL, 0};
    d2 = read_mem(p, &f);
    assert_string_equal(arca_dicom_transfer_syntax(d2), "1.2.840.10008.1.2.1.99");
    assert_string_equal(get(p, d2, "(0010,0020)"), "DFL1");
    assert_string_equal(get(p, d2, "(0009,1000)"), v);
    free(out.data);

    /* a pad byte after the deflated data (an even length) is ignored */
    padded = apr_pcalloc(p, len + 1);
    memcpy(padded, obj, len);
    assert_null(read_error(p, padded, len + 1));

    /* the deflated data cut short, or not deflated data */
    err = read_error(p, obj, len - 10);
    assert_non_null(err);
    assert_int_equal(err->status, 400);
    assert_string_equal(err->message, "truncated deflated DICOM object");
    memcpy(padded + meta, "not deflated", 12);
    err = read_error(p, padded, len);
    assert_non_null(err);
    assert_int_equal(err->status, 400);
    assert_string_equal(err->message, "malformed deflated DICOM object");
    free(ds.data);

    /* an element declaring 4 GiB in a few bytes (tests/fuzz/regressions/dicom/): a
     * truncation, and nothing near that size allocated, even untouched */
    ds = (mem_t){0};
    put_identity(&ds);
    put_element(&ds, 0x0009, 0x1000, "OB", blob, 100, 0xFFFFFFF0u);
    obj = deflated_object(p, &ds, &len, NULL);
    before = vm_peak_kb();
    err = read_error(p, obj, len);
    assert_non_null(err);
    assert_int_equal(err->status, 400);
    assert_non_null(strstr(err->message, "truncated"));
    assert_true(vm_peak_kb() - before < 1024 * 1024);
    free(ds.data);

    /* 65 MiB of zeros deflate to some 65 KiB: refused past ARCA_DICOM_MAX_HEADER */
    ds = (mem_t){0};
    put_identity(&ds);
    {
        size_t big = ARCA_DICOM_MAX_HEADER + (1 << 20);
        char *zeros = calloc(1, big);
        assert_non_null(zeros);
        put_element(&ds, 0x0009, 0x1000, "OB", zeros, big, (apr_uint32_t)big);
        free(zeros);
    }
    obj = deflated_object(p, &ds, &len, NULL);
    free(ds.data);
    assert_true(len < 1024 * 1024);
    err = read_error(p, obj, len);
    assert_non_null(err);
    assert_int_equal(err->status, 413);
    assert_string_equal(err->message, "deflated DICOM object expands past 64 MiB");
}

/* ---- the de-identification engine over the bridge ------------------------------------------ */

static void deid_basic_profile_runs_over_the_bridge(void **state)
{
    apr_pool_t *p = *state;
    arca_deid_program *prog;
    arca_dicom_t *d, *d2;
    arca_deid_env env = {0};
    mem_t m = {0};
    feed_t f;
    count_t c;
    const char *old_sop;

    assert_null(arca_dicom_read_file(p, TEST_FILES "/CT_small.dcm", &d));
    old_sop = get(p, d, "(0008,0018)");
    assert_null(arca_deid_basic_profile(p, NULL, &prog));
    assert_null(arca_deid_run(prog, arca_dicom_deid_ops(), d, &env, p));
    assert_null(arca_dicom_write(d, mem_write, &m));
    keep("CT_small_basic_profile.dcm", &m);
    f = (feed_t){m.data, m.len, 0, 4096, NULL, 0};
    d2 = read_mem(p, &f);
    assert_string_equal(get(p, d2, "(0010,0010)"), "");
    assert_string_equal(get(p, d2, "(0012,0062)"), "YES");
    assert_string_not_equal(get(p, d2, "(0008,0018)"), old_sop);
    assert_null(memmem(m.data, m.len, old_sop, strlen(old_sop)));
    assert_null(memmem(m.data, m.len, "CompressedSamples^CT1", 21));
    c = count(p, d2);
    assert_int_equal(c.private_n, 0);
    free(m.data);
}

static void tags_by_number_and_keyword(void **state)
{
    unsigned g = 0, e = 0;

    (void)state;
    assert_int_equal(arca_dicom_tag_lookup("00100010", &g, &e), 1);
    assert_true(g == 0x0010 && e == 0x0010);
    assert_int_equal(arca_dicom_tag_lookup("(0008,103e)", &g, &e), 1);
    assert_true(g == 0x0008 && e == 0x103E);
    assert_int_equal(arca_dicom_tag_lookup("0020,000D", &g, &e), 1);
    assert_true(g == 0x0020 && e == 0x000D);
    assert_int_equal(arca_dicom_tag_lookup("SeriesDescription", &g, &e), 1);
    assert_true(g == 0x0008 && e == 0x103E);
    assert_int_equal(arca_dicom_tag_lookup("TransferSyntaxUID", &g, &e), 1);
    assert_true(g == 0x0002 && e == 0x0010);
    assert_int_equal(arca_dicom_tag_lookup("NoSuchKeyword", &g, &e), 0);
    assert_int_equal(arca_dicom_tag_lookup("", &g, &e), 0);
    assert_int_equal(arca_dicom_tag_lookup("0010001", &g, &e), 0);
    assert_int_equal(arca_dicom_tag_lookup("Patient Name", &g, &e), 0);
}

/* The DICOM JSON of a written object, and where its pixel data went. */
static void json_and_pixel_span(void **state)
{
    apr_pool_t *p = *state;
    arca_dicom_t *d, *d2;
    arca_dicom_synthetic_t spec = {0};
    mem_t m = {0}, m2 = {0};
    feed_t f;
    const char *json;
    apr_off_t off, len, off2, len2;
    int enc;

    spec.patient_name = "Doe^Jane";
    spec.rows = 16;
    spec.cols = 8;
    spec.frames = 2;
    assert_null(arca_dicom_synthetic(p, &spec, &d));
    assert_null(arca_dicom_write(d, mem_write, &m));
    assert_int_equal(arca_dicom_pixel_span(d, 0, &off, &len, &enc), 0); /* synthetic */
    f = (feed_t){m.data, m.len, 0, 100, NULL, 0};
    d2 = read_mem(p, &f);
    assert_null(arca_dicom_json(d2, p, &json));
    assert_non_null(strstr(json, "\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":"
                              "\"Doe^Jane\"}]}"));
    assert_null(strstr(json, "7FE00010"));
    assert_null(arca_dicom_write(d2, mem_write, &m2));
    assert_int_equal(arca_dicom_pixel_span(d2, 0, &off, &len, &enc), 1);
    assert_int_equal(arca_dicom_pixel_span(d2, 1, &off2, &len2, &enc), 1);
    assert_int_equal(len, 16 * 8 * 2 * 2);
    assert_int_equal(len2, len);
    assert_int_equal(enc, 0);
    assert_true((size_t)(off + len) <= m2.len && (size_t)(off2 + len2) <= m.len);
    assert_memory_equal(m2.data + off, m.data + off2, (size_t)len);
    free(m.data);
    free(m2.data);
}

/* JSON text checked without a tree, and dcmtk's known faults repaired. */
static void json_text_check_and_repair(void **state)
{
    apr_pool_t *p = *state;
    static const char *const good[] = {"{}", "[]", "{\"a\":[1,-2.5e3,0.5,\"x\"]}",
        "{\"a\":{\"b\":[true,false,null]}}", "\"caf\xc3\xa9\"", " [ 1 , 2 ] "};
    static const char *const bad[] = {"", "{", "[1,]", "{\"a\" 1}", "[1.]", "[+5]", "[.5]",
        "[01]", "[\"\x80\"]", "[\"\\u0000\"]", "[\"a\"]x", "[\"\\q\"]", "{\"a\":1,}"};
    const char *r;

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(arca_json_valid(good[i]), 1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(arca_json_valid(bad[i]), 0);
    r = arca_json_repair(p, "{\"a\":{\"vr\":\"DS\",\"Value\":[1.,+5,0.5]}}");
    assert_string_equal(r, "{\"a\":{\"vr\":\"DS\",\"Value\":[\"1.\",\"+5\",0.5]}}");
    r = arca_json_repair(p, "{\"a\":[\"x\xff\\u0000y\"]}");
    assert_string_equal(r, "{\"a\":[\"x?y\"]}");
    assert_null(arca_json_repair(p, "{\"a\":"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_known_values),
        cmocka_unit_test(sequences_and_private_elements),
        cmocka_unit_test(modify_write_reread),
        cmocka_unit_test(every_test_file_round_trips),
        cmocka_unit_test(bad_input_is_400),
        cmocka_unit_test(synthetic_objects_round_trip),
        cmocka_unit_test(large_object_streams_in_constant_memory),
        cmocka_unit_test(deflated_objects_are_read_within_bounds),
        cmocka_unit_test(deid_basic_profile_runs_over_the_bridge),
        cmocka_unit_test(tags_by_number_and_keyword),
        cmocka_unit_test(json_and_pixel_span),
        cmocka_unit_test(json_text_check_and_repair),
    };
    return RUN(tests);
}
