// DICOM network services over dcmtk's dcmnet (see dicom_net.h). The second C++ file of
// libarca; every entry point catches every exception and no dcmtk type crosses into C.
//
// One thread polls every listener; each connection is taken (accepted, its association
// request read), checked, negotiated and served in a thread of its own, so that a peer slow
// to send its request holds up nobody else. At most max_associations are served at once
// (and max_per_peer from one address): a request past either limit is answered at once
// with a transient rejection. A connection that sends no request is closed after the
// ARTIM timeout; and idle connections never lock others out: past max_associations of
// them at once, or max_per_peer from one address, a new connection closes the one that
// has waited longest (a live peer sends its request as soon as it connects, so only an
// idle one is ever there long). dcmtk's logging is off: its messages may quote element
// values.
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcostrma.h"
#include "dcmtk/dcmdata/dcostrmb.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmnet/dcmlayer.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/oflog/oflog.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

extern "C" {
#include <apr_strings.h>

#include "dicom/dicom_net.h"
}

// A connection being taken by its thread: the acceptor shuts it down past its deadline
// (the ARTIM timeout for the whole association request: the socket's receive timeout
// alone lets a peer that trickles its request a byte at a time hold the thread for ever),
// and a newer connection may shut it down earlier (evicted). fd is a dup of the
// connection's socket, made from inside dcmtk's accept, so that its number cannot be
// reused by another connection while it is here; ip is its peer's address.
struct Taking {
    arca_dnet_t *net;
    std::chrono::steady_clock::time_point deadline;
    int fd = -1;
    std::string ip;
    bool shut = false;
    bool evicted = false;
};

struct arca_dnet_t {
    apr_pool_t *pool;
    arca_dnet_config_t cfg;
    std::vector<T_ASC_Network *> nets;
    std::atomic<int> active{0};    // associations being served
    int taking = 0;                // connections whose association request is awaited
    int threads = 0;               // connection threads alive (under mu)
    std::set<struct Taking *> pending; // connections being taken (under mu)
    std::map<std::string, int> active_by_ip; // associations served, by peer address (under mu)
    std::mutex mu;
    std::condition_variable idle;
    const arca_dnet_service_t *svc;
};

namespace {

// Transfer syntaxes a storage context may use, in the order of preference when a context
// proposes several: the encoded ones first, so that an object is stored as its sender has
// it (dcmtk's SCU proposes the file's own syntax with the uncompressed ones beside it).
const char *const STORE_TS[] = {
    UID_JPEGProcess1TransferSyntax, UID_JPEGProcess2_4TransferSyntax,
    UID_JPEGProcess14TransferSyntax, UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGLSLosslessTransferSyntax, UID_JPEGLSLossyTransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax, UID_JPEG2000TransferSyntax,
    UID_RLELosslessTransferSyntax, UID_MPEG2MainProfileAtMainLevelTransferSyntax,
    UID_MPEG4HighProfileLevel4_1TransferSyntax, UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_LittleEndianExplicitTransferSyntax, UID_BigEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
};
const char *const PLAIN_TS[] = {
    UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
};
const char *const QUERY_CLASSES[] = {
    UID_FINDPatientRootQueryRetrieveInformationModel,
    UID_FINDStudyRootQueryRetrieveInformationModel,
    UID_MOVEPatientRootQueryRetrieveInformationModel,
    UID_MOVEStudyRootQueryRetrieveInformationModel,
    UID_GETPatientRootQueryRetrieveInformationModel,
    UID_GETStudyRootQueryRetrieveInformationModel,
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

std::once_flag setup_once;

void setup_dcmtk()
{
    std::call_once(setup_once, [] {
        OFLog::configure(OFLogger::OFF_LOG_LEVEL);
        dcmDisableGethostbyaddr.set(OFTrue); // no DNS per association
    });
}

void say(arca_dnet_t *net, int level, int logno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void say(arca_dnet_t *net, int level, int logno, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (net->svc == NULL || net->svc->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    net->svc->log(net->svc->baton, level, logno, buf);
}

// "address:port" of the other end of a connected socket.
std::string peer_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
            port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
            port = ntohs(in6->sin6_port);
        }
    }
    return std::string(host) + ":" + std::to_string(port);
}

// The address part of peer_of's "address:port".
std::string ip_of(const std::string &peer)
{
    size_t colon = peer.rfind(':');
    return colon == std::string::npos ? peer : peer.substr(0, colon);
}

// Seconds a connection may take to send its association request.
int artim_of(const arca_dnet_config_t &cfg)
{
    int t = cfg.artim_timeout > 0 ? cfg.artim_timeout : cfg.timeout;
    return t < cfg.timeout ? t : cfg.timeout;
}

// Closes the connection awaiting its request that has waited longest, among those from
// `ip` (or from anywhere when ip is NULL), but `self`. Under net->mu. False if none is.
bool evict_oldest(arca_dnet_t *net, const std::string *ip, const Taking *self)
{
    Taking *oldest = NULL;
    for (Taking *t : net->pending)
        if (t != self && t->fd >= 0 && !t->shut && (ip == NULL || t->ip == *ip)
            && (oldest == NULL || t->deadline < oldest->deadline))
            oldest = t;
    if (oldest == NULL)
        return false;
    shutdown(oldest->fd, SHUT_RDWR);
    oldest->shut = oldest->evicted = true;
    return true;
}

// The acceptor and a connection's thread meet here: the thread says when dcmtk has taken
// the connection off the listening socket, and the acceptor goes back to polling.
struct Handoff {
    std::mutex mu;
    std::condition_variable cv;
    bool taken = false;
    void done()
    {
        {
            std::lock_guard<std::mutex> g(mu);
            taken = true;
        }
        cv.notify_all();
    }
};

thread_local std::shared_ptr<Handoff> tl_handoff; // the connection this thread is taking
thread_local Taking *tl_taking;                   // the same, for the acceptor's watch
thread_local std::string tl_peer;                 // and its peer, once accepted

// A connection just accepted: watched for its deadline, and counted against its address's
// limit. Past it, the connection from that address that has waited longest for its
// request is closed, so that idle connections cannot keep a live peer out.
void register_taken(Taking *t, int fd)
{
    arca_dnet_t *net = t->net;
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    bool evicted = false;
    int from_ip = 0;
    {
        std::lock_guard<std::mutex> g(net->mu);
        t->fd = d;
        t->ip = ip_of(tl_peer);
        for (const Taking *o : net->pending)
            if (o->fd >= 0 && !o->shut && o->ip == t->ip)
                from_ip++;
        auto a = net->active_by_ip.find(t->ip);
        if (a != net->active_by_ip.end())
            from_ip += a->second;
        if (from_ip > net->cfg.max_per_peer)
            evicted = evict_oldest(net, &t->ip, t);
    }
    if (evicted)
        say(net, ARCA_DNET_NOTICE, 10460, "%d connections from %s at once (ArcaDicomMaxPerPeer "
            "%d): the one that has waited longest for its association request is closed",
            from_ip, t->ip.c_str(), net->cfg.max_per_peer);
}

// dcmtk's TCP transport, plus: Nagle's algorithm off on every connection (dcmtk turns it
// off only when the environment says TCP_NODELAY=1; with it on, each C-STORE response
// waits for a delayed ACK: 20 times slower on loopback), and the hand-off above, told from
// inside dcmtk's accept, before it reads anything from the peer.
// A receive and send timeout of ArcaDicomTimeout on the socket too, against a peer that
// stops in the middle of a PDU (dcmtk reads the rest of one without a timeout of its own)
// or stops reading.
class ArcaTransportLayer : public DcmTransportLayer {
public:
    explicit ArcaTransportLayer(int timeout) : timeout_(timeout) {}
    DcmTransportConnection *createConnection(DcmNativeSocketType fd, OFBool secure) override
    {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        tl_peer = peer_of(fd);
        if (tl_taking)
            register_taken(tl_taking, fd);
        DcmTransportConnection *c = DcmTransportLayer::createConnection(fd, secure);
        // after the connection's constructor, which sets dcmtk's own (60 s)
        struct timeval tv = {timeout_, 0};
        if (timeout_ > 0) {
            (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        }
        if (tl_handoff) {
            tl_handoff->done();
            tl_handoff.reset();
        }
        return c;
    }

private:
    int timeout_;
};

// A received dataset, kept in memory up to a limit; past it the rest is read and dropped.
class MemConsumer : public DcmConsumer {
public:
    MemConsumer(std::string &out, size_t limit) : out_(out), limit_(limit) {}
    OFBool good() const override { return OFTrue; }
    OFCondition status() const override { return EC_Normal; }
    OFBool isFlushed() const override { return OFTrue; }
    offile_off_t avail() const override { return 1 << 30; }
    offile_off_t write(const void *buf, offile_off_t len) override
    {
        if (!over && out_.size() + (size_t)len <= limit_)
            out_.append(static_cast<const char *>(buf), (size_t)len);
        else
            over = true;
        return len;
    }
    void flush() override {}
    bool over = false;

private:
    std::string &out_;
    size_t limit_;
};

class MemStream : public DcmOutputStream {
public:
    explicit MemStream(MemConsumer *c) : DcmOutputStream(c) {}
};

// Preamble, "DICM" and a meta header naming the object and its transfer syntax: what is
// needed in front of the received dataset to make it a Part 10 file.
bool meta_header(const char *sop_class, const char *sop_uid, const char *ts, std::string &out)
{
    DcmFileFormat ff;
    DcmDataset *ds = ff.getDataset();
    E_TransferSyntax xfer = DcmXfer(ts).getXfer();

    if (xfer == EXS_Unknown || ds->putAndInsertString(DCM_SOPClassUID, sop_class).bad()
        || ds->putAndInsertString(DCM_SOPInstanceUID, sop_uid).bad()
        || ff.validateMetaInfo(xfer).bad())
        return false;
    DcmMetaInfo *mi = ff.getMetaInfo();
    mi->putAndInsertString(DCM_TransferSyntaxUID, ts);
    Uint32 len = 0;
    mi->computeGroupLengthAndPadding(EGL_withGL, EPD_noChange, META_HEADER_DEFAULT_TRANSFERSYNTAX);
    std::vector<char> buf(64 * 1024);
    DcmOutputBufferStream os(buf.data(), buf.size());
    mi->transferInit();
    OFCondition c = mi->write(os, META_HEADER_DEFAULT_TRANSFERSYNTAX, EET_ExplicitLength, NULL);
    mi->transferEnd();
    if (c.bad())
        return false;
    void *b = NULL;
    offile_off_t n = 0;
    os.flushBuffer(b, n);
    (void)len;
    out.assign(static_cast<const char *>(b), (size_t)n);
    return true;
}

struct Assoc {
    arca_dnet_t *net;
    T_ASC_Association *assoc;
    const arca_dnet_listener_cfg_t *listener;
    arca_dnet_assoc_t a;
    std::string calling, called, peer, ip;
    int stored = 0, failed = 0;
    std::string buf; // the object being received, its capacity kept for the next one
};

std::string string_of(DcmElement *el)
{
    OFString v;
    if (el->getOFStringArray(v).bad())
        return std::string();
    return std::string(v.c_str(), v.length());
}

// The keys of a query identifier: its top-level elements but the level and the
// character set (sequences are not matched).
void keys_of(DcmDataset *ids, std::string &level, std::vector<std::pair<DcmTagKey, std::string>> &keys)
{
    for (unsigned long i = 0; i < ids->card(); i++) {
        DcmElement *el = ids->getElement(i);
        DcmTagKey k = el->getTag().getXTag();
        if (k == DCM_QueryRetrieveLevel)
            level = string_of(el);
        else if (k != DCM_SpecificCharacterSet && el->ident() != EVR_SQ)
            keys.emplace_back(k, string_of(el));
    }
    while (!level.empty() && level.back() == ' ')
        level.pop_back();
}

void c_keys(const std::vector<std::pair<DcmTagKey, std::string>> &keys,
            std::vector<arca_dnet_key_t> &out)
{
    out.resize(keys.size());
    for (size_t i = 0; i < keys.size(); i++) {
        out[i].group = keys[i].first.getGroup();
        out[i].element = keys[i].first.getElement();
        out[i].value = keys[i].second.c_str();
    }
}

// Receives a C-FIND's, C-MOVE's or C-GET's identifier: its level, and its keys as the
// service takes them (`ck` points into `keys`). False when the requestor is gone.
bool receive_keys(Assoc &as, T_ASC_PresentationContextID pid, std::string &level,
                  std::vector<std::pair<DcmTagKey, std::string>> &keys,
                  std::vector<arca_dnet_key_t> &ck)
{
    DcmDataset *ids = NULL;
    T_ASC_PresentationContextID data_pid = pid;
    if (DIMSE_receiveDataSetInMemory(as.assoc, DIMSE_NONBLOCKING, as.net->cfg.timeout, &data_pid,
                                     &ids, NULL, NULL).bad())
        return false;
    std::unique_ptr<DcmDataset> hold(ids);
    keys_of(ids, level, keys);
    c_keys(keys, ck);
    return true;
}

arca_dnet_model_t model_of(const char *sop_class)
{
    return strstr(sop_class, ".1.2.1.") ? ARCA_DNET_PATIENT_ROOT : ARCA_DNET_STUDY_ROOT;
}

// What every response to `rq` begins with: the message it answers, its status and SOP
// class, and no data set (a C-FIND match adds one).
template <typename RQ, typename RSP>
void begin_response(const RQ &rq, unsigned status, RSP &rsp)
{
    memset(&rsp, 0, sizeof rsp);
    rsp.MessageIDBeingRespondedTo = rq.MessageID;
    rsp.DimseStatus = (DIC_US)status;
    rsp.DataSetType = DIMSE_DATASET_NULL;
    OFStandard::strlcpy(rsp.AffectedSOPClassUID, rq.AffectedSOPClassUID,
                        sizeof rsp.AffectedSOPClassUID);
}

// ---- C-ECHO, C-STORE ---------------------------------------------------------------------

bool serve_echo(Assoc &as, T_ASC_PresentationContextID pid, T_DIMSE_C_EchoRQ &rq)
{
    return DIMSE_sendEchoResponse(as.assoc, pid, &rq, STATUS_Success, NULL).good();
}

bool serve_store(Assoc &as, T_ASC_PresentationContextID pid, T_DIMSE_C_StoreRQ &rq)
{
    T_ASC_PresentationContext pc;
    std::string &obj = as.buf;
    T_ASC_PresentationContextID data_pid = pid;
    unsigned status;

    if (ASC_findAcceptedPresentationContext(as.assoc->params, pid, &pc).bad()
        || !meta_header(rq.AffectedSOPClassUID, rq.AffectedSOPInstanceUID,
                        pc.acceptedTransferSyntax, obj))
        return false;
    size_t head = obj.size();
    MemConsumer sink(obj, as.net->cfg.max_object + head);
    MemStream os(&sink);
    OFCondition c = DIMSE_receiveDataSetInFile(as.assoc, DIMSE_NONBLOCKING, as.net->cfg.timeout,
                                               &data_pid, &os, NULL, NULL);
    if (c.bad()) {
        // the peer went away or sent garbage mid-object: nothing of it is kept
        say(as.net, ARCA_DNET_WARNING, 10320, "C-STORE from %s (%s) interrupted: the object "
             "is dropped (%s)", as.calling.c_str(), as.peer.c_str(), c.text());
        return false;
    }
    if (sink.over) {
        status = ARCA_DIMSE_OUT_OF_RESOURCES;
        say(as.net, ARCA_DNET_WARNING, 10321, "C-STORE from %s (%s): an object larger than "
             "%lu bytes refused", as.calling.c_str(), as.peer.c_str(),
             (unsigned long)as.net->cfg.max_object);
    } else {
        status = as.net->svc->store(&as.a, rq.AffectedSOPClassUID, rq.AffectedSOPInstanceUID,
                                    obj.data(), obj.size());
    }
    obj.clear();
    if (obj.capacity() > 16 * 1024 * 1024) // kept for the next object, unless it is large
        obj.shrink_to_fit();
    status == ARCA_DIMSE_SUCCESS ? as.stored++ : as.failed++;

    T_DIMSE_C_StoreRSP rsp;
    begin_response(rq, status, rsp);
    OFStandard::strlcpy(rsp.AffectedSOPInstanceUID, rq.AffectedSOPInstanceUID,
                        sizeof rsp.AffectedSOPInstanceUID);
    rsp.opts = O_STORE_AFFECTEDSOPCLASSUID | O_STORE_AFFECTEDSOPINSTANCEUID;
    return DIMSE_sendStoreResponse(as.assoc, pid, &rq, &rsp, NULL).good();
}

// ---- C-FIND ------------------------------------------------------------------------------

struct FindCtx {
    Assoc *as;
    T_ASC_PresentationContextID pid;
    T_DIMSE_C_FindRQ *rq;
    std::string level;
    bool stop = false;
    int matches = 0;
};

int find_match(void *ctx, const arca_dnet_key_t *values, int n)
{
    FindCtx *f = static_cast<FindCtx *>(ctx);

    try {
        if (DIMSE_checkForCancelRQ(f->as->assoc, f->pid, f->rq->MessageID).good())
            return f->stop = true;
        DcmDataset ds;
        ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
        ds.putAndInsertString(DCM_QueryRetrieveLevel, f->level.c_str());
        for (int i = 0; i < n; i++) {
            DcmTag tag(DcmTagKey((Uint16)values[i].group, (Uint16)values[i].element));
            if (tag.getEVR() == EVR_UNKNOWN || tag.getEVR() == EVR_UN)
                tag.setVR(DcmVR(EVR_LO));
            ds.putAndInsertString(tag, values[i].value ? values[i].value : "");
        }
        T_DIMSE_C_FindRSP rsp;
        begin_response(*f->rq, STATUS_Pending, rsp);
        rsp.DataSetType = DIMSE_DATASET_PRESENT;
        rsp.opts = O_FIND_AFFECTEDSOPCLASSUID;
        if (DIMSE_sendFindResponse(f->as->assoc, f->pid, f->rq, &rsp, &ds, NULL).bad())
            return f->stop = true;
        f->matches++;
        return 0;
    } catch (...) {
        return f->stop = true;
    }
}

bool serve_find(Assoc &as, T_ASC_PresentationContextID pid, T_DIMSE_C_FindRQ &rq)
{
    FindCtx f;
    f.as = &as;
    f.pid = pid;
    f.rq = &rq;
    std::vector<std::pair<DcmTagKey, std::string>> keys;
    std::vector<arca_dnet_key_t> ck;
    if (!receive_keys(as, pid, f.level, keys, ck))
        return false;
    unsigned status = as.net->svc->find(&as.a, model_of(rq.AffectedSOPClassUID), f.level.c_str(),
                                        ck.data(), (int)ck.size(), find_match, &f);
    if (f.stop && status == ARCA_DIMSE_SUCCESS)
        status = STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest;
    say(as.net, ARCA_DNET_INFO, 10330, "C-FIND %s level from %s (%s): %d match(es), status "
         "0x%04x", f.level.c_str(), as.calling.c_str(), as.peer.c_str(), f.matches, status);
    T_DIMSE_C_FindRSP rsp;
    begin_response(rq, status, rsp);
    rsp.opts = O_FIND_AFFECTEDSOPCLASSUID;
    return DIMSE_sendFindResponse(as.assoc, pid, &rq, &rsp, NULL, NULL).good();
}

// ---- C-MOVE and C-GET: sub-operations ----------------------------------------------------

struct SubOps {
    int remaining = 0, completed = 0, failed = 0, warning = 0;
};

// Sends one file over `assoc` (a sub-association, or the C-GET's own).
void send_file(arca_dnet_t *net, T_ASC_Association *assoc, const char *path, SubOps &ops,
               bool on_get)
{
    DcmFileFormat ff;
    ops.remaining--;
    if (ff.loadFile(path).bad()) {
        ops.failed++;
        return;
    }
    DcmDataset *ds = ff.getDataset();
    OFString cls, uid;
    ds->findAndGetOFString(DCM_SOPClassUID, cls);
    ds->findAndGetOFString(DCM_SOPInstanceUID, uid);
    const char *ts = DcmXfer(ds->getOriginalXfer()).getXferID();
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(assoc, cls.c_str(), ts);
    T_ASC_PresentationContext pc;
    if (pid == 0 || ASC_findAcceptedPresentationContext(assoc->params, pid, &pc).bad()) {
        ops.failed++;
        return;
    }
    E_TransferSyntax want = DcmXfer(pc.acceptedTransferSyntax).getXfer();
    if (want != ds->getOriginalXfer()
        && (ds->chooseRepresentation(want, NULL).bad() || !ds->canWriteXfer(want))) {
        ops.failed++;
        return;
    }
    T_DIMSE_C_StoreRQ rq;
    T_DIMSE_C_StoreRSP rsp;
    DcmDataset *detail = NULL;
    memset(&rq, 0, sizeof rq);
    memset(&rsp, 0, sizeof rsp);
    rq.MessageID = assoc->nextMsgID++;
    OFStandard::strlcpy(rq.AffectedSOPClassUID, cls.c_str(), sizeof rq.AffectedSOPClassUID);
    OFStandard::strlcpy(rq.AffectedSOPInstanceUID, uid.c_str(), sizeof rq.AffectedSOPInstanceUID);
    rq.DataSetType = DIMSE_DATASET_PRESENT;
    rq.Priority = DIMSE_PRIORITY_MEDIUM;
    OFCondition c = DIMSE_storeUser(assoc, pid, &rq, NULL, ds, NULL, NULL, DIMSE_NONBLOCKING,
                                    net->cfg.timeout, &rsp, &detail);
    delete detail;
    if (c.bad() || DICOM_FAILURE_STATUS(rsp.DimseStatus))
        ops.failed++;
    else if (rsp.DimseStatus != STATUS_Success)
        ops.warning++, ops.completed++;
    else
        ops.completed++;
    (void)on_get;
}

const arca_dnet_peer_t *peer_named(arca_dnet_t *net, const char *ae)
{
    std::string want(ae);
    while (!want.empty() && want.back() == ' ')
        want.pop_back();
    for (int i = 0; i < net->cfg.npeers; i++)
        if (want == net->cfg.peers[i].ae_title)
            return &net->cfg.peers[i];
    return NULL;
}

// A sub-association to a C-MOVE destination proposing, for every SOP class among the
// files, their own transfer syntaxes and the uncompressed ones.
T_ASC_Association *open_sub(arca_dnet_t *net, T_ASC_Network *anet, const char *our_ae,
                            const arca_dnet_peer_t *peer, const std::vector<std::string> &files)
{
    std::set<std::pair<std::string, std::string>> pairs;
    for (const std::string &f : files) {
        DcmFileFormat ff;
        if (ff.loadFile(f.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_metaOnly).bad())
            continue;
        OFString cls, ts;
        ff.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, cls);
        ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts);
        pairs.emplace(cls.c_str(), ts.c_str());
    }
    T_ASC_Parameters *params = NULL;
    if (ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU).bad())
        return NULL;
    ASC_setAPTitles(params, our_ae, peer->ae_title, NULL);
    std::string addr = std::string(peer->host) + ":" + std::to_string(peer->port);
    ASC_setPresentationAddresses(params, "localhost", addr.c_str());
    int id = 1;
    for (const auto &pr : pairs) {
        if (id > 255)
            break;
        std::vector<const char *> ts;
        ts.push_back(pr.second.c_str());
        for (int i = 0; i < COUNT(PLAIN_TS); i++)
            if (pr.second != PLAIN_TS[i])
                ts.push_back(PLAIN_TS[i]);
        ASC_addPresentationContext(params, (T_ASC_PresentationContextID)id, pr.first.c_str(),
                                   ts.data(), (int)ts.size());
        id += 2;
    }
    T_ASC_Association *sub = NULL;
    if (ASC_requestAssociation(anet, params, &sub).bad()) {
        if (sub)
            ASC_destroyAssociation(&sub);
        else
            ASC_destroyAssociationParameters(&params);
        return NULL;
    }
    if (ASC_countAcceptedPresentationContexts(params) == 0) {
        ASC_abortAssociation(sub);
        ASC_destroyAssociation(&sub);
        return NULL;
    }
    return sub;
}

// C-MOVE's and C-GET's responses differ in dcmtk by their types and send functions only:
// their option flags are the same bits.
static_assert(O_MOVE_AFFECTEDSOPCLASSUID == O_GET_AFFECTEDSOPCLASSUID
              && O_MOVE_NUMBEROFREMAININGSUBOPERATIONS == O_GET_NUMBEROFREMAININGSUBOPERATIONS
              && O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS == O_GET_NUMBEROFCOMPLETEDSUBOPERATIONS
              && O_MOVE_NUMBEROFFAILEDSUBOPERATIONS == O_GET_NUMBEROFFAILEDSUBOPERATIONS
              && O_MOVE_NUMBEROFWARNINGSUBOPERATIONS == O_GET_NUMBEROFWARNINGSUBOPERATIONS,
              "dcmtk's C-MOVE and C-GET response flags");
const unsigned RSP_CLASS = O_MOVE_AFFECTEDSOPCLASSUID;
const unsigned RSP_REMAINING = O_MOVE_NUMBEROFREMAININGSUBOPERATIONS;
const unsigned RSP_COUNTS = O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS
                            | O_MOVE_NUMBEROFFAILEDSUBOPERATIONS
                            | O_MOVE_NUMBEROFWARNINGSUBOPERATIONS;

OFCondition send_response(T_ASC_Association *a, T_ASC_PresentationContextID pid,
                          T_DIMSE_C_MoveRQ &rq, T_DIMSE_C_MoveRSP &rsp)
{
    return DIMSE_sendMoveResponse(a, pid, &rq, &rsp, NULL, NULL);
}

OFCondition send_response(T_ASC_Association *a, T_ASC_PresentationContextID pid,
                          T_DIMSE_C_GetRQ &rq, T_DIMSE_C_GetRSP &rsp)
{
    return DIMSE_sendGetResponse(a, pid, &rq, &rsp, NULL, NULL);
}

// A retrieve's answers to its requestor: a pending one after each sub-operation but the
// last, then the final one with the counts.
template <typename RQ, typename RSP>
class Responder {
public:
    Responder(Assoc &as, T_ASC_PresentationContextID pid, RQ &rq)
        : as_(as), pid_(pid), rq_(rq)
    {
        begin_response(rq, 0, rsp_); // the status is set with each answer
    }
    bool pending(const SubOps &ops)
    {
        return answer(STATUS_Pending, RSP_CLASS | RSP_REMAINING | RSP_COUNTS, ops,
                      ops.remaining);
    }
    bool final(const SubOps &ops, unsigned status)
    {
        return answer(status, RSP_CLASS | RSP_COUNTS, ops, 0);
    }

private:
    bool answer(unsigned status, unsigned opts, const SubOps &ops, int remaining)
    {
        rsp_.DimseStatus = (DIC_US)status;
        rsp_.opts = opts;
        rsp_.NumberOfRemainingSubOperations = (DIC_US)remaining;
        rsp_.NumberOfCompletedSubOperations = (DIC_US)ops.completed;
        rsp_.NumberOfFailedSubOperations = (DIC_US)ops.failed;
        rsp_.NumberOfWarningSubOperations = (DIC_US)ops.warning;
        return send_response(as_.assoc, pid_, rq_, rsp_).good();
    }
    Assoc &as_;
    T_ASC_PresentationContextID pid_;
    RQ &rq_;
    RSP rsp_;
};

// The sub-operations: each file over `to` (C-GET: the requestor's own association; C-MOVE:
// one to the destination), a pending answer after each. False when the requestor is gone.
template <typename R>
bool send_files(Assoc &as, T_ASC_Association *to, const std::vector<std::string> &files,
                SubOps &ops, bool on_get, R &answers)
{
    ops.remaining = (int)files.size();
    for (const std::string &f : files) {
        send_file(as.net, to, f.c_str(), ops, on_get);
        if (ops.remaining > 0 && !answers.pending(ops))
            return false;
    }
    return true;
}

unsigned final_status(const SubOps &ops)
{
    if (ops.failed == 0 && ops.warning == 0)
        return STATUS_Success;
    return ops.completed == 0 ? STATUS_MOVE_Failed_UnableToProcess : STATUS_MOVE_Warning_SubOperationsCompleteOneOrMoreFailures;
}

// A C-MOVE's or C-GET's work: the files its keys name, and how sending them went.
struct Retrieval {
    std::vector<std::string> files;
    std::string level;
    unsigned status = 0;
    SubOps ops;
};

// Reads the request's keys and finds the files they name. False when the requestor is gone.
bool locate(Assoc &as, T_ASC_PresentationContextID pid, const char *sop_class, Retrieval &rv)
{
    std::vector<std::pair<DcmTagKey, std::string>> keys;
    std::vector<arca_dnet_key_t> ck;
    if (!receive_keys(as, pid, rv.level, keys, ck))
        return false;
    apr_pool_t *p;
    apr_array_header_t *found = NULL;
    apr_pool_create(&p, NULL);
    rv.status = as.net->svc->locate(&as.a, model_of(sop_class), rv.level.c_str(), ck.data(),
                                    (int)ck.size(), p, &found);
    for (int i = 0; found && i < found->nelts; i++)
        rv.files.emplace_back(APR_ARRAY_IDX(found, i, const char *));
    apr_pool_destroy(p);
    return true;
}

// A retrieve's last line in the log (`op`: "C-MOVE", "C-GET"), then its final answer.
template <typename R>
bool finish_retrieval(Assoc &as, R &answers, const Retrieval &rv, const char *op, int logno)
{
    say(as.net, ARCA_DNET_INFO, logno, "%s %s level from %s (%s): %d sent, %d failed, "
         "status 0x%04x", op, rv.level.c_str(), as.calling.c_str(), as.peer.c_str(),
         rv.ops.completed, rv.ops.failed, rv.status);
    return answers.final(rv.ops, rv.status);
}

bool serve_move(Assoc &as, T_ASC_PresentationContextID pid, T_DIMSE_C_MoveRQ &rq)
{
    Retrieval rv;
    if (!locate(as, pid, rq.AffectedSOPClassUID, rv))
        return false;
    const arca_dnet_peer_t *peer = peer_named(as.net, rq.MoveDestination);
    Responder<T_DIMSE_C_MoveRQ, T_DIMSE_C_MoveRSP> answers(as, pid, rq);
    if (rv.status == ARCA_DIMSE_SUCCESS && peer == NULL) {
        rv.status = ARCA_DIMSE_UNKNOWN_DESTINATION;
        say(as.net, ARCA_DNET_WARNING, 10341, "C-MOVE from %s (%s): unknown destination AE "
             "(no ArcaDicomPeer of that name)", as.calling.c_str(), as.peer.c_str());
    }
    if (rv.status == ARCA_DIMSE_SUCCESS && !rv.files.empty()) {
        T_ASC_Network *anet = NULL;
        T_ASC_Association *sub = NULL;
        if (ASC_initializeNetwork(NET_REQUESTOR, 0, as.net->cfg.timeout, &anet).good()
            && ASC_setTransportLayer(anet, new ArcaTransportLayer(as.net->cfg.timeout), 1).good())
            sub = open_sub(as.net, anet, as.called.c_str(), peer, rv.files);
        if (sub == NULL) {
            rv.status = ARCA_DIMSE_MOVE_OUT_OF_RESOURCES;
            say(as.net, ARCA_DNET_WARNING, 10342, "C-MOVE from %s (%s): cannot open an "
                 "association to %s at %s:%d", as.calling.c_str(), as.peer.c_str(),
                 peer->ae_title, peer->host, peer->port);
        } else {
            send_files(as, sub, rv.files, rv.ops, false, answers);
            ASC_releaseAssociation(sub);
            ASC_destroyAssociation(&sub);
            rv.status = final_status(rv.ops);
        }
        if (anet)
            ASC_dropNetwork(&anet);
    }
    return finish_retrieval(as, answers, rv, "C-MOVE", 10340);
}

bool serve_get(Assoc &as, T_ASC_PresentationContextID pid, T_DIMSE_C_GetRQ &rq)
{
    Retrieval rv;
    if (!locate(as, pid, rq.AffectedSOPClassUID, rv))
        return false;
    Responder<T_DIMSE_C_GetRQ, T_DIMSE_C_GetRSP> answers(as, pid, rq);
    if (rv.status == ARCA_DIMSE_SUCCESS) {
        if (!send_files(as, as.assoc, rv.files, rv.ops, true, answers))
            return false;
        rv.status = final_status(rv.ops);
    }
    return finish_retrieval(as, answers, rv, "C-GET", 10345);
}

// ---- an association ----------------------------------------------------------------------

// Accepts what we serve; C-GET's storage contexts with the SCP role for the peer.
OFCondition negotiate(T_ASC_Association *assoc)
{
    const char *echo[] = {UID_VerificationSOPClass};
    OFCondition c = ASC_acceptContextsWithPreferredTransferSyntaxes(
        assoc->params, echo, 1, const_cast<const char **>(PLAIN_TS), COUNT(PLAIN_TS));
    if (c.good())
        c = ASC_acceptContextsWithPreferredTransferSyntaxes(
            assoc->params, const_cast<const char **>(QUERY_CLASSES), COUNT(QUERY_CLASSES),
            const_cast<const char **>(PLAIN_TS), COUNT(PLAIN_TS));
    if (c.good())
        c = ASC_acceptContextsWithPreferredTransferSyntaxes(
            assoc->params, dcmAllStorageSOPClassUIDs, numberOfDcmAllStorageSOPClassUIDs,
            const_cast<const char **>(STORE_TS), COUNT(STORE_TS), ASC_SC_ROLE_DEFAULT);
    if (c.bad())
        return c;
    // a C-GET SCU proposes the storage SCP role for itself: grant it
    int n = ASC_countPresentationContexts(assoc->params);
    for (int i = 0; i < n; i++) {
        T_ASC_PresentationContext pc;
        if (ASC_getPresentationContext(assoc->params, i, &pc).bad())
            continue;
        if (pc.resultReason == ASC_P_ACCEPTANCE
            && (pc.proposedRole == ASC_SC_ROLE_SCP || pc.proposedRole == ASC_SC_ROLE_SCUSCP))
            ASC_acceptPresentationContext(assoc->params, pc.presentationContextID,
                                          pc.acceptedTransferSyntax, pc.proposedRole);
    }
    return EC_Normal;
}

void reject(T_ASC_Association *assoc, T_ASC_RejectParametersResult result, T_ASC_RejectParametersReason reason)
{
    T_ASC_RejectParameters rej = {result, ASC_SOURCE_SERVICEUSER, reason};
    if (reason == ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED)
        rej.source = ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED;
    ASC_rejectAssociation(assoc, &rej);
}

void serve_assoc(Assoc *as)
{
    arca_dnet_t *net = as->net;
    T_ASC_Association *assoc = as->assoc;
    const std::string ip = as->ip; // as is gone by the end
    int released = 0;

    try {
        if (net->svc->open(net->svc->baton, &as->a) != ARCA_OK) {
            reject(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_REASON_SP_PRES_TEMPORARYCONGESTION);
            say(net, ARCA_DNET_ERR, 10312, "association from %s (%s) refused: the archive is "
                 "not available", as->calling.c_str(), as->peer.c_str());
        } else if (ASC_acknowledgeAssociation(assoc).good()) {
            say(net, ARCA_DNET_INFO, 10313, "association from %s (%s) to %s accepted",
                 as->calling.c_str(), as->peer.c_str(), as->called.c_str());
            for (;;) {
                T_DIMSE_Message msg;
                T_ASC_PresentationContextID pid = 0;
                OFCondition c = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, net->cfg.timeout,
                                                     &pid, &msg, NULL);
                if (c == DUL_PEERREQUESTEDRELEASE) {
                    ASC_acknowledgeRelease(assoc);
                    released = 1;
                    break;
                }
                if (c.bad()) {
                    if (c == DIMSE_NODATAAVAILABLE)
                        say(net, ARCA_DNET_WARNING, 10314, "association from %s (%s) silent "
                             "for %d s: aborted", as->calling.c_str(), as->peer.c_str(),
                             net->cfg.timeout);
                    else if (c != DUL_PEERABORTEDASSOCIATION)
                        say(net, ARCA_DNET_WARNING, 10315, "association from %s (%s) "
                             "failed: %s", as->calling.c_str(), as->peer.c_str(), c.text());
                    else
                        say(net, ARCA_DNET_NOTICE, 10316, "association from %s (%s) "
                             "aborted by the peer", as->calling.c_str(), as->peer.c_str());
                    ASC_abortAssociation(assoc);
                    break;
                }
                bool ok;
                switch (msg.CommandField) {
                case DIMSE_C_ECHO_RQ: ok = serve_echo(*as, pid, msg.msg.CEchoRQ); break;
                case DIMSE_C_STORE_RQ: ok = serve_store(*as, pid, msg.msg.CStoreRQ); break;
                case DIMSE_C_FIND_RQ: ok = serve_find(*as, pid, msg.msg.CFindRQ); break;
                case DIMSE_C_MOVE_RQ: ok = serve_move(*as, pid, msg.msg.CMoveRQ); break;
                case DIMSE_C_GET_RQ: ok = serve_get(*as, pid, msg.msg.CGetRQ); break;
                case DIMSE_C_CANCEL_RQ: ok = true; break; // nothing running to cancel
                default:
                    say(net, ARCA_DNET_WARNING, 10317, "association from %s (%s): "
                         "unsupported DIMSE command 0x%04x, aborted", as->calling.c_str(),
                         as->peer.c_str(), (unsigned)msg.CommandField);
                    ok = false;
                }
                if (!ok) {
                    ASC_abortAssociation(assoc);
                    break;
                }
            }
            say(net, ARCA_DNET_INFO, 10318, "association from %s (%s) %s: %d stored, %d "
                 "refused", as->calling.c_str(), as->peer.c_str(),
                 released ? "released" : "ended", as->stored, as->failed);
            net->svc->close(&as->a, released);
        }
    } catch (...) {
        say(net, ARCA_DNET_ERR, 10319, "association from %s (%s): unexpected failure",
             as->calling.c_str(), as->peer.c_str());
        ASC_abortAssociation(assoc);
    }
    ASC_dropSCPAssociation(assoc);
    ASC_destroyAssociation(&assoc);
    delete as;
    {
        std::lock_guard<std::mutex> g(net->mu);
        net->active--;
        auto a = net->active_by_ip.find(ip);
        if (a != net->active_by_ip.end() && --a->second <= 0)
            net->active_by_ip.erase(a);
    }
    net->idle.notify_all();
}

// An association request read on listener i: checked, negotiated, then served here.
void admit(arca_dnet_t *net, int i, T_ASC_Association *assoc)
{
    const arca_dnet_listener_cfg_t *l = &net->cfg.listeners[i];
    Assoc *as = new Assoc;
    as->net = net;
    as->assoc = assoc;
    as->listener = l;
    char calling[64] = "", called[64] = "";
    ASC_getAPTitles(assoc->params, calling, sizeof calling, called, sizeof called, NULL, 0);
    as->calling = calling;
    as->called = called;
    if (tl_peer.empty()) {
        char peer[128] = "";
        ASC_getPresentationAddresses(assoc->params, peer, sizeof peer, NULL, 0);
        tl_peer = peer;
    }
    as->peer = tl_peer;
    as->ip = ip_of(tl_peer);
    as->a.calling_ae = as->calling.c_str();
    as->a.called_ae = as->called.c_str();
    as->a.peer = as->peer.c_str();
    as->a.receiver = l->receiver;
    const char *why = NULL;
    bool ok = false;
    if (as->called != l->ae_title) {
        reject(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED);
        why = "called AE title not served here";
    } else if (!net->svc->accept(net->svc->baton, l->receiver, calling, as->a.peer, &why)) {
        reject(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED);
    } else if (negotiate(assoc).bad()) {
        reject(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_REASON_SU_NOREASON);
        why = "negotiation failed";
    } else if (ASC_countAcceptedPresentationContexts(assoc->params) == 0) {
        reject(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_REASON_SU_NOREASON);
        why = "no presentation context (SOP class and transfer syntax) it proposed is served";
    } else {
        // both limits answer at once, with a transient rejection: the peer may try again
        std::lock_guard<std::mutex> g(net->mu);
        int &from_ip = net->active_by_ip[as->ip];
        if (net->active >= net->cfg.max_associations) {
            reject(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
            why = "ArcaDicomMaxAssociations reached";
        } else if (from_ip >= net->cfg.max_per_peer) {
            reject(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
            why = "ArcaDicomMaxPerPeer reached for its address";
        } else {
            net->active++;
            from_ip++;
            ok = true;
        }
        if (from_ip == 0)
            net->active_by_ip.erase(as->ip);
    }
    if (!ok) {
        say(net, ARCA_DNET_NOTICE, 10311, "association from %s (%s) to %s refused: %s",
             calling, as->peer.c_str(), called, why ? why : "not allowed");
        ASC_dropSCPAssociation(assoc);
        ASC_destroyAssociation(&assoc);
        delete as;
        return;
    }
    serve_assoc(as);
}

// A connection's thread: takes it from listener i (dcmtk accepts it and reads the
// association request, waiting up to the timeout for it), then admits and serves it.
void take(arca_dnet_t *net, int i, std::shared_ptr<Handoff> h)
{
    const arca_dnet_listener_cfg_t *l = &net->cfg.listeners[i];
    T_ASC_Association *assoc = NULL;

    Taking t;
    bool shut, evicted;

    t.net = net;
    t.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(artim_of(net->cfg));
    {
        std::lock_guard<std::mutex> g(net->mu);
        net->pending.insert(&t);
    }
    tl_handoff = h;
    tl_taking = &t;
    tl_peer.clear();
    h.reset();
    try {
        // the largest PDU dcmtk takes (128 KiB, not its default 16 KiB): a CT image in 4
        // PDUs rather than 32, a poll and two reads each
        OFCondition c = ASC_receiveAssociation(net->nets[i], &assoc, ASC_MAXIMUMPDUSIZE, NULL,
                                               NULL, OFFalse, DUL_NOBLOCK, 1);
        if (tl_handoff) { // nothing was accepted (another thread took it first)
            tl_handoff->done();
            tl_handoff.reset();
        }
        {
            std::lock_guard<std::mutex> g(net->mu);
            net->pending.erase(&t);
            net->taking--;
            shut = t.shut;
            evicted = t.evicted;
        }
        tl_taking = NULL;
        if (t.fd >= 0)
            close(t.fd);
        if (shut && c.good()) {
            ASC_destroyAssociation(&assoc);
            c = DUL_READTIMEOUT;
        }
        if (c.good() && assoc->params->DULparams.calledAPTitle[0] == '\0'
            && assoc->params->DULparams.callingAPTitle[0] == '\0')
            c = DUL_NETWORKCLOSED; // closed before anything came (a port probe)
        if (c.bad()) {
            if (shut)
                c = DUL_READTIMEOUT;
            if (evicted)
                say(net, ARCA_DNET_INFO, 10461, "connection from %s on %s:%d closed before "
                     "its association request: newer connections needed its place",
                     tl_peer.c_str(), l->host, l->port);
            else if (c == DUL_NETWORKCLOSED)
                say(net, ARCA_DNET_INFO, 10310, "connection from %s on %s:%d closed without "
                     "an association request", tl_peer.c_str(), l->host, l->port);
            else if (c == DUL_READTIMEOUT)
                say(net, ARCA_DNET_NOTICE, 10310, "connection from %s on %s:%d dropped: no "
                     "association request within %d s (ARTIM)", tl_peer.c_str(), l->host,
                     l->port, artim_of(net->cfg));
            else if (!tl_peer.empty())
                say(net, ARCA_DNET_WARNING, 10310, "connection from %s on %s:%d dropped: its "
                     "association request could not be read: %s", tl_peer.c_str(), l->host,
                     l->port, c.text());
            if (assoc)
                ASC_destroyAssociation(&assoc);
        } else {
            admit(net, i, assoc);
        }
    } catch (...) {
        say(net, ARCA_DNET_ERR, 10319, "connection from %s on %s:%d: unexpected failure",
             tl_peer.c_str(), l->host, l->port);
    }
    if (tl_taking) { // (only after an exception)
        std::lock_guard<std::mutex> g(net->mu);
        net->pending.erase(&t);
        net->taking--;
        if (t.fd >= 0)
            close(t.fd);
        tl_taking = NULL;
    }
    tl_handoff.reset();
    {
        std::lock_guard<std::mutex> g(net->mu);
        net->threads--;
    }
    net->idle.notify_all();
}

// A connection is waiting on listener i: a thread of its own takes it; this one waits
// only until the connection is off the listening socket. At most max_associations
// connections await their requests at once: past that, the one that has waited longest
// is closed to make room. Only when the threads of those closed have not ended yet
// (twice the limit) is the new connection closed at once.
void hand_off(arca_dnet_t *net, int i, int listen_fd)
{
    const arca_dnet_listener_cfg_t *l = &net->cfg.listeners[i];
    bool room, evicted = false;
    int cap = net->cfg.max_associations;
    {
        std::lock_guard<std::mutex> g(net->mu);
        int live = 0;
        for (const Taking *t : net->pending)
            live += !t->shut;
        if (live >= cap && net->taking < 2 * cap)
            evicted = evict_oldest(net, NULL, NULL);
        room = net->taking < 2 * cap && (live < cap || evicted);
        if (room) {
            net->taking++;
            net->threads++;
        }
    }
    if (evicted)
        say(net, ARCA_DNET_NOTICE, 10462, "%d connections await their association requests "
            "(ArcaDicomMaxAssociations): the one that has waited longest is closed", cap);
    if (room) {
        std::shared_ptr<Handoff> h = std::make_shared<Handoff>();
        try {
            std::thread(take, net, i, h).detach();
            std::unique_lock<std::mutex> g(h->mu);
            h->cv.wait_for(g, std::chrono::seconds(2), [&h] { return h->taken; });
            return;
        } catch (...) {
            std::lock_guard<std::mutex> g(net->mu);
            net->taking--;
            net->threads--;
        }
    }
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) {
        say(net, ARCA_DNET_WARNING, 10322, "connection from %s on %s:%d closed: %d others "
             "are still to send their association requests or to close", peer_of(fd).c_str(),
             l->host, l->port, 2 * cap);
        close(fd);
    }
}

// A listening socket on host:port. dcmtk binds every address; its socket is replaced by
// this one, bound where the directive says.
arca_error_t *bind_listener(arca_dnet_t *net, const arca_dnet_listener_cfg_t *l, T_ASC_Network **out)
{
    apr_pool_t *p = net->pool;
    struct sockaddr_in sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)l->port);
    if (inet_pton(AF_INET, l->host, &sa.sin_addr) != 1) {
        if (fd >= 0)
            close(fd);
        return arca_error_create(p, 500, "ArcaDicomReceiver %s: '%s' is not an IPv4 address",
                                 l->ae_title, l->host);
    }
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
        || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0
        // non-blocking: a connection gone before its thread accepts it blocks nobody
        || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return arca_error_create(p, 500, "ArcaDicomReceiver %s: cannot listen on %s:%d: %s",
                                 l->ae_title, l->host, l->port, strerror(e));
    }
    T_ASC_Network *anet = NULL;
    // port 0: dcmtk's own socket takes a free port and is then swapped for ours
    OFCondition c = ASC_initializeNetwork(NET_ACCEPTOR, 0, net->cfg.timeout, &anet);
    if (c.bad() || dup2(fd, (int)DUL_networkSocket(anet->network)) < 0
        || ASC_setTransportLayer(anet, new ArcaTransportLayer(net->cfg.timeout), 1).bad()) {
        close(fd);
        if (anet)
            ASC_dropNetwork(&anet);
        return arca_error_create(p, 500, "ArcaDicomReceiver %s: cannot set up the network",
                                 l->ae_title);
    }
    close(fd);
    *out = anet;
    return ARCA_OK;
}

apr_status_t drop_networks(void *data)
{
    arca_dnet_t *net = static_cast<arca_dnet_t *>(data);
    for (T_ASC_Network *n : net->nets)
        ASC_dropNetwork(&n);
    net->nets.clear();
    net->~arca_dnet_t();
    return APR_SUCCESS;
}

}  // namespace

extern "C" arca_error_t *arca_dnet_bind(apr_pool_t *p, const arca_dnet_config_t *cfg, arca_dnet_t **out)
{
    try {
        setup_dcmtk();
        arca_dnet_t *net = new (apr_pcalloc(p, sizeof(arca_dnet_t))) arca_dnet_t;
        net->pool = p;
        net->cfg = *cfg;
        apr_pool_cleanup_register(p, net, drop_networks, apr_pool_cleanup_null);
        for (int i = 0; i < cfg->nlisteners; i++) {
            T_ASC_Network *n = NULL;
            arca_error_t *err = bind_listener(net, &cfg->listeners[i], &n);
            if (err)
                return err;
            net->nets.push_back(n);
        }
        *out = net;
        return ARCA_OK;
    } catch (...) {
        return arca_error_create(p, 500, "cannot set up the DICOM listeners");
    }
}

extern "C" arca_error_t *arca_dnet_serve(arca_dnet_t *net, const arca_dnet_service_t *svc,
                                         volatile int *stop, int grace)
{
    try {
        std::vector<struct pollfd> fds(net->nets.size());
        net->svc = svc;
        for (size_t i = 0; i < net->nets.size(); i++) {
            fds[i].fd = (int)DUL_networkSocket(net->nets[i]->network);
            fds[i].events = POLLIN;
        }
        while (!*stop) {
            int n = poll(fds.data(), fds.size(), 200);
            for (size_t i = 0; n > 0 && i < fds.size() && !*stop; i++)
                if (fds[i].revents & POLLIN)
                    hand_off(net, (int)i, fds[i].fd);
            // connections still without their association request past the timeout
            std::lock_guard<std::mutex> g(net->mu);
            auto now = std::chrono::steady_clock::now();
            for (Taking *t : net->pending)
                if (t->fd >= 0 && !t->shut && now > t->deadline) {
                    shutdown(t->fd, SHUT_RDWR);
                    t->shut = true;
                }
        }
        std::unique_lock<std::mutex> g(net->mu);
        net->idle.wait_for(g, std::chrono::seconds(grace), [net] { return net->threads == 0; });
        return ARCA_OK;
    } catch (...) {
        return arca_error_create(net->pool, 500, "the DICOM listener failed");
    }
}

extern "C" int arca_dnet_active(const arca_dnet_t *net)
{
    return net->active;
}
