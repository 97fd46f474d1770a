/* An in-memory DICOM dataset implementing arca_deid_dataset_ops, for the DicomEdit engine's
 * tests and benchmark: elements kept sorted by concrete path (which gives the pre-order
 * walk the interface asks for), private creators resolved per sequence level like the
 * dcmtk bridge does. Values are strings; a sequence is an element with VR "SQ". */
#ifndef ARCA_DEID_MEMDS_H
#define ARCA_DEID_MEMDS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "deid/deid_script.h"

typedef struct {
    const char *path;
    unsigned tag;
    const char *vr;
    const char *creator;
    const char *value;
} memel;

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *els; /* memel, sorted by path */
} memds;

static const struct {
    unsigned tag;
    const char *vr;
} memds_vrs[] = {
    {0x00080016, "UI"}, {0x00080018, "UI"}, {0x00080020, "DA"}, {0x00080021, "DA"},
    {0x00080030, "TM"}, {0x0008002A, "DT"}, {0x00080050, "SH"}, {0x00080060, "CS"},
    {0x00080080, "LO"}, {0x00080090, "PN"}, {0x00081030, "LO"}, {0x0008103E, "LO"},
    {0x00081010, "SH"}, {0x00081110, "SQ"}, {0x00081140, "SQ"}, {0x00081150, "UI"},
    {0x00081155, "UI"}, {0x00100010, "PN"}, {0x00100020, "LO"}, {0x00100030, "DA"},
    {0x00100040, "CS"}, {0x00101010, "AS"}, {0x00101040, "LO"}, {0x00101002, "SQ"},
    {0x00120062, "CS"}, {0x00120063, "LO"}, {0x00120064, "SQ"}, {0x00080100, "SH"},
    {0x00080102, "SH"}, {0x00080104, "LO"}, {0x00181000, "LO"}, {0x00181030, "LO"},
    {0x0020000D, "UI"}, {0x0020000E, "UI"}, {0x00200052, "UI"}, {0x00400275, "SQ"},
    {0x00401001, "SH"}, {0x00020003, "UI"},
};

static const char *memds_vr(unsigned tag)
{
    size_t k;

    if ((tag >> 16) & 1)
        return (tag & 0xFFFF) < 0x100 ? "LO" : "UN";
    if ((tag & 0xFF00FFFF) == 0x50000000)
        return "OW";
    for (k = 0; k < sizeof memds_vrs / sizeof memds_vrs[0]; k++)
        if (memds_vrs[k].tag == tag)
            return memds_vrs[k].vr;
    return "LO";
}

static memds *memds_make(apr_pool_t *p)
{
    memds *ds = apr_pcalloc(p, sizeof *ds);

    ds->p = p;
    ds->els = apr_array_make(p, 64, sizeof(memel));
    return ds;
}

static int memds_find(memds *ds, const char *path, int *at)
{
    int lo = 0, hi = ds->els->nelts;

    while (lo < hi) {
        int mid = (lo + hi) / 2, c = strcmp(((memel *)ds->els->elts)[mid].path, path);

        if (!c) {
            *at = mid;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return 0;
}

static memel *memds_el(memds *ds, const char *path)
{
    int at;

    return memds_find(ds, path, &at) ? &((memel *)ds->els->elts)[at] : NULL;
}

static unsigned memds_tag_of(const char *path)
{
    const char *last = strrchr(path, '(');
    unsigned g = 0, e = 0;

    sscanf(last, "(%4x,%4x)", &g, &e);
    return g << 16 | e;
}

/* Puts an element (concrete path) with a value; creates the sequences above it. */
static void memds_put(memds *ds, const char *path, const char *vr, const char *value)
{
    int at;
    memel *el;
    const char *s;
    unsigned tag = memds_tag_of(path);

    for (s = strchr(path, '['); s; s = strchr(s + 1, '[')) {
        const char *parent = apr_pstrmemdup(ds->p, path, (size_t)(s - path));

        if (!memds_el(ds, parent))
            memds_put(ds, parent, "SQ", NULL);
    }
    if (!memds_find(ds, path, &at)) {
        const char *slash = strrchr(path, '/');
        size_t plen = slash ? (size_t)(slash - path) + 1 : 0;

        el = apr_array_push(ds->els);
        memmove((memel *)ds->els->elts + at + 1, (memel *)ds->els->elts + at,
                sizeof(memel) * (size_t)(ds->els->nelts - 1 - at));
        el = &((memel *)ds->els->elts)[at];
        memset(el, 0, sizeof *el);
        el->path = apr_pstrdup(ds->p, path);
        el->tag = tag;
        el->vr = vr ? vr : memds_vr(tag);
        if (((tag >> 16) & 1) && (tag & 0xFFFF) >= 0x1000) {
            memel *c = memds_el(ds, apr_psprintf(ds->p, "%.*s(%04X,%04X)", (int)plen, path,
                                                 tag >> 16, (tag & 0xFF00) >> 8));
            el = memds_el(ds, path);
            el->creator = c ? c->value : NULL;
        }
    } else {
        el = &((memel *)ds->els->elts)[at];
    }
    el->value = value ? apr_pstrdup(ds->p, value) : NULL;
}

/* Concrete path of `path`, resolving "{Creator}" levels; NULL if a creator has no block
 * and `create` is 0. */
static const char *memds_resolve(memds *ds, const char *path, int create)
{
    const char *out = "";
    const char *s = path;

    if (!strchr(path, '{'))
        return path;
    while (*s) {
        const char *brace = strchr(s, '{'), *close, *slash;
        unsigned g;
        char *creator;
        int nn, free_nn = 0;

        if (!brace) {
            out = apr_pstrcat(ds->p, out, s, NULL);
            break;
        }
        /* s .. brace: everything before, ends with "(gggg," */
        out = apr_pstrcat(ds->p, out, apr_pstrmemdup(ds->p, s, (size_t)(brace - s)), NULL);
        sscanf(brace - 5, "%4x", &g);
        close = strchr(brace, '}');
        creator = apr_pstrmemdup(ds->p, brace + 1, (size_t)(close - brace - 1));
        slash = strrchr(out, '/');
        for (nn = 0x10; nn <= 0xFF; nn++) {
            const char *cpath = apr_psprintf(ds->p, "%.*s(%04X,%04X)",
                                             slash ? (int)(slash - out) + 1 : 0, out, g,
                                             (unsigned)nn);
            memel *c = memds_el(ds, cpath);

            if (c && c->value && !strcmp(c->value, creator))
                break;
            if (!c && !free_nn)
                free_nn = nn;
        }
        if (nn > 0xFF) {
            if (!create || !free_nn)
                return NULL;
            nn = free_nn;
            memds_put(ds, apr_psprintf(ds->p, "%.*s(%04X,%04X)",
                                       slash ? (int)(slash - out) + 1 : 0, out, g,
                                       (unsigned)nn),
                      "LO", creator);
        }
        out = apr_psprintf(ds->p, "%s%02X", out, (unsigned)nn);
        s = close + 1;
    }
    return out;
}

static const char *memds_get(void *vds, apr_pool_t *p, const char *path)
{
    memds *ds = vds;
    const char *c = memds_resolve(ds, path, 0);
    memel *el = c ? memds_el(ds, c) : NULL;

    if (!el)
        return NULL;
    return el->value ? el->value : "";
}

static arca_error_t *memds_set(void *vds, const char *path, const char *value)
{
    memds *ds = vds;

    memds_put(ds, memds_resolve(ds, path, 1), NULL, value);
    return ARCA_OK;
}

static arca_error_t *memds_remove(void *vds, const char *path)
{
    memds *ds = vds;
    const char *c = memds_resolve(ds, path, 0);
    int at, end;
    size_t n;

    if (!c || !memds_find(ds, c, &at))
        return ARCA_OK;
    n = strlen(c);
    for (end = at + 1; end < ds->els->nelts; end++) {
        const char *q = ((memel *)ds->els->elts)[end].path;
        if (strncmp(q, c, n) || q[n] != '[')
            break;
    }
    memmove((memel *)ds->els->elts + at, (memel *)ds->els->elts + end,
            sizeof(memel) * (size_t)(ds->els->nelts - end));
    ds->els->nelts -= end - at;
    return ARCA_OK;
}

static arca_error_t *memds_each(void *vds, apr_pool_t *p,
                                int (*fn)(void *baton, const char *path, unsigned tag,
                                          const char *vr, const char *creator),
                                void *baton)
{
    memds *ds = vds;
    int k;

    for (k = 0; k < ds->els->nelts; k++) {
        memel *el = &((memel *)ds->els->elts)[k];

        if (fn(baton, el->path, el->tag, el->vr, el->creator))
            break;
    }
    return ARCA_OK;
}

static const arca_deid_dataset_ops memds_ops = {memds_get, memds_set, memds_remove,
                                                memds_each};

/* A realistic MR instance: patient, study, UIDs, sequences with nested UIDs and PHI,
 * private blocks of Siemens and GE, a curve. */
static memds *memds_sample(apr_pool_t *p)
{
    memds *ds = memds_make(p);
    static const char *const els[][2] = {
        {"(0008,0016)", "1.2.840.10008.5.1.4.1.1.4"},
        {"(0008,0018)", "1.3.12.2.1107.5.2.32.35162.2012021516183798316504321"},
        {"(0008,0020)", "20120215"},
        {"(0008,0021)", "20120215"},
        {"(0008,002A)", "20120215161837.123000+0100"},
        {"(0008,0030)", "161837.123"},
        {"(0008,0050)", "A123456"},
        {"(0008,0060)", "MR"},
        {"(0008,0080)", "General Hospital"},
        {"(0008,0090)", "House^Gregory"},
        {"(0008,1010)", "MRC35162"},
        {"(0008,1030)", "Brain^Routine"},
        {"(0008,103E)", "t1_mprage_sag"},
        {"(0008,1110)[0]/(0008,1150)", "1.2.840.10008.3.1.2.3.1"},
        {"(0008,1110)[0]/(0008,1155)", "1.2.840.113619.2.55.3.1"},
        {"(0008,1140)[0]/(0008,1150)", "1.2.840.10008.5.1.4.1.1.4"},
        {"(0008,1140)[0]/(0008,1155)", "1.3.12.2.1107.5.2.32.35162.1"},
        {"(0008,1140)[1]/(0008,1150)", "1.2.840.10008.5.1.4.1.1.4"},
        {"(0008,1140)[1]/(0008,1155)", "1.3.12.2.1107.5.2.32.35162.2"},
        {"(0009,0010)", "GEMS_IDEN_01"},
        {"(0009,1001)", "SIGNA-PATIENT-NAME"},
        {"(0009,1002)", "CT01"},
        {"(0010,0010)", "Doe^John"},
        {"(0010,0020)", "MRN12345"},
        {"(0010,0030)", "19600101"},
        {"(0010,0040)", "M"},
        {"(0010,1002)[0]/(0010,0020)", "OTHER-ID-1"},
        {"(0010,1010)", "052Y"},
        {"(0010,1040)", "1 Main Street, Springfield"},
        {"(0018,1000)", "35162"},
        {"(0018,1030)", "t1_mprage"},
        {"(0019,0010)", "SIEMENS MR HEADER"},
        {"(0019,100C)", "1000"},
        {"(0020,000D)", "1.2.840.113619.2.55.3.1"},
        {"(0020,000E)", "1.3.12.2.1107.5.2.32.35162.3"},
        {"(0020,0052)", "1.3.12.2.1107.5.2.32.35162.4"},
        {"(0029,0010)", "SIEMENS CSA HEADER"},
        {"(0029,0011)", "SIEMENS MEDCOM HEADER2"},
        {"(0029,1008)", "IMAGE NUM 4"},
        {"(0029,1010)", "SV10csa-image-header"},
        {"(0029,1160)", "com"},
        {"(0040,0275)[0]/(0040,1001)", "RP-1"},
        {"(0040,0275)[0]/(0010,1002)[0]/(0010,0020)", "OTHER-ID-2"},
        {"(5000,3000)", "curve"},
    };
    size_t k;

    for (k = 0; k < sizeof els / sizeof els[0]; k++)
        memds_put(ds, els[k][0], NULL, els[k][1]);
    /* a private sequence of GE holding a UID, and Siemens data inside a public item */
    memds_put(ds, "(0009,1010)[0]/(0008,1155)", NULL, "1.2.840.113619.2.55.3.9");
    memds_el(ds, "(0009,1010)")->creator = "GEMS_IDEN_01";
    memds_put(ds, "(0008,1140)[0]/(0029,0010)", NULL, "SIEMENS CSA HEADER");
    memds_put(ds, "(0008,1140)[0]/(0029,1010)", NULL, "nested-csa");
    return ds;
}

#endif
