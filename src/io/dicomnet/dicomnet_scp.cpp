// dicomnet_scp.cpp: the Storage SCP of `faceless serve` (dicomnet.h): one
// listening loop (ASC_receiveAssociation, woken each second to see a stop
// request) and one thread per association running DCMTK's DcmThreadSCP, up
// to max_associations (one more is rejected, "local limit exceeded").
// DCMTK's own DcmSCPPool is not used: its workers delete themselves from
// their own thread, and under a burst of refused associations (our
// serve_basics test, 30 in a row) the heap was corrupted within a few
// ("malloc(): unsorted double linked list corrupted").
//
// Each C-STORE is received into memory, its attributes are handed to the
// node's store() (C, src/serve/), which has write_instance() put it in a file
// of the spool, fsyncs and renames it, and only then answers success: an
// instance answered with success is on disk (issue 19, "never lose an
// instance"). The dataset is written in the transfer syntax it arrived in,
// streamed by write() calls whose every error is seen (DCMTK's saveFile
// does not report a failed close, which is where a full disk shows).
//
// No C++ exception leaves: every entry point catches (a dataset too large for
// memory aborts that association; the node goes on).
extern "C" {
#include "io/dicomnet/dicomnet_module.h"
}

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/scpthrd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

struct dnet_scp;

namespace
{

// The storage classes issue 19 names, and the multi-frame grayscale
// Secondary Capture ones (a converted series arrives as those).
const char *const STORAGE_CLASSES[] = {
    UID_MRImageStorage,
    UID_EnhancedMRImageStorage,
    UID_CTImageStorage,
    UID_EnhancedCTImageStorage,
    UID_SecondaryCaptureImageStorage,
    UID_MultiframeGrayscaleByteSecondaryCaptureImageStorage,
    UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage,
};

// The transfer syntaxes faceless reads (dicom_ts_classify in
// io/dicom/dicom_dcmtk.cpp), in our order of preference when a context
// offers several: uncompressed first (cheapest to store), implicit last.
const char *const TRANSFER_SYNTAXES[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_RLELosslessTransferSyntax,
    UID_JPEG2000TransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
};

void copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

// An AE title without the spaces that pad it (PS3.5 6.2: not significant).
std::string trimmed(const OFString &s)
{
    size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
    return a == OFString_npos ? std::string() : std::string(s.c_str() + a, b - a + 1);
}

// One attribute's value (all values, '\\'-joined), cut to cap.
void get(DcmItem *ds, const DcmTagKey &key, char *dst, size_t cap)
{
    OFString v;
    if (ds->findAndGetOFStringArray(key, v).good())
        copy(dst, cap, v.c_str());
    else
        dst[0] = '\0';
}

int write_all(int fd, const void *p, size_t n)
{
    const char *c = static_cast<const char *>(p);
    while (n) {
        ssize_t w = ::write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

// What write_instance() needs: the received file and its transfer syntax.
struct Received {
    DcmFileFormat *ff;
    E_TransferSyntax xfer;
};

// dnet_write_fn: streams the file through a 1 MiB buffer into a new file.
int write_instance(void *wctx, const char *path, char *why, size_t cap)
{
    Received *r = static_cast<Received *>(wctx);
    try {
        int fd = ::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(why, cap, "cannot create: %s", strerror(errno));
            return -1;
        }
        std::vector<char> buf(1u << 20);
        DcmOutputBufferStream out(buf.data(), buf.size());
        r->ff->transferInit();
        OFCondition c;
        int err = 0;
        for (;;) {
            c = r->ff->write(out, r->xfer, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_noChange);
            if (c == EC_StreamNotifyClient || c.good()) {
                if (c.good())
                    out.flush();
                void *p = nullptr;
                offile_off_t len = 0;
                out.flushBuffer(p, len);
                if (len > 0 && write_all(fd, p, (size_t)len) != 0) {
                    err = errno ? errno : EIO;
                    break;
                }
            }
            if (c != EC_StreamNotifyClient)
                break;
        }
        r->ff->transferEnd();
        if (::close(fd) != 0 && !err)
            err = errno;
        if (err) {
            snprintf(why, cap, "cannot write: %s", strerror(err));
            return -1;
        }
        if (c.bad()) {
            snprintf(why, cap, "cannot encode: %s", c.text());
            return -1;
        }
        return 0;
    } catch (const std::bad_alloc &) {
        snprintf(why, cap, "out of memory");
    } catch (...) {
        snprintf(why, cap, "exception in DCMTK");
    }
    return -1;
}

// One association: DCMTK's thread SCP with our C-STORE, AE checks and
// summary. Made, run and deleted on the association's own thread.
class NodeWorker : public DcmThreadSCP
{
  public:
    explicit NodeWorker(dnet_scp *node) : node_(node) {}
    OFCondition serve(T_ASC_Association *assoc);

  protected:
    OFBool checkCalledAETitleAccepted(const OFString &called) override;
    OFBool checkCallingAETitleAccepted(const OFString &calling) override;
    void notifyAssociationRequest(const T_ASC_Parameters &params, DcmSCPActionType &action) override;
    void refuseAssociation(const DcmRefuseReasonType reason) override;
    void notifyAbortRequest() override;
    void notifyDIMSEError(const OFCondition &cond) override;
    OFCondition handleIncomingCommand(T_DIMSE_Message *msg, const DcmPresentationContextInfo &info) override;

  private:
    Uint16 store(T_DIMSE_C_StoreRQ &req, DcmFileFormat &ff, const DcmPresentationContextInfo &info);
    dnet_scp *node_;
    dnet_assoc_summary sum_{};
};

} // namespace

struct dnet_scp {
    explicit dnet_scp(const dnet_scp_config *c, const dnet_scp_handler *h) : cfg_in(*c), handler(*h)
    {
        aet = c->aet;
        for (size_t i = 0; i < c->n_allowed; i++)
            allowed.emplace_back(c->allowed[i]);
        cfg_in.aet = nullptr;
        cfg_in.allowed = nullptr;
    }
    dnet_scp_config cfg_in; /* numbers only: the strings are copied above */
    std::string aet;
    std::vector<std::string> allowed;
    dnet_scp_handler handler;
    DcmSCPConfig config; /* presentation contexts, timeouts: shared by the associations */
    std::mutex m;
    std::condition_variable idle; /* active went to 0 */
    int active = 0;               /* under m */
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> next_id{1};
};

namespace
{

OFCondition NodeWorker::serve(T_ASC_Association *assoc)
{
    sum_ = dnet_assoc_summary{};
    sum_.id = node_->next_id++;
    auto t0 = std::chrono::steady_clock::now();
    OFCondition c = DcmThreadSCP::run(assoc);
    sum_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (c.bad() && !sum_.refused && c != DUL_PEERREQUESTEDRELEASE) {
        if (!sum_.why[0])
            copy(sum_.why, sizeof sum_.why, c.text());
    }
    try {
        node_->handler.assoc_done(node_->handler.user, &sum_);
    } catch (...) {
    }
    return c;
}

OFBool NodeWorker::checkCalledAETitleAccepted(const OFString &called) { return trimmed(called) == node_->aet; }

// An empty list accepts any caller; otherwise only the listed titles (exact,
// as AE titles are case-sensitive: PS3.5 6.2).
OFBool NodeWorker::checkCallingAETitleAccepted(const OFString &calling)
{
    if (node_->allowed.empty())
        return OFTrue;
    std::string c = trimmed(calling);
    for (const auto &a : node_->allowed)
        if (c == a)
            return OFTrue;
    return OFFalse;
}

void NodeWorker::notifyAssociationRequest(const T_ASC_Parameters &params, DcmSCPActionType &action)
{
    copy(sum_.calling_aet, sizeof sum_.calling_aet, params.DULparams.callingAPTitle);
    copy(sum_.called_aet, sizeof sum_.called_aet, params.DULparams.calledAPTitle);
    copy(sum_.peer, sizeof sum_.peer, params.DULparams.callingPresentationAddress);
    DcmThreadSCP::notifyAssociationRequest(params, action);
}

void NodeWorker::refuseAssociation(const DcmRefuseReasonType reason)
{
    sum_.refused = 1;
    const char *why = reason == DCMSCP_CALLING_AE_TITLE_NOT_RECOGNIZED  ? "calling AE title not allowed"
                      : reason == DCMSCP_CALLED_AE_TITLE_NOT_RECOGNIZED ? "called AE title is not ours"
                      : reason == DCMSCP_NO_PRESENTATION_CONTEXTS       ? "no acceptable presentation context"
                      : reason == DCMSCP_BAD_APPLICATION_CONTEXT_NAME   ? "bad application context"
                                                                        : "refused";
    copy(sum_.why, sizeof sum_.why, why);
    DcmThreadSCP::refuseAssociation(reason);
}

void NodeWorker::notifyAbortRequest()
{
    sum_.aborted = 1;
    copy(sum_.why, sizeof sum_.why, "aborted by the peer");
}

void NodeWorker::notifyDIMSEError(const OFCondition &cond)
{
    sum_.aborted = 1;
    copy(sum_.why, sizeof sum_.why, cond.text());
}

OFCondition NodeWorker::handleIncomingCommand(T_DIMSE_Message *msg, const DcmPresentationContextInfo &info)
{
    try {
        if (msg->CommandField == DIMSE_C_ECHO_RQ)
            sum_.echoes++;
        if (msg->CommandField != DIMSE_C_STORE_RQ)
            return DcmThreadSCP::handleIncomingCommand(msg, info);
        T_DIMSE_C_StoreRQ &req = msg->msg.CStoreRQ;
        DcmFileFormat ff;
        DcmDataset *ds = ff.getDataset();
        OFCondition c = receiveSTORERequest(req, info.presentationContextID, ds);
        if (c.bad()) {
            sum_.aborted = 1;
            copy(sum_.why, sizeof sum_.why, c.text());
            return c; // the association cannot go on
        }
        Uint16 st = store(req, ff, info);
        if (st == DNET_STATUS_SUCCESS)
            sum_.stored++;
        else
            sum_.failed++;
        return sendSTOREResponse(info.presentationContextID, req, st);
    } catch (const std::bad_alloc &) {
        copy(sum_.why, sizeof sum_.why, "out of memory receiving a dataset");
    } catch (...) {
        copy(sum_.why, sizeof sum_.why, "exception in DCMTK receiving a dataset");
    }
    sum_.aborted = 1;
    abortAssociation();
    return DIMSE_RECEIVEFAILED;
}

Uint16 NodeWorker::store(T_DIMSE_C_StoreRQ &req, DcmFileFormat &ff, const DcmPresentationContextInfo &info)
{
    DcmDataset *ds = ff.getDataset();
    dnet_instance in{};
    in.assoc_id = sum_.id;
    copy(in.calling_aet, sizeof in.calling_aet, sum_.calling_aet);
    get(ds, DCM_SOPClassUID, in.sop_class, sizeof in.sop_class);
    get(ds, DCM_SOPInstanceUID, in.sop_instance, sizeof in.sop_instance);
    get(ds, DCM_StudyInstanceUID, in.study, sizeof in.study);
    get(ds, DCM_SeriesInstanceUID, in.series, sizeof in.series);
    get(ds, DCM_Modality, in.modality, sizeof in.modality);
    get(ds, DCM_BodyPartExamined, in.body_part, sizeof in.body_part);
    get(ds, DCM_SeriesDescription, in.series_desc, sizeof in.series_desc);
    get(ds, DCM_ProtocolName, in.protocol, sizeof in.protocol);
    get(ds, DCM_ImageType, in.image_type, sizeof in.image_type);
    in.has_pixels =
        ds->tagExists(DCM_PixelData) || ds->tagExists(DCM_FloatPixelData) || ds->tagExists(DCM_DoubleFloatPixelData);
    // The dataset must be the instance the command names (PS3.7 9.1.1.1.2).
    if (strcmp(in.sop_instance, req.AffectedSOPInstanceUID) || strcmp(in.sop_class, req.AffectedSOPClassUID))
        return DNET_STATUS_DATASET_MISMATCH;
    // Kept in the syntax it arrived in; a deflated one is stored inflated
    // (writing deflate needs a compression filter on the stream: not worth
    // it for a lossless choice).
    E_TransferSyntax xfer = DcmXfer(info.acceptedTransferSyntax.c_str()).getXfer();
    if (xfer == EXS_DeflatedLittleEndianExplicit || xfer == EXS_Unknown)
        xfer = EXS_LittleEndianExplicit;
    copy(in.xfer, sizeof in.xfer, DcmXfer(xfer).getXferID());
    Received r{&ff, xfer};
    return node_->handler.store(node_->handler.user, &in, write_instance, &r);
}

// One association on its own thread: served, logged, counted out.
void run_association(dnet_scp *scp, DcmSharedSCPConfig shared, T_ASC_Association *assoc)
{
    try {
        NodeWorker w(scp);
        w.setSharedConfig(shared);
        w.serve(assoc);
    } catch (...) {
    }
    std::lock_guard<std::mutex> lock(scp->m);
    if (--scp->active == 0)
        scp->idle.notify_all();
}

// All max_associations slots taken: rejected (transient, local limit
// exceeded; PS3.8 9.3.4), and logged like any refusal.
void refuse_busy(dnet_scp *scp, T_ASC_Association *assoc)
{
    dnet_assoc_summary sum{};
    sum.id = scp->next_id++;
    sum.refused = 1;
    copy(sum.calling_aet, sizeof sum.calling_aet, assoc->params->DULparams.callingAPTitle);
    copy(sum.called_aet, sizeof sum.called_aet, assoc->params->DULparams.calledAPTitle);
    copy(sum.peer, sizeof sum.peer, assoc->params->DULparams.callingPresentationAddress);
    snprintf(sum.why, sizeof sum.why, "too many associations (max-associations %d)", scp->cfg_in.max_associations);
    T_ASC_RejectParameters rej = {ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                                  ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED};
    ASC_rejectAssociation(assoc, &rej);
    ASC_dropAssociation(assoc);
    ASC_destroyAssociation(&assoc);
    scp->handler.assoc_done(scp->handler.user, &sum);
}

} // namespace

extern "C" {

faceless_status dicomnet_scp_new_impl(faceless_ctx *ctx, const dnet_scp_config *cfg, const dnet_scp_handler *handler,
                                      dnet_scp **out)
{
    try {
        dnet_scp *s = new dnet_scp(cfg, handler);
        DcmSCPConfig &c = s->config;
        c.setAETitle(cfg->aet);
        c.setPort((Uint16)cfg->port);
        c.setMaxReceivePDULength(cfg->max_pdu);
        // Non-blocking accept with a 1 s timeout: the listening loop looks at
        // the stop request once a second.
        c.setConnectionBlockingMode(DUL_NOBLOCK);
        c.setConnectionTimeout(1);
        c.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        c.setDIMSETimeout((Uint32)cfg->timeout_s);
        c.setACSETimeout((Uint32)cfg->timeout_s);
        c.setHostLookupEnabled(OFFalse); // no DNS lookup per association
        c.setRespondWithCalledAETitle(OFFalse);
        OFList<OFString> xfers;
        for (const char *t : TRANSFER_SYNTAXES)
            xfers.push_back(t);
        OFList<OFString> echo_xfers;
        echo_xfers.push_back(UID_LittleEndianExplicitTransferSyntax);
        echo_xfers.push_back(UID_LittleEndianImplicitTransferSyntax);
        OFCondition cond = c.addPresentationContext(UID_VerificationSOPClass, echo_xfers);
        for (const char *sop : STORAGE_CLASSES)
            if (cond.good())
                cond = c.addPresentationContext(sop, xfers);
        if (cond.bad()) {
            delete s;
            return dicomnet_fail(ctx, FACELESS_ERR_INTERNAL, "DICOM node: %s", cond.text());
        }
        *out = s;
        return FACELESS_OK;
    } catch (const std::bad_alloc &) {
        return dicomnet_fail(ctx, FACELESS_ERR_MEMORY, "DICOM node: out of memory");
    } catch (...) {
        return dicomnet_fail(ctx, FACELESS_ERR_INTERNAL, "DICOM node: exception in DCMTK");
    }
}

faceless_status dicomnet_scp_run_impl(faceless_ctx *ctx, dnet_scp *scp)
{
    T_ASC_Network *net = nullptr;
    try {
        OFCondition c = ASC_initializeNetwork(NET_ACCEPTOR, scp->cfg_in.port, scp->cfg_in.timeout_s, &net);
        if (c.bad())
            return dicomnet_fail(ctx, FACELESS_ERR_OUTPUT, "port %d: cannot listen: %s", scp->cfg_in.port, c.text());
        DcmSharedSCPConfig shared(scp->config);
        while (!scp->stop) {
            T_ASC_Association *assoc = nullptr;
            c = ASC_receiveAssociation(net, &assoc, scp->cfg_in.max_pdu, nullptr, nullptr, OFFalse, DUL_NOBLOCK, 1);
            if (c.bad()) { // a timeout (look at stop again) or a peer that went away
                if (assoc) {
                    ASC_dropAssociation(assoc);
                    ASC_destroyAssociation(&assoc);
                }
                continue;
            }
            bool full;
            {
                std::lock_guard<std::mutex> lock(scp->m);
                full = scp->active >= scp->cfg_in.max_associations;
                if (!full)
                    scp->active++;
            }
            if (!full) {
                try {
                    std::thread([scp, shared, assoc] { run_association(scp, shared, assoc); }).detach();
                    continue;
                } catch (...) {
                    std::lock_guard<std::mutex> lock(scp->m);
                    scp->active--;
                }
            }
            refuse_busy(scp, assoc);
        }
        // Stopping: the associations in progress end first.
        std::unique_lock<std::mutex> lock(scp->m);
        scp->idle.wait(lock, [scp] { return scp->active == 0; });
        lock.unlock();
        ASC_dropNetwork(&net);
        return FACELESS_OK;
    } catch (const std::bad_alloc &) {
        return dicomnet_fail(ctx, FACELESS_ERR_MEMORY, "DICOM node: out of memory");
    } catch (...) {
        return dicomnet_fail(ctx, FACELESS_ERR_INTERNAL, "DICOM node: exception in DCMTK");
    }
}

void dicomnet_scp_stop_impl(dnet_scp *scp) { scp->stop = true; }

int dicomnet_scp_active_impl(dnet_scp *scp)
{
    std::lock_guard<std::mutex> lock(scp->m);
    return scp->active;
}

void dicomnet_scp_free_impl(dnet_scp *scp) { delete scp; }

} // extern "C"
