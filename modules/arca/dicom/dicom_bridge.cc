// The DICOM bridge: dicom.h's C API over dcmtk. The only C++ in libarca. Every entry point
// catches every exception; no exception and no dcmtk type crosses into C.
//
// Reading: the input is pulled from the arca_read_fn into a buffer, and dcmtk parses that
// prefix (DcmInputBufferStream, end of stream set) with readUntilTag(PixelData). If parsing
// stops at a top-level (7FE0,0010) inside the prefix, the header is complete and the bytes
// from the pixel data tag on stay in the buffer, the rest in the stream: writing copies them
// through. If the prefix was too short, it is doubled and parsed again (so the work stays
// linear), up to ARCA_DICOM_MAX_HEADER. Deflated objects and objects without pixel data are
// read whole; a deflated dataset is inflated here into a bounded buffer, never by dcmtk
// (read_deflated).
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcistrmb.h"
#include "dcmtk/dcmdata/dcostrma.h"
#include "dcmtk/oflog/oflog.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include <apr_file_io.h>
#include <apr_strings.h>

#include "deid/deid_script.h"
#include "dicom/dicom.h"
}

namespace {

const size_t CHUNK = 64 * 1024;
const size_t FIRST_PREFIX = 256 * 1024;
const size_t MAX_HEADER = ARCA_DICOM_MAX_HEADER;

enum pix_mode { PIX_NONE, PIX_STREAM, PIX_SYNTH };

}  // namespace

struct arca_dicom_t {
    apr_pool_t *pool;
    DcmFileFormat *ff;
    E_TransferSyntax xfer;
    const char *ts_uid;
    pix_mode pix;
    // PIX_STREAM: unconsumed input is buf[pos..], then the stream
    arca_read_fn read;
    void *baton;
    std::string *buf;
    size_t pos;
    int eof;
    int written;
    int private_deleted;
    // PIX_SYNTH
    apr_uint64_t synth_rows, synth_cols, synth_frames;
    // after a write: where the top-level pixel data's value went in the output
    apr_uint64_t pix_off, pix_len, pix_in_off;
    int pix_known, pix_encapsulated;
    apr_uint64_t in_base;  // input bytes dropped from buf before buf[0]
};

namespace {

std::once_flag setup_once;

void setup_dcmtk()
{
    std::call_once(setup_once, [] {
        // dcmtk's warnings may quote element values: never let them reach a log.
        OFLog::configure(OFLogger::OFF_LOG_LEVEL);
        // A known element stored as UN with a defined length (explicit VR, written by a
        // system that did not know the tag; pydicom's rtdose_rle.dcm has every element so)
        // is read as the dictionary's VR: else a script could not set Patient's Name, and
        // its value would read as hex bytes. libarca is the process's only dcmtk user.
        dcmEnableUnknownVRConversion.set(OFTrue);
    });
}

apr_status_t dicom_cleanup(void *data)
{
    arca_dicom_t *d = static_cast<arca_dicom_t *>(data);
    delete d->ff;
    d->ff = NULL;
    delete d->buf;
    d->buf = NULL;
    return APR_SUCCESS;
}

arca_dicom_t *dicom_new(apr_pool_t *p)
{
    arca_dicom_t *d = static_cast<arca_dicom_t *>(apr_pcalloc(p, sizeof *d));

    d->pool = p;
    d->buf = new std::string;
    apr_pool_cleanup_register(p, d, dicom_cleanup, apr_pool_cleanup_null);
    return d;
}

arca_error_t *bad_alloc_error(apr_pool_t *p)
{
    return arca_error_create(p, 500, "out of memory handling a DICOM object");
}

arca_error_t *internal_error(apr_pool_t *p)
{
    return arca_error_create(p, 500, "unexpected failure handling a DICOM object");
}

#define GUARD_BEGIN try {
#define GUARD_END(pool)                                                                     \
    }                                                                                       \
    catch (const std::bad_alloc &) { return bad_alloc_error(pool); }                        \
    catch (...) { return internal_error(pool); }

// ---- input ---------------------------------------------------------------------------------

// Pulls one chunk from the stream into buf. Sets eof at the end.
arca_error_t *pull(arca_dicom_t *d)
{
    const void *b = NULL;
    apr_size_t len = 0;
    arca_error_t *err = d->read(d->baton, &b, &len);

    if (err)
        // cppcheck-suppress returnDanglingLifetime ; false positive: cppcheck
        // takes a callback's result for the address of the local given to it
        return err;
    if (len == 0)
        d->eof = 1;
    else
        d->buf->append(static_cast<const char *>(b), len);
    return ARCA_OK;
}

// Until at least `want` bytes are unconsumed, or the end.
arca_error_t *fill(arca_dicom_t *d, size_t want)
{
    while (!d->eof && d->buf->size() - d->pos < want) {
        arca_error_t *err = pull(d);
        if (err)
            return err;
    }
    return ARCA_OK;
}

bool looks_like_dicom(const unsigned char *b, size_t n)
{
    if (n >= 132 && memcmp(b + 128, "DICM", 4) == 0)
        return true;
    if (n < 8)
        return false;
    unsigned le = b[0] | (b[1] << 8), be = (b[0] << 8) | b[1];
    // A bare dataset starts with a meta, directory or identifying group element.
    for (unsigned g : {le, be})
        if (g == 0x0002 || g == 0x0004 || g == 0x0008)
            return true;
    return false;
}

bool big_endian(E_TransferSyntax xfer)
{
    return DcmXfer(xfer).getByteOrder() == EBO_BigEndian;
}

bool pixel_tag_at(const std::string &buf, size_t off, E_TransferSyntax xfer)
{
    static const unsigned char le[4] = {0xE0, 0x7F, 0x10, 0x00};
    static const unsigned char be[4] = {0x7F, 0xE0, 0x00, 0x10};

    if (buf.size() < off + 4)
        return false;
    return memcmp(buf.data() + off, big_endian(xfer) ? be : le, 4) == 0;
}

// Where the top-level pixel data element starts, dcmtk having stopped at `off`: dcmtk 3.6.7
// stops after reading the element's tag and length (12 bytes in explicit VR, 8 in implicit);
// before it, if a later version puts them back. -1: it did not stop at the pixel data.
long pixel_start(const std::string &buf, size_t off, E_TransferSyntax xfer)
{
    bool expl = DcmXfer(xfer).isExplicitVR();
    size_t hdr = expl ? 12 : 8;

    if (off >= hdr && pixel_tag_at(buf, off - hdr, xfer))
        return static_cast<long>(off - hdr);
    if (pixel_tag_at(buf, off, xfer))
        return static_cast<long>(off);
    return -1;
}

arca_error_t *parse_error(apr_pool_t *p, const OFCondition &cond)
{
    // an element's declared length runs past the bytes there: a cut file, or a length read
    // from bytes that are not one (e.g. an implicit VR dataset under an explicit VR syntax)
    if (cond == EC_StreamNotifyClient)
        return arca_error_create(p, 400, "truncated or malformed DICOM object: an element "
                                 "runs past the end of the data");
    return arca_error_create(p, 400, "malformed DICOM object");
}

// dcmtk allocates an element's declared length before reading its value from a stream
// that cannot be read again later (DcmInputBufferStream): a few bytes declaring 4 GiB
// allocated 4 GiB (found by tests/fuzz). This stream can be read again from any offset of
// the buffer, so dcmtk skips a long value (over DCM_MaxReadLength) instead and a length
// past the bytes there is a truncation, allocating nothing. The values skipped are loaded
// right after a successful parse (loadAllDataIntoMemory), while the buffer is unchanged.
// dcmtk's inflating filter would lose that (its offsets are not the buffer's): it is
// refused, and the offset where the deflated dataset starts is kept for the bridge to
// inflate it itself (read_deflated).
class RereadableBufferStream : public DcmInputBufferStream {
  public:
    RereadableBufferStream(const char *data, offile_off_t len) : data_(data), len_(len)
    {
        setBuffer(data, len);
        setEos();
    }
    ~RereadableBufferStream() { releaseBuffer(); }
    OFCondition installCompressionFilter(E_StreamCompression type)
    {
        deflated_at_ = tell();
        return EC_UnsupportedEncoding;
    }
    DcmInputStreamFactory *newFactory() const { return new Factory(data_, len_, tell()); }
    // Where a deflated dataset starts (dcmtk asked for its filter there); -1: none.
    offile_off_t deflated_at() const { return deflated_at_; }

  private:
    class Factory : public DcmInputStreamFactory {
      public:
        Factory(const char *data, offile_off_t len, offile_off_t at)
            : data_(data), len_(len), at_(at) {}
        DcmInputStream *create() const
        {
            return new RereadableBufferStream(data_ + at_, len_ - at_);
        }
        DcmInputStreamFactory *clone() const { return new Factory(*this); }
        DcmInputStreamFactoryType ident() const { return DFT_DcmInputFileStreamFactory; }

      private:
        const char *data_;
        offile_off_t len_, at_;
    };
    const char *data_;
    offile_off_t len_;
    offile_off_t deflated_at_ = -1;
};

// One attempt at parsing buf[0..size) as a complete object. stop: stop at pixel data.
// *deflated_at: where the dataset starts if the meta header names the deflated transfer
// syntax (the parse then stops there, failed), else -1.
OFCondition parse_prefix(arca_dicom_t *d, bool stop, offile_off_t *off,
                         offile_off_t *deflated_at)
{
    delete d->ff;
    d->ff = NULL;
    d->ff = new DcmFileFormat;

    RereadableBufferStream in(d->buf->data(), static_cast<offile_off_t>(d->buf->size()));
    d->ff->transferInit();
    OFCondition cond = stop ? d->ff->readUntilTag(in, EXS_Unknown, EGL_noChange,
                                                  DCM_MaxReadLength, DCM_PixelData)
                            : d->ff->read(in, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
    d->ff->transferEnd();
    *off = in.tell();
    *deflated_at = in.deflated_at();
    if (cond.good())
        cond = d->ff->loadAllDataIntoMemory();
    return cond;
}

// Inflates the raw deflate stream data[0..len) into out, at most `cap` bytes: more is a
// 413, whatever the input's size (deflate reaches a thousand to one). Bytes after the end
// of the stream are ignored (a writer pads the object to an even length).
arca_error_t *inflate_bounded(apr_pool_t *p, const char *data, size_t len, size_t cap,
                              std::string &out)
{
    struct zguard {
        z_stream z;
        bool live = false;
        ~zguard() { if (live) inflateEnd(&z); }
    } g;
    memset(&g.z, 0, sizeof g.z);
    if (inflateInit2(&g.z, -MAX_WBITS) != Z_OK)
        return bad_alloc_error(p);
    g.live = true;
    g.z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data));
    g.z.avail_in = static_cast<uInt>(len);  // at most MAX_HEADER + 1
    for (;;) {
        if (out.size() > cap)
            return arca_error_create(p, 413, "deflated DICOM object expands past %d MiB",
                                     static_cast<int>(cap >> 20));
        size_t have = out.size(), room = std::min(std::max(have, CHUNK), cap + 1 - have);
        out.resize(have + room);
        g.z.next_out = reinterpret_cast<Bytef *>(&out[have]);
        g.z.avail_out = static_cast<uInt>(room);
        int rc = inflate(&g.z, Z_NO_FLUSH);
        out.resize(have + room - g.z.avail_out);
        if (rc == Z_STREAM_END)
            return ARCA_OK;
        if (rc == Z_OK)
            continue;
        if (rc == Z_MEM_ERROR)
            return bad_alloc_error(p);
        if (rc == Z_BUF_ERROR)  // no progress: the input ended inside the stream
            return arca_error_create(p, 400, "truncated deflated DICOM object");
        return arca_error_create(p, 400, "malformed deflated DICOM object");
    }
}

// The dataset of a deflated object, starting at buf[at] and read whole into buf (the meta
// header parsed, from buf too): inflated into a bounded buffer and parsed from there as
// the explicit VR little endian it is, with the re-readable stream, so a long declared
// length past the data is a truncation, as in any other object.
arca_error_t *read_deflated(arca_dicom_t *d, size_t at)
{
    std::string flat;
    arca_error_t *err = inflate_bounded(d->pool, d->buf->data() + at, d->buf->size() - at,
                                        MAX_HEADER, flat);
    if (err)
        return err;
    DcmDataset *ds = d->ff->getDataset();
    ds->clear();
    RereadableBufferStream in(flat.data(), static_cast<offile_off_t>(flat.size()));
    ds->transferInit();
    OFCondition cond = ds->read(in, EXS_LittleEndianExplicit, EGL_noChange, DCM_MaxReadLength);
    ds->transferEnd();
    if (cond.good()) // the meta header's long values from buf, the dataset's from flat
        cond = d->ff->loadAllDataIntoMemory();
    return cond.good() ? ARCA_OK : parse_error(d->pool, cond);
}

arca_error_t *read_object(arca_dicom_t *d)
{
    apr_pool_t *p = d->pool;
    size_t want = FIRST_PREFIX;
    bool whole = false, sniffed = false;

    for (;;) {
        arca_error_t *err = fill(d, want);
        if (err)
            return err;
        if (!d->eof && d->buf->size() > MAX_HEADER)
            return arca_error_create(p, 413, "DICOM header too large (more than %d MiB "
                                     "before the pixel data)", static_cast<int>(MAX_HEADER >> 20));
        if (!sniffed) {
            if (!looks_like_dicom(reinterpret_cast<const unsigned char *>(d->buf->data()),
                                  d->buf->size()))
                return arca_error_create(p, 400, "not a DICOM object");
            sniffed = true;
        }
        offile_off_t off = 0, deflated_at = -1;
        OFCondition cond = parse_prefix(d, !whole, &off, &deflated_at);
        size_t size = d->buf->size();
        if (deflated_at >= 0) {
            if (!d->eof) {
                whole = true;  // pixel data inside the deflated stream: read it all
                want = MAX_HEADER + 1;
                continue;
            }
            arca_error_t *err = read_deflated(d, static_cast<size_t>(deflated_at));
            if (err)
                return err;
            d->xfer = EXS_DeflatedLittleEndianExplicit;  // re-deflated on writing
            d->pix = PIX_NONE;
            d->buf->clear();
            d->buf->shrink_to_fit();
            break;
        }
        if (cond.good()) {
            d->xfer = d->ff->getDataset()->getOriginalXfer();
            if (!whole) {
                long at = pixel_start(*d->buf, static_cast<size_t>(off), d->xfer);
                if (at >= 0 || static_cast<size_t>(off) < size) {
                    if (at >= 0) {
                        d->pix = PIX_STREAM;
                        d->pos = static_cast<size_t>(at); // not erased: a memmove of it all
                        break;
                    }
                    whole = true;  // stopped at a higher tag and no pixel data
                    want = MAX_HEADER + 1;
                    continue;
                }
            }
            if (d->eof) {
                d->pix = PIX_NONE;
                d->buf->clear();
                d->buf->shrink_to_fit();
                break;
            }
        } else if (d->eof) {
            return parse_error(p, cond);
        }
        want = size * 2;
    }
    DcmDataset *ds = d->ff->getDataset();
    if (ds->card() == 0)
        return arca_error_create(p, 400, "not a DICOM object");
    // An image cut between two elements before its pixel data parses as a complete object.
    if (d->pix == PIX_NONE && ds->tagExists(DCM_Rows) && ds->tagExists(DCM_Columns) &&
        ds->tagExists(DCM_BitsAllocated) && !ds->tagExists(DCM_PixelData) &&
        !ds->tagExists(DCM_FloatPixelData) && !ds->tagExists(DCM_DoubleFloatPixelData))
        return arca_error_create(p, 400, "truncated DICOM object (an image without pixel "
                                 "data)");
    d->ts_uid = apr_pstrdup(p, DcmXfer(d->xfer).getXferID());
    return ARCA_OK;
}

struct file_baton {
    apr_file_t *f;
    apr_pool_t *p;
    char *buf;
};

arca_error_t *file_read(void *baton, const void **buf, apr_size_t *len)
{
    file_baton *fb = static_cast<file_baton *>(baton);
    apr_size_t n = CHUNK;
    apr_status_t rv = apr_file_read(fb->f, fb->buf, &n);

    if (rv == APR_EOF)
        n = 0;
    else if (rv != APR_SUCCESS)
        return arca_error_create(fb->p, 500, "cannot read a DICOM file");
    *buf = fb->buf;
    *len = n;
    return ARCA_OK;
}

// ---- output --------------------------------------------------------------------------------

class SinkConsumer : public DcmConsumer {
  public:
    SinkConsumer(arca_write_fn w, void *b) : w_(w), b_(b), failed_(false), count_(0) {}
    apr_uint64_t count() const { return count_; }
    OFBool good() const { return !failed_; }
    OFCondition status() const { return failed_ ? OFCondition(EC_InvalidStream) : EC_Normal; }
    OFBool isFlushed() const { return OFTrue; }
    offile_off_t avail() const { return failed_ ? 0 : 0x40000000; }
    offile_off_t write(const void *buf, offile_off_t n)
    {
        if (failed_)
            return 0;
        if (n > 0 && w_(b_, static_cast<const char *>(buf), static_cast<size_t>(n)) != 0) {
            failed_ = true;
            return 0;
        }
        count_ += static_cast<apr_uint64_t>(n > 0 ? n : 0);
        return n;
    }
    void flush() {}
    bool failed() const { return failed_; }
    bool raw(const void *buf, size_t n) { return write(buf, static_cast<offile_off_t>(n)) ==
                                                 static_cast<offile_off_t>(n); }

  private:
    arca_write_fn w_;
    void *b_;
    bool failed_;
    apr_uint64_t count_;
};

class SinkStream : public DcmOutputStream {
  public:
    explicit SinkStream(DcmConsumer *c) : DcmOutputStream(c) {}
};

arca_error_t *sink_error(apr_pool_t *p)
{
    return arca_error_create(p, 500, "writing the DICOM object failed");
}

// Copies n bytes of input (buffer, then stream) to the sink.
arca_error_t *copy_through(arca_dicom_t *d, SinkConsumer &out, apr_uint64_t n)
{
    while (n > 0) {
        size_t have = d->buf->size() - d->pos;
        if (have == 0) {
            d->in_base += d->buf->size();
            d->buf->clear();
            d->pos = 0;
            if (d->eof)
                return arca_error_create(d->pool, 400, "truncated DICOM object (pixel data)");
            arca_error_t *err = pull(d);
            if (err)
                return err;
            continue;
        }
        size_t take = have < n ? have : static_cast<size_t>(n);
        if (!out.raw(d->buf->data() + d->pos, take))
            return sink_error(d->pool);
        d->pos += take;
        n -= take;
    }
    if (d->pos == d->buf->size()) {
        d->in_base += d->buf->size();
        d->buf->clear();
        d->pos = 0;
    }
    return ARCA_OK;
}

unsigned rd16(const unsigned char *b, bool be) { return be ? (b[0] << 8) | b[1] : b[0] | (b[1] << 8); }

apr_uint32_t rd32(const unsigned char *b, bool be)
{
    return be ? (apr_uint32_t(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3]
              : apr_uint32_t(b[0]) | (b[1] << 8) | (b[2] << 16) | (apr_uint32_t(b[3]) << 24);
}

// Reads an n-byte header from the input into hdr (and passes it on).
arca_error_t *take_header(arca_dicom_t *d, SinkConsumer &out, unsigned char *hdr, size_t n)
{
    arca_error_t *err = fill(d, n);
    if (err)
        return err;
    if (d->buf->size() - d->pos < n)
        return arca_error_create(d->pool, 400, "truncated DICOM object (pixel data)");
    memcpy(hdr, d->buf->data() + d->pos, n);
    return copy_through(d, out, n);
}

// The top-level pixel data element, byte for byte from the input.
arca_error_t *copy_pixel_data(arca_dicom_t *d, SinkConsumer &out)
{
    DcmXfer x(d->xfer);
    bool be = big_endian(d->xfer), expl = x.isExplicitVR();
    unsigned char h[12];
    apr_uint32_t len;
    arca_error_t *err = take_header(d, out, h, expl ? 12 : 8);

    if (err)
        return err;
    apr_uint64_t start = out.count();
    d->pix_in_off = d->in_base + d->pos;
    if (expl) {
        if (!((h[4] == 'O' && (h[5] == 'B' || h[5] == 'W')) || (h[4] == 'U' && h[5] == 'N')))
            return arca_error_create(d->pool, 400, "malformed DICOM object (pixel data VR)");
        len = rd32(h + 8, be);
    } else {
        len = rd32(h + 4, be);
    }
    if (len != 0xFFFFFFFFu) {
        if ((err = copy_through(d, out, len)))
            return err;
        d->pix_off = start, d->pix_len = len, d->pix_known = 1, d->pix_encapsulated = 0;
        return ARCA_OK;
    }
    for (;;) {  // encapsulated: items up to the sequence delimiter
        if ((err = take_header(d, out, h, 8)))
            return err;
        unsigned g = rd16(h, be), e = rd16(h + 2, be);
        apr_uint32_t ilen = rd32(h + 4, be);
        if (g == 0xFFFE && e == 0xE0DD) {
            d->pix_off = start, d->pix_len = out.count() - start, d->pix_known = 1;
            d->pix_encapsulated = 1;
            return ARCA_OK;
        }
        if (g != 0xFFFE || e != 0xE000 || ilen == 0xFFFFFFFFu)
            return arca_error_create(d->pool, 400, "malformed DICOM object (pixel data item)");
        if ((err = copy_through(d, out, ilen)))
            return err;
    }
}

int delete_private_in(DcmItem *item)
{
    int n = 0;
    for (unsigned long i = item->card(); i-- > 0;) {
        DcmElement *el = item->getElement(i);
        if (el->getTag().getGroup() & 1) {
            delete item->remove(i);
            n++;
        } else if (el->ident() == EVR_SQ) {
            DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(el);
            for (unsigned long j = 0; j < sq->card(); j++)
                n += delete_private_in(sq->getItem(j));
        }
    }
    return n;
}

// What follows the pixel data: parsed, filtered, merged with top-level elements set past
// the pixel data (`after`), written element by element.
arca_error_t *write_tail(arca_dicom_t *d, DcmOutputStream &os, SinkConsumer &out,
                         std::vector<DcmElement *> &after)
{
    if (d->pix == PIX_STREAM) {
        arca_error_t *err = fill(d, MAX_HEADER + 1);
        if (err)
            return err;
    }
    size_t n = d->buf->size() - d->pos;
    if (n > MAX_HEADER)
        return arca_error_create(d->pool, 413, "too much data after the DICOM pixel data");
    DcmDataset tail;
    bool zeros = true;
    for (size_t i = d->pos; i < d->buf->size() && zeros; i++)
        zeros = (*d->buf)[i] == 0;
    if (n > 0 && !zeros) {
        RereadableBufferStream in(d->buf->data() + d->pos, static_cast<offile_off_t>(n));
        tail.transferInit();
        OFCondition cond = tail.read(in, d->xfer, EGL_noChange, DCM_MaxReadLength);
        tail.transferEnd();
        if (cond.good()) // before the buffer is cleared below
            cond = tail.loadAllDataIntoMemory();
        if (cond.bad())
            return arca_error_create(d->pool, 400, "malformed DICOM data after the pixel data");
    }
    d->buf->clear();
    d->pos = 0;
    delete tail.remove(DCM_DataSetTrailingPadding);
    if (d->private_deleted)
        delete_private_in(&tail);
    for (DcmElement *el : after)
        tail.insert(el, OFTrue);
    after.clear();
    for (unsigned long i = 0; i < tail.card(); i++) {
        DcmElement *el = tail.getElement(i);
        if (el->getTag().getElement() == 0)
            continue;  // group length
        el->transferInit();
        OFCondition cond = el->write(os, d->xfer, EET_ExplicitLength, NULL);
        el->transferEnd();
        if (out.failed())
            return sink_error(d->pool);
        if (cond.bad())
            return arca_error_create(d->pool, 500, "cannot encode DICOM data after the pixel "
                                     "data");
    }
    os.flush();
    return out.failed() ? sink_error(d->pool) : ARCA_OK;
}

arca_error_t *write_synthetic_pixels(arca_dicom_t *d, SinkConsumer &out)
{
    apr_uint64_t n = d->synth_rows * d->synth_cols * d->synth_frames;
    apr_uint32_t len = static_cast<apr_uint32_t>(n * 2);
    unsigned char h[12] = {0xE0, 0x7F, 0x10, 0x00, 'O', 'W', 0, 0};
    bool expl = d->xfer != EXS_LittleEndianImplicit;
    unsigned char *lp = expl ? h + 8 : h + 4;

    lp[0] = len & 0xFF;
    lp[1] = (len >> 8) & 0xFF;
    lp[2] = (len >> 16) & 0xFF;
    lp[3] = (len >> 24) & 0xFF;
    if (!out.raw(h, expl ? 12 : 8))
        return sink_error(d->pool);
    std::vector<unsigned char> chunk(CHUNK);
    apr_uint64_t frame = d->synth_rows * d->synth_cols;
    for (apr_uint64_t i = 0; i < n;) {
        size_t k = 0;
        for (; k + 2 <= chunk.size() && i < n; k += 2, i++) {
            apr_uint64_t x = i % d->synth_cols, y = (i / d->synth_cols) % d->synth_rows;
            unsigned v = static_cast<unsigned>(((x ^ y) + (i / frame) * 16) & 0x0FFF);
            chunk[k] = v & 0xFF;
            chunk[k + 1] = v >> 8;
        }
        if (!out.raw(chunk.data(), k))
            return sink_error(d->pool);
    }
    return ARCA_OK;
}

arca_error_t *write_object(arca_dicom_t *d, arca_write_fn write, void *baton)
{
    apr_pool_t *p = d->pool;
    DcmDataset *ds = d->ff->getDataset();

    if (d->pix == PIX_STREAM && d->written)
        return arca_error_create(p, 500, "a DICOM object read from a stream is written once");
    if (!ds->tagExistsWithValue(DCM_SOPClassUID) || !ds->tagExistsWithValue(DCM_SOPInstanceUID))
        return arca_error_create(p, 400, "the DICOM object has no SOP Class or Instance UID");

    // Top-level elements past the pixel data are written after it.
    std::vector<DcmElement *> after;
    if (d->pix != PIX_NONE) {
        for (unsigned long i = ds->card(); i-- > 0;) {
            DcmElement *el = ds->getElement(i);
            if (el->getTag().getXTag() <= DCM_PixelData)
                break;
            after.insert(after.begin(), ds->remove(i));
        }
    }
    struct owner {
        std::vector<DcmElement *> &v;
        ~owner() { for (DcmElement *e : v) delete e; }
    } own{after};

    SinkConsumer out(write, baton);
    SinkStream os(&out);
    d->written = 1;
    d->ff->transferInit();
    OFCondition cond = d->ff->write(os, d->xfer, EET_ExplicitLength, NULL, EGL_withoutGL,
                                    EPD_withoutPadding, 0, 0, 0, EWM_updateMeta);
    d->ff->transferEnd();
    while (cond.good() && !os.isFlushed() && !out.failed())
        os.flush();
    if (out.failed())
        return sink_error(p);
    if (cond.bad())
        return arca_error_create(p, 400, "the DICOM object cannot be encoded in its transfer "
                                 "syntax");
    if (d->pix == PIX_SYNTH)  // written again later: keep what goes after the pixel data
        for (DcmElement *el : after)
            ds->insert(static_cast<DcmElement *>(el->clone()));
    arca_error_t *err = ARCA_OK;
    if (d->pix == PIX_STREAM) {
        if (!(err = copy_pixel_data(d, out)))
            err = write_tail(d, os, out, after);
    } else if (d->pix == PIX_SYNTH) {
        err = write_synthetic_pixels(d, out);
        if (!err && !after.empty())
            err = write_tail(d, os, out, after);
    }
    return err;
}

// ---- paths ---------------------------------------------------------------------------------

struct seg {
    Uint16 g, e;
    std::string creator;  // non-empty: e is the low byte, block to resolve
    long index;           // -1: none
};

bool hexn(const char *&s, int n, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, s++) {
        char c = *s;
        int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0)
            return false;
        *v = *v * 16 + h;
    }
    return true;
}

arca_error_t *parse_path(apr_pool_t *p, const char *path, std::vector<seg> &segs)
{
    const char *s = path;
    arca_error_t *bad = arca_error_create(p, 400, "bad DICOM element path");

    if (!s || !*s)
        return bad;
    for (;;) {
        seg sg;
        unsigned v;
        sg.index = -1;
        if (*s++ != '(' || !hexn(s, 4, &v) || *s++ != ',')
            return bad;
        sg.g = static_cast<Uint16>(v);
        if (*s == '{') {
            const char *end = strchr(++s, '}');
            if (!end || end == s || !(sg.g & 1))
                return bad;
            sg.creator.assign(s, end - s);
            s = end + 1;
            if (!hexn(s, 2, &v))
                return bad;
        } else if (!hexn(s, 4, &v)) {
            return bad;
        }
        sg.e = static_cast<Uint16>(v);
        if (*s++ != ')')
            return bad;
        if (*s == '[') {
            char *end;
            sg.index = strtol(s + 1, &end, 10);
            if (end == s + 1 || *end != ']' || sg.index < 0)
                return bad;
            s = end + 1;
        }
        segs.push_back(sg);
        if (!*s)
            break;
        if (*s++ != '/' || sg.index < 0)
            return bad;
    }
    if (segs[0].g == 0x0002)
        return arca_error_create(p, 400, "file meta elements are made when writing");
    return ARCA_OK;
}

// The path is the top-level pixel data, which only reading and writing the object handle.
bool names_pixel_data(const std::vector<seg> &segs)
{
    return segs.size() == 1 && segs[0].g == 0x7FE0 && segs[0].e == 0x0010;
}

OFString trimmed(const OFString &s)
{
    size_t b = s.find_first_not_of(" \0", 0, 2), e = s.find_last_not_of(" \0", OFString_npos, 2);
    return b == OFString_npos ? OFString() : s.substr(b, e - b + 1);
}

// The tag a segment names in `item`; for a creator-named one, 0 if the creator has no block
// (and, if `reserve`, reserves one).
bool resolve(DcmItem *item, const seg &sg, DcmTagKey *key, bool reserve)
{
    if (sg.creator.empty()) {
        *key = DcmTagKey(sg.g, sg.e);
        return true;
    }
    int freeblk = -1;
    for (unsigned b = 0x10; b <= 0xFF; b++) {
        OFString c;
        DcmElement *el = NULL;
        if (item->findAndGetElement(DcmTagKey(sg.g, b), el).bad()) {
            if (freeblk < 0)
                freeblk = b;
            continue;
        }
        if (el->getOFStringArray(c).good() && trimmed(c) == sg.creator.c_str()) {
            *key = DcmTagKey(sg.g, static_cast<Uint16>((b << 8) | (sg.e & 0xFF)));
            return true;
        }
    }
    if (!reserve || freeblk < 0)
        return false;
    item->putAndInsertString(DcmTag(sg.g, static_cast<Uint16>(freeblk), EVR_LO),
                             sg.creator.c_str());
    *key = DcmTagKey(sg.g, static_cast<Uint16>((freeblk << 8) | (sg.e & 0xFF)));
    return true;
}

// Walks to the item holding the last segment. create: make sequences and items on the way.
// Returns 404 for absent.
arca_error_t *walk(arca_dicom_t *d, const std::vector<seg> &segs, size_t upto, bool create,
                   DcmItem **out)
{
    DcmItem *item = d->ff->getDataset();
    for (size_t i = 0; i < upto; i++) {
        const seg &sg = segs[i];
        DcmTagKey key;
        DcmElement *el = NULL;
        if (!resolve(item, sg, &key, create))
            return arca_error_create(d->pool, 404, "no such DICOM element");
        if (item->findAndGetElement(key, el).bad()) {
            if (!create)
                return arca_error_create(d->pool, 404, "no such DICOM element");
            DcmTag tag(key);
            if (tag.getEVR() != EVR_SQ && !tag.isUnknownVR() && tag.getEVR() != EVR_UNKNOWN &&
                !(key.getGroup() & 1))
                return arca_error_create(d->pool, 400, "a path goes through an element that "
                                         "is not a sequence");
            el = new DcmSequenceOfItems(DcmTag(key, EVR_SQ));
            if (item->insert(el).bad()) {
                delete el;
                return arca_error_create(d->pool, 400, "cannot create a DICOM sequence");
            }
        }
        if (el->ident() != EVR_SQ)
            return arca_error_create(d->pool, 400, "a path goes through an element that is not "
                                     "a sequence");
        DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(el);
        unsigned long idx = static_cast<unsigned long>(sg.index);
        if (idx >= sq->card()) {
            if (!create)
                return arca_error_create(d->pool, 404, "no such DICOM sequence item");
            if (idx > sq->card())
                return arca_error_create(d->pool, 400, "a DICOM sequence item index is past "
                                         "the end");
            sq->append(new DcmItem);
        }
        item = sq->getItem(idx);
    }
    *out = item;
    return ARCA_OK;
}

arca_error_t *find(arca_dicom_t *d, const char *path, DcmElement **el)
{
    std::vector<seg> segs;
    DcmItem *item;
    DcmTagKey key;
    arca_error_t *err = parse_path(d->pool, path, segs);

    if (err)
        return err;
    if (segs.back().index >= 0)
        return arca_error_create(d->pool, 400, "a DICOM element path ends in an item");
    if ((err = walk(d, segs, segs.size() - 1, false, &item)))
        return err;
    if (!resolve(item, segs.back(), &key, false) || item->findAndGetElement(key, *el).bad() ||
        (item == d->ff->getDataset() && key == DCM_PixelData))
        return arca_error_create(d->pool, 404, "no such DICOM element");
    return ARCA_OK;
}

arca_error_t *value_of(apr_pool_t *p, DcmElement *el, const char **value)
{
    OFString s;
    if (el->ident() == EVR_SQ)
        return arca_error_create(p, 400, "a DICOM sequence has no value");
    if (el->getLength() == 0) {
        *value = "";
        return ARCA_OK;
    }
    if (el->getOFStringArray(s, OFTrue).bad())
        return arca_error_create(p, 400, "cannot read a DICOM element's value");
    *value = apr_pstrmemdup(p, s.c_str(), s.length());
    return ARCA_OK;
}

// ---- iteration -----------------------------------------------------------------------------

struct iter_ctx {
    apr_pool_t *p;
    arca_dicom_element_fn fn;
    void *baton;
};

arca_error_t *iterate_item(iter_ctx &c, DcmItem *item, const std::string &prefix, int depth)
{
    for (unsigned long i = 0; i < item->card(); i++) {
        DcmElement *el = item->getElement(i);
        const DcmTag &tag = el->getTag();
        Uint16 g = tag.getGroup(), e = tag.getElement();
        if (depth == 0 && tag.getXTag() == DCM_PixelData)
            continue;
        char t[16];
        snprintf(t, sizeof t, "(%04X,%04X)", g, e);
        std::string path = prefix + t;
        arca_dicom_element_t ae;
        memset(&ae, 0, sizeof ae);
        ae.path = apr_pstrdup(c.p, path.c_str());
        ae.group = g;
        ae.element = e;
        ae.vr = DcmVR(el->getVR()).getVRName();
        ae.depth = depth;
        ae.is_private = g & 1;
        if ((g & 1) && (e >> 8) >= 0x10) {
            OFString cr;
            if (item->findAndGetOFString(DcmTagKey(g, e >> 8), cr).good())
                ae.creator = apr_pstrdup(c.p, trimmed(cr).c_str());
        }
        ae.vm = el->ident() == EVR_SQ ? static_cast<DcmSequenceOfItems *>(el)->card()
                                      : el->getVM();
        ae.opaque = el;
        DcmTag named(tag); // getTagName() is not const
        const char *name = named.getTagName();
        if (name && strcmp(name, DcmTag_ERROR_TagName) != 0)
            ae.name = apr_pstrdup(c.p, name);
        arca_error_t *err = c.fn(c.baton, &ae);
        if (err)
            // cppcheck-suppress returnDanglingLifetime ; false positive: cppcheck
            // takes a callback's result for the address of the local given to it
            return err;
        if (el->ident() == EVR_SQ) {
            DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(el);
            for (unsigned long j = 0; j < sq->card(); j++) {
                char ix[32];
                snprintf(ix, sizeof ix, "[%lu]/", j);
                if ((err = iterate_item(c, sq->getItem(j), path + ix, depth + 1)))
                    return err;
            }
        }
    }
    return ARCA_OK;
}

const char *opt_string(apr_pool_t *p, DcmDataset *ds, const DcmTagKey &key)
{
    OFString s;
    if (ds->findAndGetOFStringArray(key, s).bad())
        return NULL;
    s = trimmed(s);
    return s.empty() ? NULL : apr_pstrdup(p, s.c_str());
}

}  // namespace

// ---- DICOM JSON ------------------------------------------------------------------------------
// Written here rather than by dcmtk's writeJson, which costs about half a millisecond for a
// 10 KB header through iostreams (a tenth of an import's time per object), writes DICOM's
// numbers as they are ("1." is not JSON) and AT as "(gggg,eeee)".

// Binary values longer than this become a BulkDataURI naming their tag, not InlineBinary.
const Uint32 INLINE_MAX = 1024;

bool binary_vr(DcmEVR vr)
{
    switch (vr) {
    case EVR_OB: case EVR_OW: case EVR_OF: case EVR_OD: case EVR_OL: case EVR_OV:
    case EVR_UN: case EVR_ox: case EVR_px: case EVR_PixelData:
        return true;
    default:
        return false;
    }
}

void json_string(std::string &out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            if (c == 0)
                continue;  // jsonb refuses \u0000
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

// A DICOM number as JSON: trimmed, '+' and leading zeros dropped, "1." and ".5" completed;
// false when it is not a number at all.
bool json_number(std::string &out, const std::string &v)
{
    size_t b = v.find_first_not_of(' '), e = v.find_last_not_of(' ');
    if (b == std::string::npos)
        return false;
    std::string t = v.substr(b, e - b + 1), r;
    size_t i = 0;
    if (t[i] == '+' || t[i] == '-')
        r += t[i] == '-' ? "-" : "", i++;
    size_t int_start = i;
    while (i < t.size() && isdigit(static_cast<unsigned char>(t[i])))
        i++;
    std::string ip = t.substr(int_start, i - int_start);
    while (ip.size() > 1 && ip[0] == '0')
        ip.erase(0, 1);
    std::string fp;
    if (i < t.size() && t[i] == '.') {
        size_t f = ++i;
        while (i < t.size() && isdigit(static_cast<unsigned char>(t[i])))
            i++;
        fp = t.substr(f, i - f);
    }
    if (ip.empty() && fp.empty())
        return false;
    r += ip.empty() ? "0" : ip;
    if (!fp.empty())
        r += "." + fp;
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        size_t x = ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-'))
            i++;
        size_t d = i;
        while (i < t.size() && isdigit(static_cast<unsigned char>(t[i])))
            i++;
        if (d == i)
            return false;
        r += "e" + t.substr(x, i - x);
    }
    if (i != t.size())
        return false;
    out += r;
    return true;
}

const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void json_base64(std::string &out, const Uint8 *b, size_t n)
{
    out += '"';
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = b[i] << 16 | (i + 1 < n ? b[i + 1] << 8 : 0) | (i + 2 < n ? b[i + 2] : 0);
        out += b64[v >> 18 & 63];
        out += b64[v >> 12 & 63];
        out += i + 1 < n ? b64[v >> 6 & 63] : '=';
        out += i + 2 < n ? b64[v & 63] : '=';
    }
    out += '"';
}

// Splits a value at '\' (multi-valued VRs) or not (LT, ST, UT, UR, UC? no: UC is multi).
void split_values(const std::string &v, bool multi, std::vector<std::string> &out)
{
    out.clear();
    if (!multi) {
        out.push_back(v);
        return;
    }
    size_t s = 0;
    for (;;) {
        size_t e = v.find('\\', s);
        out.push_back(v.substr(s, e == std::string::npos ? std::string::npos : e - s));
        if (e == std::string::npos)
            break;
        s = e + 1;
    }
}

std::string trim_pad(const std::string &v, bool leading)
{
    size_t e = v.find_last_not_of(' ');
    if (e == std::string::npos)
        return "";
    size_t b = leading ? v.find_first_not_of(' ') : 0;
    return v.substr(b, e - b + 1);
}

void json_item(std::string &out, DcmItem *item, bool top);

void json_element(std::string &out, DcmElement *el)
{
    DcmEVR vr = el->ident();
    const DcmTag &tag = el->getTag();
    char key[32];
    snprintf(key, sizeof key, "\"%04X%04X\":{\"vr\":\"", tag.getGroup(), tag.getElement());
    out += key;
    DcmVR v(vr);
    const char *name = vr == EVR_ox || vr == EVR_px || vr == EVR_PixelData ? "OB"
                     : vr == EVR_lt ? "OW" : vr == EVR_up ? "UL" : v.getValidVRName();
    out += name;
    out += '"';
    if (vr == EVR_SQ) {
        DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(el);
        if (sq->card() > 0) {
            out += ",\"Value\":[";
            bool first = true;
            for (DcmObject *o = sq->nextInContainer(NULL); o; o = sq->nextInContainer(o)) {
                if (!first)
                    out += ',';
                json_item(out, static_cast<DcmItem *>(o), false);
                first = false;
            }
            out += ']';
        }
        out += '}';
        return;
    }
    if (el->getLength() == 0) {
        out += '}';
        return;
    }
    if (binary_vr(vr) || vr == EVR_lt) {
        if (el->getLength() > INLINE_MAX) {
            char uri[16];
            snprintf(uri, sizeof uri, "%04X%04X", tag.getGroup(), tag.getElement());
            out += ",\"BulkDataURI\":\"";
            out += uri;
            out += "\"}";
            return;
        }
        Uint8 *bytes = NULL;
        if (el->getUint8Array(bytes).good() && bytes) {
            out += ",\"InlineBinary\":";
            json_base64(out, bytes, el->getLength());
        }
        out += '}';
        return;
    }
    OFString all;
    if (el->getOFStringArray(all, OFTrue).bad()) {
        out += '}';
        return;
    }
    bool multi = !(vr == EVR_LT || vr == EVR_ST || vr == EVR_UT || vr == EVR_UR);
    bool numeric = vr == EVR_IS || vr == EVR_DS || vr == EVR_US || vr == EVR_SS
                   || vr == EVR_UL || vr == EVR_SL || vr == EVR_FL || vr == EVR_FD
                   || vr == EVR_SV || vr == EVR_UV;
    std::vector<std::string> vals;
    split_values(std::string(all.c_str(), all.length()), multi, vals);
    bool any = false;
    for (const std::string &x : vals)
        if (!trim_pad(x, true).empty())
            any = true;
    if (!any) {
        out += '}';
        return;
    }
    out += ",\"Value\":[";
    for (size_t i = 0; i < vals.size(); i++) {
        if (i)
            out += ',';
        const std::string &x = vals[i];
        if (vr == EVR_PN) {
            static const char *const groups[] = {"Alphabetic", "Ideographic", "Phonetic"};
            std::string t = trim_pad(x, false);
            out += '{';
            size_t s = 0;
            bool first = true;
            for (int g = 0; g < 3; g++) {
                size_t e = t.find('=', s);
                std::string part = t.substr(s, e == std::string::npos ? std::string::npos
                                                                      : e - s);
                if (!part.empty()) {
                    if (!first)
                        out += ',';
                    out += '"';
                    out += groups[g];
                    out += "\":";
                    json_string(out, part.data(), part.size());
                    first = false;
                }
                if (e == std::string::npos)
                    break;
                s = e + 1;
            }
            out += '}';
        } else if (vr == EVR_AT) {
            std::string t;  // "(gggg,eeee)" to "GGGGEEEE"
            for (char c : x)
                if (isxdigit(static_cast<unsigned char>(c)))
                    t += static_cast<char>(toupper(static_cast<unsigned char>(c)));
            json_string(out, t.data(), t.size());
        } else if (numeric) {
            std::string t = trim_pad(x, true);
            if (t.empty())
                out += "null";
            else if (!json_number(out, t))
                json_string(out, t.data(), t.size());
        } else {
            std::string t = trim_pad(x, vr != EVR_LT && vr != EVR_ST && vr != EVR_UT);
            if (t.empty())
                out += "null";
            else
                json_string(out, t.data(), t.size());
        }
    }
    out += "]}";
}

// The elements of an item (or the dataset: `top`, without its pixel data) as an object.
void json_item(std::string &out, DcmItem *item, bool top)
{
    bool first = true;
    out += '{';
    // walked in order, not by index: getElement(i) seeks from the start each time
    for (DcmObject *o = item->nextInContainer(NULL); o; o = item->nextInContainer(o)) {
        DcmElement *el = static_cast<DcmElement *>(o);
        const DcmTag &t = el->getTag();
        if ((top && t == DCM_PixelData) || t.getElement() == 0x0000)
            continue;  // no pixel data, no group lengths
        if (!first)
            out += ',';
        json_element(out, el);
        first = false;
    }
    out += '}';
}

// ---- the C API -----------------------------------------------------------------------------

extern "C" {

arca_error_t *arca_dicom_read(apr_pool_t *p, arca_read_fn read, void *baton, arca_dicom_t **d)
{
    GUARD_BEGIN
    setup_dcmtk();
    arca_dicom_t *o = dicom_new(p);
    o->read = read;
    o->baton = baton;
    arca_error_t *err = read_object(o);
    if (err)
        return err;
    *d = o;
    return ARCA_OK;
    GUARD_END(p)
}

arca_error_t *arca_dicom_convert_file(apr_pool_t *p, const char *path, const char *ts_uid,
                                      arca_write_fn write, void *baton)
{
    GUARD_BEGIN
    setup_dcmtk();
    DcmXfer to(ts_uid);
    E_TransferSyntax x = to.getXfer();
    if (x != EXS_LittleEndianExplicit && x != EXS_LittleEndianImplicit
        && x != EXS_BigEndianExplicit)
        return arca_error_create(p, 406, "converting to transfer syntax %s is not supported",
                                 ts_uid);
    apr_finfo_t fi;
    if (apr_stat(&fi, path, APR_FINFO_SIZE, p) != APR_SUCCESS)
        return arca_error_create(p, 404, "no such DICOM file");
    if (fi.size > static_cast<apr_off_t>(MAX_HEADER))
        return arca_error_create(p, 406, "objects over %d MiB are sent as stored only",
                                 static_cast<int>(MAX_HEADER >> 20));
    DcmFileFormat ff;
    if (ff.loadFile(path).bad())
        return arca_error_create(p, 500, "a stored DICOM file cannot be read");
    DcmDataset *ds = ff.getDataset();
    if (!DcmXfer(ds->getOriginalXfer()).isNotEncapsulated()
        || ds->chooseRepresentation(x, NULL).bad() || !ds->canWriteXfer(x))
        return arca_error_create(p, 406, "the object cannot be converted to transfer syntax "
                                 "%s (its pixel data is compressed)", ts_uid);
    SinkConsumer out(write, baton);
    SinkStream os(&out);
    ff.transferInit();
    OFCondition cond = ff.write(os, x, EET_ExplicitLength, NULL, EGL_withoutGL,
                                EPD_withoutPadding, 0, 0, 0, EWM_updateMeta);
    ff.transferEnd();
    while (cond.good() && !os.isFlushed() && !out.failed())
        os.flush();
    if (out.failed())
        return sink_error(p);
    if (cond.bad())
        return arca_error_create(p, 500, "the object cannot be written in transfer syntax %s",
                                 ts_uid);
    return ARCA_OK;
    GUARD_END(p)
}

arca_error_t *arca_dicom_read_file(apr_pool_t *p, const char *path, arca_dicom_t **d)
{
    file_baton *fb = static_cast<file_baton *>(apr_pcalloc(p, sizeof *fb));
    apr_status_t rv = apr_file_open(&fb->f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);

    if (APR_STATUS_IS_ENOENT(rv))
        return arca_error_create(p, 404, "no such DICOM file");
    if (rv != APR_SUCCESS)
        return arca_error_create(p, 500, "cannot open a DICOM file");
    fb->p = p;
    fb->buf = static_cast<char *>(apr_palloc(p, CHUNK));
    return arca_dicom_read(p, file_read, fb, d);
}

arca_error_t *arca_dicom_write(arca_dicom_t *d, arca_write_fn write, void *baton)
{
    GUARD_BEGIN
    return write_object(d, write, baton);
    GUARD_END(d->pool)
}

const char *arca_dicom_transfer_syntax(const arca_dicom_t *d)
{
    return d->ts_uid;
}

arca_error_t *arca_dicom_get(arca_dicom_t *d, const char *path, apr_pool_t *p,
                             const char **value)
{
    GUARD_BEGIN
    DcmElement *el;
    arca_error_t *err = find(d, path, &el);
    return err ? err : value_of(p, el, value);
    GUARD_END(p)
}

arca_error_t *arca_dicom_get_vr(arca_dicom_t *d, const char *path, const char **vr)
{
    GUARD_BEGIN
    DcmElement *el;
    arca_error_t *err = find(d, path, &el);
    if (err)
        return err;
    *vr = DcmVR(el->getVR()).getVRName();
    return ARCA_OK;
    GUARD_END(d->pool)
}

arca_error_t *arca_dicom_item_count(arca_dicom_t *d, const char *path, int *count)
{
    GUARD_BEGIN
    DcmElement *el;
    arca_error_t *err = find(d, path, &el);
    if (err)
        return err;
    if (el->ident() != EVR_SQ)
        return arca_error_create(d->pool, 400, "a DICOM element is not a sequence");
    *count = static_cast<int>(static_cast<DcmSequenceOfItems *>(el)->card());
    return ARCA_OK;
    GUARD_END(d->pool)
}

arca_error_t *arca_dicom_set(arca_dicom_t *d, const char *path, const char *vr,
                             const char *value)
{
    GUARD_BEGIN
    std::vector<seg> segs;
    DcmItem *item;
    DcmTagKey key;
    DcmElement *el = NULL;
    arca_error_t *err = parse_path(d->pool, path, segs);

    if (err)
        return err;
    if (segs.back().index >= 0)
        return arca_error_create(d->pool, 400, "a DICOM element path ends in an item");
    if (names_pixel_data(segs))
        return arca_error_create(d->pool, 400, "the pixel data cannot be set");
    if ((err = walk(d, segs, segs.size() - 1, true, &item)))
        return err;
    resolve(item, segs.back(), &key, true);
    if (key.getElement() == 0)
        return arca_error_create(d->pool, 400, "group lengths are made when writing");
    bool created = false;
    if (item->findAndGetElement(key, el).bad()) {
        DcmTag tag(key);
        if (vr) {
            DcmVR v(vr);
            if (v.getEVR() == EVR_UNKNOWN || strlen(vr) != 2)
                return arca_error_create(d->pool, 400, "unknown DICOM VR");
            tag.setVR(v);
        } else if (tag.isUnknownVR() || tag.getEVR() == EVR_UNKNOWN ||
                   tag.getEVR() == EVR_UN) {
            return arca_error_create(d->pool, 400, "a VR is needed for a tag the DICOM "
                                     "dictionary does not know");
        }
        if (DcmItem::newDicomElementWithVR(el, tag).bad() || !el)
            return arca_error_create(d->pool, 400, "cannot create a DICOM element");
        created = true;
    }
    switch (el->ident()) {
    case EVR_SQ: case EVR_OB: case EVR_OW: case EVR_OD: case EVR_OF: case EVR_OL:
    case EVR_OV: case EVR_UN: case EVR_ox: case EVR_px: case EVR_pixelSQ: case EVR_PixelData:
    case EVR_OverlayData: case EVR_UNKNOWN: case EVR_UNKNOWN2B:
        if (created)
            delete el;
        return arca_error_create(d->pool, 400, "a DICOM element of this VR cannot be set from "
                                 "a string");
    default:
        break;
    }
    OFCondition cond = el->putString(value ? value : "");
    if (cond.good() && value && *value && el->getVR() != EVR_UT && el->getVR() != EVR_LT &&
        el->getVR() != EVR_ST && el->getVR() != EVR_UR && el->getVR() != EVR_UC)
        cond = el->checkValue("1-n", OFTrue);
    if (cond.bad()) {
        if (created)
            delete el;
        return arca_error_create(d->pool, 400, "a value does not fit its DICOM element's VR");
    }
    if (created && item->insert(el).bad()) {
        delete el;
        return arca_error_create(d->pool, 400, "cannot insert a DICOM element");
    }
    return ARCA_OK;
    GUARD_END(d->pool)
}

arca_error_t *arca_dicom_delete(arca_dicom_t *d, const char *path, int *deleted)
{
    GUARD_BEGIN
    std::vector<seg> segs;
    DcmItem *item;
    DcmTagKey key;
    DcmElement *el = NULL;
    arca_error_t *err = parse_path(d->pool, path, segs);
    long idx = -1;

    if (deleted)
        *deleted = 0;
    if (err)
        return err;
    if (names_pixel_data(segs))
        return arca_error_create(d->pool, 400, "the pixel data cannot be deleted");
    if ((err = walk(d, segs, segs.size() - 1, false, &item)))
        return err->status == 404 ? ARCA_OK : err;
    if (!resolve(item, segs.back(), &key, false) || item->findAndGetElement(key, el).bad())
        return ARCA_OK;
    idx = segs.back().index;
    if (idx >= 0) {
        if (el->ident() != EVR_SQ)
            return arca_error_create(d->pool, 400, "a DICOM element is not a sequence");
        DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(el);
        if (static_cast<unsigned long>(idx) >= sq->card())
            return ARCA_OK;
        delete sq->remove(static_cast<unsigned long>(idx));
    } else {
        delete item->remove(el);
    }
    if (deleted)
        *deleted = 1;
    return ARCA_OK;
    GUARD_END(d->pool)
}

arca_error_t *arca_dicom_delete_private(arca_dicom_t *d, int *count)
{
    GUARD_BEGIN
    int n = delete_private_in(d->ff->getDataset());
    d->private_deleted = 1;
    if (count)
        *count = n;
    return ARCA_OK;
    GUARD_END(d->pool)
}

arca_error_t *arca_dicom_iterate(arca_dicom_t *d, apr_pool_t *p, arca_dicom_element_fn fn,
                                 void *baton)
{
    GUARD_BEGIN
    iter_ctx c = {p, fn, baton};
    return iterate_item(c, d->ff->getDataset(), std::string(), 0);
    GUARD_END(p)
}

arca_error_t *arca_dicom_iterate_meta(arca_dicom_t *d, apr_pool_t *p, arca_dicom_element_fn fn,
                                      void *baton)
{
    GUARD_BEGIN
    iter_ctx c = {p, fn, baton};
    DcmMetaInfo *meta = d->ff->getMetaInfo();
    if (meta == NULL || d->pix == PIX_SYNTH)
        return ARCA_OK;
    return iterate_item(c, meta, std::string(), 0);
    GUARD_END(p)
}

int arca_dicom_tag_lookup(const char *name, unsigned *group, unsigned *element)
{
    try {
        unsigned g, e;
        int n = -1;
        if ((sscanf(name, "(%4x,%4x)%n", &g, &e, &n) == 2 && n == 11 && name[n] == '\0')
            || (sscanf(name, "%4x,%4x%n", &g, &e, &n) == 2 && n == 9 && name[n] == '\0')
            || (strlen(name) == 8 && strspn(name, "0123456789abcdefABCDEF") == 8
                && sscanf(name, "%4x%4x", &g, &e) == 2)) {
            *group = g;
            *element = e;
            return 1;
        }
        if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789") != strlen(name))
            return 0;
        setup_dcmtk();
        DcmTag tag;
        if (DcmTag::findTagFromName(name, tag).bad())
            return 0;
        *group = tag.getGroup();
        *element = tag.getElement();
        return 1;
    } catch (...) {
        return 0;
    }
}

arca_error_t *arca_dicom_element_value(const arca_dicom_element_t *e, apr_pool_t *p,
                                       const char **value)
{
    GUARD_BEGIN
    DcmElement *el = static_cast<DcmElement *>(const_cast<void *>(e->opaque));
    return value_of(p, el, value);
    GUARD_END(p)
}

arca_error_t *arca_dicom_json(arca_dicom_t *d, apr_pool_t *p, const char **json)
{
    GUARD_BEGIN
    DcmDataset *ds = d->ff->getDataset();
    // UTF-8 as DICOM JSON wants, converted in a copy; a character set iconv does not know
    // stays as it is. ASCII and UTF-8 need neither
    OFString cs;
    std::unique_ptr<DcmDataset> copy;
    if (ds->findAndGetOFStringArray(DCM_SpecificCharacterSet, cs).good() && !cs.empty()
        && cs != "ISO_IR 192" && cs != "ISO_IR 6" && cs != "ISO 2022 IR 6") {
        copy.reset(new DcmDataset(*ds));
        (void)copy->convertToUTF8();
        ds = copy.get();
    }
    std::string out;
    out.reserve(16384);
    json_item(out, ds, true);
    *json = apr_pstrmemdup(p, out.data(), out.size());
    return ARCA_OK;
    GUARD_END(p)
}

int arca_dicom_pixel_span(const arca_dicom_t *d, int of_input, apr_off_t *offset,
                          apr_off_t *length, int *encapsulated)
{
    if (!d->pix_known || d->xfer == EXS_DeflatedLittleEndianExplicit)
        return 0;
    *offset = static_cast<apr_off_t>(of_input ? d->pix_in_off : d->pix_off);
    *length = static_cast<apr_off_t>(d->pix_len);
    *encapsulated = d->pix_encapsulated;
    return 1;
}

arca_error_t *arca_dicom_info(arca_dicom_t *d, apr_pool_t *p, arca_dicom_info_t *info)
{
    GUARD_BEGIN
    DcmDataset *ds = d->ff->getDataset();
    memset(info, 0, sizeof *info);
    info->transfer_syntax = d->ts_uid;
    info->sop_class_uid = opt_string(p, ds, DCM_SOPClassUID);
    info->sop_instance_uid = opt_string(p, ds, DCM_SOPInstanceUID);
    info->study_uid = opt_string(p, ds, DCM_StudyInstanceUID);
    info->series_uid = opt_string(p, ds, DCM_SeriesInstanceUID);
    info->modality = opt_string(p, ds, DCM_Modality);
    info->series_number = opt_string(p, ds, DCM_SeriesNumber);
    info->instance_number = opt_string(p, ds, DCM_InstanceNumber);
    info->series_description = opt_string(p, ds, DCM_SeriesDescription);
    info->study_description = opt_string(p, ds, DCM_StudyDescription);
    info->study_date = opt_string(p, ds, DCM_StudyDate);
    info->study_time = opt_string(p, ds, DCM_StudyTime);
    info->study_id = opt_string(p, ds, DCM_StudyID);
    info->accession_number = opt_string(p, ds, DCM_AccessionNumber);
    info->patient_name = opt_string(p, ds, DCM_PatientName);
    info->patient_id = opt_string(p, ds, DCM_PatientID);
    info->patient_comments = opt_string(p, ds, DCM_PatientComments);
    info->study_comments = opt_string(p, ds, DCM_RETIRED_StudyComments);
    info->number_of_frames = opt_string(p, ds, DCM_NumberOfFrames);
    info->manufacturer = opt_string(p, ds, DCM_Manufacturer);
    info->model = opt_string(p, ds, DCM_ManufacturerModelName);
    return ARCA_OK;
    GUARD_END(p)
}

arca_error_t *arca_dicom_synthetic(apr_pool_t *p, const arca_dicom_synthetic_t *spec,
                                   arca_dicom_t **d)
{
    GUARD_BEGIN
    static const arca_dicom_synthetic_t dflt = {};
    const arca_dicom_synthetic_t *s = spec ? spec : &dflt;
    char uid[100];
    setup_dcmtk();
    const char *modality = s->modality ? s->modality : "CT";
    bool mr = strcmp(modality, "MR") == 0;
    if (!mr && strcmp(modality, "CT") != 0)
        return arca_error_create(p, 400, "synthetic DICOM objects are CT or MR");
    apr_uint64_t rows = s->rows ? s->rows : 64, cols = s->cols ? s->cols : 64;
    apr_uint64_t frames = s->frames > 1 ? s->frames : 1;
    if (rows > 0xFFFF || cols > 0xFFFF || rows * cols * frames * 2 > 0xFFFFFFFEull)
        return arca_error_create(p, 400, "synthetic DICOM pixel data too large");

    arca_dicom_t *o = dicom_new(p);
    o->ff = new DcmFileFormat;
    o->pix = PIX_SYNTH;
    o->synth_rows = rows;
    o->synth_cols = cols;
    o->synth_frames = frames;
    o->xfer = s->implicit_vr ? EXS_LittleEndianImplicit : EXS_LittleEndianExplicit;
    o->ts_uid = apr_pstrdup(p, DcmXfer(o->xfer).getXferID());

    DcmDataset *ds = o->ff->getDataset();
    char num[32];
    int series = s->series_number ? s->series_number : 1;
    int instance = s->instance_number ? s->instance_number : 1;
    struct { DcmTagKey key; const char *v; } vals[] = {
        {DCM_SpecificCharacterSet, "ISO_IR 100"},
        {DCM_ImageType, "ORIGINAL\\PRIMARY\\AXIAL"},
        {DCM_SOPClassUID, mr ? UID_MRImageStorage : UID_CTImageStorage},
        {DCM_SOPInstanceUID, s->sop_uid ? s->sop_uid : dcmGenerateUniqueIdentifier(uid)},
        {DCM_StudyDate, "20240101"},
        {DCM_StudyTime, "120000"},
        {DCM_AccessionNumber, ""},
        {DCM_Modality, modality},
        {DCM_Manufacturer, "Arca"},
        {DCM_ReferringPhysicianName, ""},
        {DCM_StudyDescription, "Synthetic study"},
        {DCM_SeriesDescription, mr ? "Synthetic MR series" : "Synthetic CT series"},
        {DCM_ManufacturerModelName, "Synthetic"},
        {DCM_PatientName, s->patient_name ? s->patient_name : "Synthetic^Patient"},
        {DCM_PatientID, s->patient_id ? s->patient_id : "SYNTH001"},
        {DCM_PatientBirthDate, ""},
        {DCM_PatientSex, "O"},
        {DCM_SliceThickness, "1"},
        {DCM_StudyInstanceUID, s->study_uid ? s->study_uid : dcmGenerateUniqueIdentifier(uid)},
        {DCM_SeriesInstanceUID,
         s->series_uid ? s->series_uid : dcmGenerateUniqueIdentifier(uid)},
        {DCM_StudyID, "1"},
        {DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0"},
        {DCM_FrameOfReferenceUID, dcmGenerateUniqueIdentifier(uid)},
        {DCM_PhotometricInterpretation, "MONOCHROME2"},
        {DCM_PixelSpacing, "1\\1"},
        {DCM_WindowCenter, "2048"},
        {DCM_WindowWidth, "4096"},
    };
    for (const auto &v : vals)
        if (ds->putAndInsertString(v.key, v.v).bad())
            return arca_error_create(p, 400, "a synthetic DICOM value is not valid");
    if (mr) {
        ds->putAndInsertString(DCM_ScanningSequence, "SE");
        ds->putAndInsertString(DCM_SequenceVariant, "NONE");
        ds->putAndInsertString(DCM_ScanOptions, "");
        ds->putAndInsertString(DCM_MRAcquisitionType, "2D");
        ds->putAndInsertString(DCM_MagneticFieldStrength, "3");
    } else {
        ds->putAndInsertString(DCM_KVP, "120");
        ds->putAndInsertString(DCM_RescaleIntercept, "-1024");
        ds->putAndInsertString(DCM_RescaleSlope, "1");
    }
    snprintf(num, sizeof num, "%d", series);
    ds->putAndInsertString(DCM_SeriesNumber, num);
    snprintf(num, sizeof num, "%d", instance);
    ds->putAndInsertString(DCM_InstanceNumber, num);
    snprintf(num, sizeof num, "0\\0\\%d", instance);
    ds->putAndInsertString(DCM_ImagePositionPatient, num);
    if (frames > 1) {
        snprintf(num, sizeof num, "%u", static_cast<unsigned>(frames));
        ds->putAndInsertString(DCM_NumberOfFrames, num);
    }
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(rows));
    ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(cols));
    ds->putAndInsertUint16(DCM_BitsAllocated, 16);
    ds->putAndInsertUint16(DCM_BitsStored, 12);
    ds->putAndInsertUint16(DCM_HighBit, 11);
    ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
    *d = o;
    return ARCA_OK;
    GUARD_END(p)
}

// ---- the de-identification engine's dataset interface --------------------------------------

static const char *deid_get(void *ds, apr_pool_t *p, const char *path)
{
    const char *v = NULL;
    return arca_dicom_get(static_cast<arca_dicom_t *>(ds), path, p, &v) ? NULL : v;
}

static arca_error_t *deid_set(void *ds, const char *path, const char *value)
{
    arca_dicom_t *d = static_cast<arca_dicom_t *>(ds);
    arca_error_t *err = arca_dicom_set(d, path, NULL, value);
    if (err && err->status == 400 && strstr(err->message, "VR is needed"))
        err = arca_dicom_set(d, path, "LO", value);
    return err;
}

static arca_error_t *deid_remove(void *ds, const char *path)
{
    return arca_dicom_delete(static_cast<arca_dicom_t *>(ds), path, NULL);
}

struct deid_each_baton {
    int (*fn)(void *, const char *, unsigned, const char *, const char *);
    void *baton;
};

static arca_error_t *deid_each_one(void *baton, const arca_dicom_element_t *e)
{
    deid_each_baton *b = static_cast<deid_each_baton *>(baton);
    static arca_error_t stop = {0, "stopped"};
    return b->fn(b->baton, e->path, (e->group << 16) | e->element, e->vr, e->creator) ? &stop
                                                                                      : ARCA_OK;
}

static arca_error_t *deid_each(void *ds, apr_pool_t *p,
                               int (*fn)(void *baton, const char *path, unsigned tag,
                                         const char *vr, const char *creator),
                               void *baton)
{
    deid_each_baton b = {fn, baton};
    arca_error_t *err = arca_dicom_iterate(static_cast<arca_dicom_t *>(ds), p, deid_each_one,
                                           &b);
    return err && err->status == 0 ? ARCA_OK : err;
}

const struct arca_deid_dataset_ops *arca_dicom_deid_ops(void)
{
    static const arca_deid_dataset_ops ops = {deid_get, deid_set, deid_remove, deid_each};
    return &ops;
}

}  // extern "C"
