// dicomnet_scu.cpp: the C-STORE SCU of `faceless serve` (dicomnet_send in
// dicomnet.h), on DCMTK's DcmSCU: one association per call, every file
// offered in its own transfer syntax and, in a second context per SOP class,
// in explicit and implicit VR little endian (a compressed file is decoded on
// the way when the peer takes only those), each acknowledgement handed to the node's
// journal before the next file goes, so a crash re-sends at most the one
// instance between the peer's answer and the journal's fsync.
extern "C" {
#include "io/dicomnet/dicomnet_module.h"
}

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/scu.h>

#include <cstdio>
#include <new>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace
{

struct Item {
    const char *path;
    std::string uid, sop_class, xfer;
};

// SOP Class, SOP Instance and transfer syntax of a file, read up to the
// pixel data; false with the reason in ctx.
bool read_item(faceless_ctx *ctx, const char *path, Item &it)
{
    DcmFileFormat ff;
    OFCondition c =
        ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_fileOnly, DCM_PixelData);
    OFString uid, cls, ts;
    if (c.good() && ff.getDataset()->findAndGetOFString(DCM_SOPInstanceUID, uid).good() &&
        ff.getDataset()->findAndGetOFString(DCM_SOPClassUID, cls).good() &&
        ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts).good() && !uid.empty()) {
        it.path = path;
        it.uid = uid.c_str();
        it.sop_class = cls.c_str();
        it.xfer = ts.c_str();
        return true;
    }
    dicomnet_fail(ctx, FACELESS_ERR_INPUT, "%s: %s", path,
                  c.bad() ? c.text() : "no SOP Instance UID, SOP Class UID or transfer syntax");
    return false;
}

} // namespace

extern "C" {

dnet_send_outcome dicomnet_send_impl(faceless_ctx *ctx, const char *calling_aet, const dnet_peer *peer,
                                     uint32_t max_pdu, int timeout_s, const char *const *files, size_t n,
                                     const dnet_send_ops *ops, dnet_send_result *res)
{
    *res = dnet_send_result{};
    char dest[300];
    snprintf(dest, sizeof dest, "%s@%s:%d", peer->aet, peer->host, peer->port);
    try {
        std::vector<Item> todo;
        for (size_t i = 0; i < n; i++) {
            Item it;
            if (!read_item(ctx, files[i], it))
                return DNET_BAD_FILE;
            if (ops->skip(ops->user, it.uid.c_str()))
                res->skipped++;
            else
                todo.push_back(std::move(it));
        }
        if (todo.empty())
            return DNET_SENT;

        DcmSCU scu;
        scu.setAETitle(calling_aet);
        scu.setPeerAETitle(peer->aet);
        scu.setPeerHostName(peer->host);
        scu.setPeerPort((Uint16)peer->port);
        scu.setMaxReceivePDULength(max_pdu);
        scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        scu.setDIMSETimeout((Uint32)timeout_s);
        scu.setACSETimeout((Uint32)timeout_s);
        scu.setConnectionTimeout(timeout_s);
        // A file the peer took only uncompressed is decoded on the way.
        scu.setDatasetConversionMode(OFTrue);
        std::set<std::pair<std::string, std::string>> offered;
        std::set<std::string> plain;
        for (const Item &it : todo) {
            if (offered.insert({it.sop_class, it.xfer}).second) {
                OFList<OFString> ts;
                ts.push_back(it.xfer.c_str());
                scu.addPresentationContext(it.sop_class.c_str(), ts);
            }
            if (plain.insert(it.sop_class).second) {
                OFList<OFString> ts;
                ts.push_back(UID_LittleEndianExplicitTransferSyntax);
                ts.push_back(UID_LittleEndianImplicitTransferSyntax);
                scu.addPresentationContext(it.sop_class.c_str(), ts);
            }
        }
        OFCondition c = scu.initNetwork();
        if (c.good())
            c = scu.negotiateAssociation();
        if (c.bad()) {
            dicomnet_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot associate: %s", dest, c.text());
            return DNET_DOWN;
        }
        for (const Item &it : todo) {
            Uint16 st = 0;
            if (scu.findAnyPresentationContextID(it.sop_class.c_str(), it.xfer.c_str()) == 0) {
                st = 0x0122; // SOP class not supported (PS3.7 C.5.4): nothing accepted for it
            } else {
                c = scu.sendSTORERequest(0, it.path, nullptr, st);
                if (c.bad()) {
                    scu.abortAssociation();
                    dicomnet_fail(ctx, FACELESS_ERR_OUTPUT, "%s: sending %s: %s", dest, it.path, c.text());
                    return DNET_DOWN;
                }
            }
            // Success, or a warning (0xB000, 0xB007, 0xB006: stored with a
            // coercion or a discarded element; PS3.4 B.2.3).
            if (st == 0 || (st & 0xF000) == 0xB000) {
                res->sent++;
                if (ops->acked(ops->user, it.uid.c_str())) {
                    scu.releaseAssociation();
                    dicomnet_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot record the delivery of %s", dest,
                                  it.uid.c_str());
                    return DNET_DOWN;
                }
            } else {
                res->refused++;
                res->refusal_status = st;
                snprintf(res->refused_uid, sizeof res->refused_uid, "%s", it.uid.c_str());
            }
        }
        scu.releaseAssociation();
        if (res->refused) {
            dicomnet_fail(ctx, FACELESS_ERR_OUTPUT, "%s refused %zu instance(s), last %s with status 0x%04X", dest,
                          res->refused, res->refused_uid, (unsigned)res->refusal_status);
            return DNET_REFUSED;
        }
        return DNET_SENT;
    } catch (const std::bad_alloc &) {
        dicomnet_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory in DCMTK", dest);
    } catch (...) {
        dicomnet_fail(ctx, FACELESS_ERR_INTERNAL, "%s: exception in DCMTK", dest);
    }
    return DNET_DOWN;
}

faceless_status dicomnet_file_uid_impl(faceless_ctx *ctx, const char *path, char uid[65])
{
    try {
        Item it;
        if (!read_item(ctx, path, it))
            return FACELESS_ERR_INPUT;
        snprintf(uid, 65, "%s", it.uid.c_str());
        return FACELESS_OK;
    } catch (...) {
        return dicomnet_fail(ctx, FACELESS_ERR_INTERNAL, "%s: exception in DCMTK", path);
    }
}

} // extern "C"
