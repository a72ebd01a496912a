// dicom_dcmtk.cpp: the only file of faceless that calls DCMTK.
//
// Every function exported here is extern "C", returns a faceless_status and
// catches every C++ exception (std::bad_alloc -> FACELESS_ERR_MEMORY, anything
// else -> FACELESS_ERR_INTERNAL), so no exception ever crosses into C.
//
// Codecs: DCMTK keeps a process-wide codec list. CodecUse registers the RLE,
// JPEG and JPEG-LS codecs when the first user starts and unregisters them when
// the last one ends (counted under a mutex), so a host program that uses
// DCMTK itself is not disturbed after we return. JPEG 2000 goes through
// OpenJPEG (dicom_j2k.c) because DCMTK has none.
//
// This file and dicom_j2k.c are the DICOM module (faceless_dicom.so,
// src/io/dicom/module.cmake), which faceless dlopens when a dicom_dcmtk_*
// function is first called (dicom_load.c). Its one exported symbol is
// faceless_dicom_module(), at the end; every other symbol is hidden. The one
// faceless function it calls, ctx_fail, comes from the host table the loader
// passes to init() (dicom_module.h says why): the definition just below
// forwards to it, so the code further down calls ctx_fail() as any file of
// faceless does.
extern "C" {
#include "io/dicom/dicom_module.h"
}

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmdata/dcvrobow.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpeg/djrplol.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/dcmjpls/djrparam.h>
#include <dcmtk/oflog/oflog.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace {

// Set once by module_init() before any other call (dicom_load.c runs it
// under pthread_once); read-only afterwards.
const dicom_host *host = nullptr;

} // namespace

extern "C" faceless_status ctx_fail(faceless_ctx *ctx, faceless_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    status = host->ctx_vfail(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

namespace {

std::mutex codec_mutex;
int codec_users = 0;

// Registers the DCMTK codecs for the lifetime of one call (see top).
struct CodecUse {
    CodecUse()
    {
        std::lock_guard<std::mutex> lock(codec_mutex);
        if (codec_users++ == 0) {
            DcmRLEDecoderRegistration::registerCodecs();
            DcmRLEEncoderRegistration::registerCodecs();
            DJDecoderRegistration::registerCodecs();
            // EUC_never: the codec must not invent SOP Instance UIDs, we set them.
            DJEncoderRegistration::registerCodecs(ECC_lossyYCbCr, EUC_never);
            DJLSDecoderRegistration::registerCodecs();
            DJLSEncoderRegistration::registerCodecs(0, 0, 0, 0, OFTrue, 0, OFTrue, EJLSUC_never);
        }
    }
    ~CodecUse()
    {
        std::lock_guard<std::mutex> lock(codec_mutex);
        if (--codec_users == 0) {
            DcmRLEDecoderRegistration::cleanup();
            DcmRLEEncoderRegistration::cleanup();
            DJDecoderRegistration::cleanup();
            DJEncoderRegistration::cleanup();
            DJLSDecoderRegistration::cleanup();
            DJLSEncoderRegistration::cleanup();
        }
    }
    CodecUse(const CodecUse &) = delete;
    CodecUse &operator=(const CodecUse &) = delete;
};

bool has_dicm_magic(const char *path)
{
    FILE *fp = std::fopen(path, "rb");
    if (!fp)
        return false;
    unsigned char b[132];
    size_t n = std::fread(b, 1, sizeof b, fp);
    std::fclose(fp);
    return n == sizeof b && std::memcmp(b + 128, "DICM", 4) == 0;
}

void copy_str(char *dst, size_t size, const OFString &s)
{
    // Trailing spaces are DICOM padding.
    size_t n = s.length();
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
        n--;
    if (n >= size)
        n = size - 1;
    std::memcpy(dst, s.c_str(), n);
    dst[n] = '\0';
}

void get_str(DcmItem *it, const DcmTagKey &tag, char *dst, size_t size)
{
    OFString s;
    dst[0] = '\0';
    if (it->findAndGetOFStringArray(tag, s).good())
        copy_str(dst, size, s);
}

int get_int(DcmItem *it, const DcmTagKey &tag, int dflt)
{
    Uint16 u;
    if (it->findAndGetUint16(tag, u).good())
        return u;
    Sint32 s;
    if (it->findAndGetSint32(tag, s).good())
        return s;
    return dflt;
}

// Reads n doubles of a DS (or FD) attribute; true when all are present.
bool get_doubles(DcmItem *it, const DcmTagKey &tag, double *v, int n)
{
    if (!it)
        return false;
    for (int i = 0; i < n; i++) {
        Float64 x;
        if (it->findAndGetFloat64(tag, x, (unsigned long)i).bad())
            return false;
        v[i] = x;
    }
    return true;
}

// The item of macro `seq` for frame f: per-frame group first, shared second
// (PS3.3 C.7.6.16: a macro is in one or the other).
DcmItem *frame_macro(DcmItem *ds, long f, const DcmTagKey &seq)
{
    DcmItem *group = NULL, *macro = NULL;
    if (ds->findAndGetSequenceItem(DCM_PerFrameFunctionalGroupsSequence, group, f).good() && group &&
        group->findAndGetSequenceItem(seq, macro, 0).good() && macro)
        return macro;
    if (ds->findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, group, 0).good() && group &&
        group->findAndGetSequenceItem(seq, macro, 0).good() && macro)
        return macro;
    return NULL;
}

faceless_status fail_cond(faceless_ctx *ctx, faceless_status st, const char *path, const char *what,
                          const OFCondition &c)
{
    return ctx_fail(ctx, st, "%s: %s (DCMTK: %s)", path, what, c.text());
}

E_TransferSyntax xfer_of(const char *uid)
{
    DcmXfer x(uid);
    return x.getXfer();
}

bool is_j2k(E_TransferSyntax x) { return x == EXS_JPEG2000LosslessOnly || x == EXS_JPEG2000; }

size_t frame_bytes(const dicom_pixel_format &pf)
{
    return (size_t)pf.rows * (size_t)pf.cols * (size_t)(pf.bits_allocated / 8);
}

// The compressed bytes of each frame of an encapsulated pixel sequence.
faceless_status collect_frames(faceless_ctx *ctx, const char *path, DcmPixelSequence *seq, int n_frames,
                               std::vector<std::vector<Uint8>> &out)
{
    unsigned long items = seq->card();
    if (items < 2)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: encapsulated pixel data has no fragments", path);
    out.assign((size_t)n_frames, std::vector<Uint8>());
    std::vector<Uint32> start((size_t)n_frames + 1);
    if (n_frames == 1) {
        start[0] = 1;
    } else if (items - 1 == (unsigned long)n_frames) {
        for (int f = 0; f < n_frames; f++)
            start[(size_t)f] = (Uint32)f + 1;
    } else {
        for (int f = 0; f < n_frames; f++) {
            Uint32 s = 0;
            OFCondition c = DcmCodec::determineStartFragment((Uint32)f, n_frames, seq, s);
            if (c.bad())
                return fail_cond(ctx, FACELESS_ERR_INPUT, path, "cannot find the fragments of each frame", c);
            start[(size_t)f] = s;
        }
    }
    start[(size_t)n_frames] = (Uint32)items;
    for (int f = 0; f < n_frames; f++) {
        for (Uint32 i = start[(size_t)f]; i < start[(size_t)f + 1]; i++) {
            DcmPixelItem *item = NULL;
            if (seq->getItem(item, i).bad() || !item)
                return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: missing pixel fragment %u", path, (unsigned)i);
            Uint8 *p = NULL;
            Uint32 len = item->getLength();
            if (len == 0)
                continue;
            if (item->getUint8Array(p).bad() || !p)
                return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: unreadable pixel fragment %u", path, (unsigned)i);
            out[(size_t)f].insert(out[(size_t)f].end(), p, p + len);
        }
    }
    return FACELESS_OK;
}

faceless_status load(faceless_ctx *ctx, DcmFileFormat &ff, const char *path)
{
    OFCondition c = ff.loadFile(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
    if (c.bad())
        return fail_cond(ctx, FACELESS_ERR_INPUT, path, "cannot read DICOM file (truncated or corrupt?)", c);
    return FACELESS_OK;
}

// Decodes the pixels of the loaded dataset ds of file f into dst. May switch
// the dataset's current pixel representation to uncompressed; the original
// (compressed) one stays available for writing.
faceless_status decode_dataset(faceless_ctx *ctx, const dicom_file *f, DcmDataset *ds, void *dst)
{
    faceless_status st;
    const dicom_pixel_format &pf = f->pf;
    size_t fb = frame_bytes(pf), need = fb * (size_t)f->n_frames;
    E_TransferSyntax xs = ds->getOriginalXfer();
    DcmElement *el = NULL;
    if (ds->findAndGetElement(DCM_PixelData, el).bad() || !el)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: no pixel data", f->path);
    /* DCMTK makes a DcmPixelData only for VR OB/OW (ident EVR_PixelData); a
     * file that declares (7FE0,0010) with another VR (OL, say) gets a
     * different class, and casting it would be undefined (found by
     * tests/fuzz/fuzz_dicom_read; regression: tests/integration/dicom_series_checks.sh). */
    if (el->ident() != EVR_PixelData)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: pixel data has VR %s, not OB or OW", f->path,
                        DcmVR(el->getVR()).getVRName());
    DcmPixelData *pd = OFstatic_cast(DcmPixelData *, el);
    if (is_j2k(xs)) {
        DcmPixelSequence *seq = NULL;
        OFCondition c = pd->getEncapsulatedRepresentation(xs, NULL, seq);
        if (c.bad() || !seq)
            return fail_cond(ctx, FACELESS_ERR_INPUT, f->path, "no JPEG 2000 pixel sequence", c);
        std::vector<std::vector<Uint8>> frames;
        st = collect_frames(ctx, f->path, seq, f->n_frames, frames);
        if (st != FACELESS_OK)
            return st;
        for (int i = 0; i < f->n_frames; i++) {
            char err[256];
            const std::vector<Uint8> &b = frames[(size_t)i];
            if (dicom_j2k_decode(b.data(), b.size(), pf.rows, pf.cols, pf.bits_allocated / 8, pf.bits_stored, pf.pixel_rep,
                                 (char *)dst + fb * (size_t)i, err) != 0)
                return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: frame %d: JPEG 2000: %s", f->path, i + 1, err);
        }
        return FACELESS_OK;
    }
    if (DcmXfer(xs).isEncapsulated()) {
        OFCondition c = ds->chooseRepresentation(EXS_LittleEndianExplicit, NULL);
        if (c.bad() || !ds->canWriteXfer(EXS_LittleEndianExplicit))
            return fail_cond(ctx, FACELESS_ERR_INPUT, f->path, "cannot decompress the pixel data", c);
    }
    if (pf.bits_allocated == 8) {
        Uint8 *p = NULL;
        if (pd->getUint8Array(p).bad() || !p || pd->getLength() < need)
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: pixel data shorter than Rows x Columns x frames "
                                                     "(truncated file?)", f->path);
        std::memcpy(dst, p, need);
    } else {
        Uint16 *p = NULL;
        if (pd->getUint16Array(p).bad() || !p || pd->getLength() < need)
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: pixel data shorter than Rows x Columns x frames "
                                                     "(truncated file?)", f->path);
        std::memcpy(dst, p, need);
    }
    return FACELESS_OK;
}

faceless_status decode_impl(faceless_ctx *ctx, const dicom_file *f, void *dst)
{
    CodecUse codecs;
    DcmFileFormat ff;
    faceless_status st = load(ctx, ff, f->path);
    if (st != FACELESS_OK)
        return st;
    return decode_dataset(ctx, f, ff.getDataset(), dst);
}

// Whether PixelData occurs nested in a sequence item other than an Icon Image
// Sequence item (PS3.3 F.7: DICOMDIR records and images may carry icons).
static bool pixel_data_in_sequence(DcmDataset *ds)
{
    DcmStack stack;
    while (ds->search(DCM_PixelData, stack, ESM_afterStackTop, OFTrue) == EC_Normal) {
        bool icon = false;
        for (unsigned long i = 0; i < stack.card(); i++) {
            DcmObject *o = stack.elem(i);
            if (o && o->getTag() == DCM_IconImageSequence)
                icon = true;
        }
        if (!icon)
            return true;
    }
    return false;
}

// The complex component an ImageType (classic) says its pixels hold. Value 3
// on: Siemens writes M or P; Philips PHASE MAP or P (value 4), R, I; GE and
// others REAL, IMAGINARY, MAGNITUDE. Anything else is magnitude.
char kind_of_image_type(const OFString &it)
{
    size_t start = 0;
    for (int value = 1; start <= it.length(); value++) {
        size_t end = it.find('\\', start);
        if (end == OFString_npos)
            end = it.length();
        OFString v = it.substr(start, end - start);
        while (!v.empty() && v[v.length() - 1] == ' ')
            v.erase(v.length() - 1);
        if (value >= 3) {
            if (v == "P" || v == "PHASE" || v == "PHASE MAP")
                return 'P';
            if (v == "R" || v == "REAL")
                return 'R';
            if (v == "I" || v == "IMAGINARY")
                return 'I';
        }
        start = end + 1;
    }
    return 'M';
}

// ComplexImageComponent (enhanced MR, MR Image Frame Type macro).
char kind_of_component(const OFString &c)
{
    if (c == "PHASE")
        return 'P';
    if (c == "REAL")
        return 'R';
    if (c == "IMAGINARY")
        return 'I';
    return 'M';
}

// The keys that put the images of one position in volume order
// (dicom_frame.order), for frame `frame` of an enhanced file or of a classic
// one (whose attributes hold for all its frames).
void frame_order(DcmItem *ds, bool enhanced, long frame, int instance, double order[4])
{
    double v;
    order[0] = order[1] = order[2] = 0;
    if (!enhanced) {
        if (get_doubles(ds, DCM_EchoNumbers, &v, 1))
            order[0] = v;
        if (get_doubles(ds, DCM_TemporalPositionIdentifier, &v, 1) || get_doubles(ds, DCM_TriggerTime, &v, 1))
            order[1] = v;
        if (get_doubles(ds, DCM_DiffusionBValue, &v, 1))
            order[2] = v;
    } else {
        DcmItem *it = frame_macro(ds, frame, DCM_MREchoSequence);
        if (it && get_doubles(it, DCM_EffectiveEchoTime, &v, 1))
            order[0] = v;
        it = frame_macro(ds, frame, DCM_FrameContentSequence);
        if (it && get_doubles(it, DCM_TemporalPositionIndex, &v, 1))
            order[1] = v;
        it = frame_macro(ds, frame, DCM_MRDiffusionSequence);
        if (it && get_doubles(it, DCM_DiffusionBValue, &v, 1))
            order[2] = v;
    }
    order[3] = (double)instance * 1e7 + (double)frame;
}

// One element of a Siemens CSA header (SV10 layout, as read by nibabel's
// csareader and dcm2niix): the text of its first `want` items, or false.
// Layout: "SV10" + 4 bytes, uint32 tag count, uint32 77; per tag: name[64],
// vm, vr[4], syngodt, nitems, 77 (int32 each but vr); per item: 4 int32, the
// second the length, then the data padded to 4 bytes.
bool csa_strings(const Uint8 *p, size_t len, const char *name, int want, std::string *out)
{
    auto u32 = [&](size_t at) -> Uint32 {
        return (Uint32)p[at] | (Uint32)p[at + 1] << 8 | (Uint32)p[at + 2] << 16 | (Uint32)p[at + 3] << 24;
    };
    if (len < 16 || std::memcmp(p, "SV10", 4) != 0)
        return false;
    Uint32 ntags = u32(8);
    size_t at = 16;
    for (Uint32 t = 0; t < ntags && ntags < 1000; t++) {
        if (at + 84 > len)
            return false;
        char tag[65];
        std::memcpy(tag, p + at, 64);
        tag[64] = '\0';
        Uint32 nitems = u32(at + 76);
        at += 84;
        bool match = std::strcmp(tag, name) == 0;
        for (Uint32 k = 0; k < nitems && nitems < 10000; k++) {
            if (at + 16 > len)
                return false;
            Uint32 ilen = u32(at + 4);
            at += 16;
            if (ilen > len - at)
                return false;
            if (match && (int)k < want)
                out[k].assign((const char *)p + at, strnlen((const char *)p + at, ilen));
            at += (ilen + 3) & ~3u;
        }
        if (match)
            return (int)nitems >= want;
    }
    return false;
}

// A Siemens mosaic (ImageType MOSAIC): the slices of one volume tiled into
// one image, in rows of ceil(sqrt(n)) tiles. Each tile becomes an image of
// its own (dicom_file.frames, n_images), placed as nibabel and dcm2niix do:
// ImagePositionPatient is that of the whole mosaic's first pixel, so the
// first slice lies (C - c)/2 columns and (R - r)/2 rows further (C, R the
// mosaic's size, c, r a tile's), and slice k lies k slice spacings along
// the CSA header's SliceNormalVector (issue 18).
faceless_status mosaic_tiles(faceless_ctx *ctx, const char *path, DcmDataset *ds, dicom_file *f)
{
    Uint8 *csa = NULL;
    unsigned long csa_len = 0;
    std::string n_s, normal_s[3];
    DcmElement *el = NULL;
    if (ds->findAndGetElement(DcmTagKey(0x0029, 0x1010), el).good() && el && el->getUint8Array(csa).good() && csa)
        csa_len = el->getLength();
    long n = 0;
    if (csa && csa_strings(csa, csa_len, "NumberOfImagesInMosaic", 1, &n_s))
        n = std::atol(n_s.c_str());
    // FACELESS_ERR_INPUT, not _UNSUPPORTED: for this function's caller that
    // means "not DICOM", and the file would be skipped, the rest of its
    // series written without it.
    if (n < 1 || n > 4096)
        return ctx_fail(ctx, FACELESS_ERR_INPUT,
                        "%s: a Siemens mosaic without NumberOfImagesInMosaic in its CSA header (0029,1010): "
                        "its slices cannot be told apart",
                        path);
    int across = 1;
    while ((long)across * across < n)
        across++;
    const dicom_pixel_format &pf = f->pf;
    // Without a position or orientation the tiles keep has_ipp/has_iop 0 and
    // the stacking refuses them by name.
    if (f->n_frames != 1 || pf.rows % across || pf.cols % across)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: a Siemens mosaic of %ld slices that does not tile %dx%d", path, n,
                        pf.cols, pf.rows);
    dicom_frame first = f->frames[0];
    const double *X = first.iop, *Y = first.iop + 3;
    double N[3] = {X[1] * Y[2] - X[2] * Y[1], X[2] * Y[0] - X[0] * Y[2], X[0] * Y[1] - X[1] * Y[0]};
    if (csa_strings(csa, csa_len, "SliceNormalVector", 3, normal_s))
        for (int a = 0; a < 3; a++)
            N[a] = std::atof(normal_s[a].c_str());
    double dz = f->spacing_between > 0 ? f->spacing_between : f->slice_thickness;
    int r = pf.rows / across, c = pf.cols / across;
    dicom_frame *tiles = (dicom_frame *)std::calloc((size_t)n, sizeof(dicom_frame));
    if (!tiles)
        throw std::bad_alloc();
    for (long k = 0; k < n; k++) {
        dicom_frame &t = tiles[k];
        t = first;
        t.frame = (int)k;
        t.order[3] = first.order[3] + (double)k;
        for (int a = 0; a < 3; a++)
            t.ipp[a] = first.ipp[a] + X[a] * first.spacing[1] * (pf.cols - c) / 2.0 +
                       Y[a] * first.spacing[0] * (pf.rows - r) / 2.0 + N[a] * dz * (double)k;
    }
    std::free(f->frames);
    f->frames = tiles;
    f->n_images = (int)n;
    f->mosaic = across;
    return FACELESS_OK;
}

faceless_status scan_impl(faceless_ctx *ctx, const char *path, dicom_file *f, int *not_image)
{
    *not_image = 0;
    bool magic = has_dicm_magic(path);
    DcmFileFormat ff;
    OFCondition c = ff.loadFile(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
    if (c.bad()) {
        if (magic)
            return fail_cond(ctx, FACELESS_ERR_INPUT, path, "broken DICOM file (truncated or corrupt?)", c);
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: not a DICOM file", path);
    }
    DcmDataset *ds = ff.getDataset();
    get_str(ds, DCM_SOPClassUID, f->sop_class_uid, sizeof f->sop_class_uid);
    get_str(ds, DCM_SOPInstanceUID, f->sop_instance_uid, sizeof f->sop_instance_uid);
    get_str(ds, DCM_SeriesInstanceUID, f->series_uid, sizeof f->series_uid);
    // Without a meta header DCMTK parses nearly anything; real DICOM has these.
    if (!magic && (!f->sop_class_uid[0] || !f->sop_instance_uid[0]))
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: not a DICOM file", path);
    if (!ds->tagExists(DCM_PixelData)) {
        // Pixel data that DCMTK found only inside a sequence item: an item's
        // length ran past its end and the item swallowed the rest of the data
        // set, which DCMTK accepts without an error (issue 9, broken
        // sequences). Skipping the file as "not an image" would drop a slice
        // from the series, or blame a gap; refuse it instead.
        if (pixel_data_in_sequence(ds))
            return ctx_fail(ctx, FACELESS_ERR_INPUT,
                            "%s: broken DICOM file: the pixel data lies inside a sequence item (a sequence "
                            "or item length runs past its end?)",
                            path);
        *not_image = 1;
        return FACELESS_OK;
    }
    if (!f->series_uid[0] || !f->sop_instance_uid[0])
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: image without SeriesInstanceUID or SOPInstanceUID", path);
    DcmXfer xfer(ds->getOriginalXfer());
    std::snprintf(f->transfer_syntax, sizeof f->transfer_syntax, "%s", xfer.getXferID());
    get_str(ds, DCM_Modality, f->modality, sizeof f->modality);
    get_str(ds, DCM_SeriesDescription, f->description, sizeof f->description);
    f->series_number = get_int(ds, DCM_SeriesNumber, -1);
    f->instance_number = get_int(ds, DCM_InstanceNumber, 0);
    dicom_pixel_format &pf = f->pf;
    pf.rows = get_int(ds, DCM_Rows, 0);
    pf.cols = get_int(ds, DCM_Columns, 0);
    pf.bits_allocated = get_int(ds, DCM_BitsAllocated, 0);
    pf.bits_stored = get_int(ds, DCM_BitsStored, pf.bits_allocated);
    pf.high_bit = get_int(ds, DCM_HighBit, pf.bits_stored - 1);
    pf.pixel_rep = get_int(ds, DCM_PixelRepresentation, 0);
    pf.samples = get_int(ds, DCM_SamplesPerPixel, 1);
    get_str(ds, DCM_PhotometricInterpretation, pf.photometric, sizeof pf.photometric);
    OFString frames_s;
    long nf = 1;
    if (ds->findAndGetOFString(DCM_NumberOfFrames, frames_s).good() && !frames_s.empty())
        nf = std::atol(frames_s.c_str());
    if (nf < 1 || nf > 1000000)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: invalid NumberOfFrames '%s'", path, frames_s.c_str());
    f->n_frames = (int)nf;
    f->n_images = f->n_frames;
    OFString image_type;
    char file_kind = 'M';
    bool mosaic = false;
    if (ds->findAndGetOFStringArray(DCM_ImageType, image_type).good()) {
        mosaic = image_type.find("MOSAIC") != OFString_npos;
        file_kind = kind_of_image_type(image_type);
    }
    double v;
    f->slice_thickness = get_doubles(ds, DCM_SliceThickness, &v, 1) ? v : 0;
    f->spacing_between = get_doubles(ds, DCM_SpacingBetweenSlices, &v, 1) ? v : 0;

    f->frames = (dicom_frame *)std::calloc((size_t)nf, sizeof(dicom_frame));
    if (!f->frames)
        throw std::bad_alloc();
    bool enhanced = ds->tagExists(DCM_PerFrameFunctionalGroupsSequence) ||
                    ds->tagExists(DCM_SharedFunctionalGroupsSequence);
    for (long i = 0; i < nf; i++) {
        dicom_frame &fr = f->frames[i];
        fr.frame = (int)i;
        fr.slope = 1;
        fr.inter = 0;
        fr.kind = file_kind;
        DcmItem *ftype = enhanced ? frame_macro(ds, i, DCM_MRImageFrameTypeSequence) : NULL;
        OFString component;
        if (ftype && ftype->findAndGetOFString(DCM_ComplexImageComponent, component).good())
            fr.kind = kind_of_component(component);
        DcmItem *pos = enhanced ? frame_macro(ds, i, DCM_PlanePositionSequence) : ds;
        DcmItem *ori = enhanced ? frame_macro(ds, i, DCM_PlaneOrientationSequence) : ds;
        DcmItem *mea = enhanced ? frame_macro(ds, i, DCM_PixelMeasuresSequence) : ds;
        DcmItem *pvt = enhanced ? frame_macro(ds, i, DCM_PixelValueTransformationSequence) : ds;
        // Some enhanced files also carry the classic attributes at top level.
        if (enhanced && !pos)
            pos = ds;
        if (enhanced && !ori)
            ori = ds;
        if (enhanced && !mea)
            mea = ds;
        if (enhanced && !pvt)
            pvt = ds;
        fr.has_ipp = get_doubles(pos, DCM_ImagePositionPatient, fr.ipp, 3);
        fr.has_iop = get_doubles(ori, DCM_ImageOrientationPatient, fr.iop, 6);
        fr.has_spacing = get_doubles(mea, DCM_PixelSpacing, fr.spacing, 2);
        if (enhanced && i == 0 && mea) {
            if (get_doubles(mea, DCM_SliceThickness, &v, 1))
                f->slice_thickness = v;
            if (get_doubles(mea, DCM_SpacingBetweenSlices, &v, 1))
                f->spacing_between = v;
        }
        frame_order(ds, enhanced, i, f->instance_number, fr.order);
        if (get_doubles(pvt, DCM_RescaleSlope, &v, 1))
            fr.slope = v;
        if (get_doubles(pvt, DCM_RescaleIntercept, &v, 1))
            fr.inter = v;
    }
    return mosaic ? mosaic_tiles(ctx, path, ds, f) : FACELESS_OK;
}

// ImageType / FrameType: value 1 becomes DERIVED (PS3.3 C.7.6.1.1.2), the
// other values stay.
void mark_derived(DcmItem *it, const DcmTagKey &tag)
{
    OFString s;
    if (it->findAndGetOFStringArray(tag, s).bad() || s.empty())
        return;
    size_t bs = s.find('\\');
    OFString rest = bs == OFString_npos ? OFString() : s.substr(bs);
    it->putAndInsertOFStringArray(tag, OFString("DERIVED") + rest);
}

// FrameType lives in the ... Frame Type macro of each functional group.
void mark_frame_types(DcmItem *ds)
{
    static const DcmTagKey groups[2] = {DCM_SharedFunctionalGroupsSequence,
                                        DCM_PerFrameFunctionalGroupsSequence};
    for (const DcmTagKey &g : groups) {
        DcmSequenceOfItems *seq = NULL;
        if (ds->findAndGetSequence(g, seq).bad() || !seq)
            continue;
        for (unsigned long i = 0; i < seq->card(); i++) {
            DcmItem *group = seq->getItem(i);
            for (unsigned long e = 0; group && e < group->card(); e++) {
                DcmElement *el = group->getElement(e);
                if (!el || el->ident() != EVR_SQ)
                    continue;
                DcmSequenceOfItems *macro = OFstatic_cast(DcmSequenceOfItems *, el);
                for (unsigned long m = 0; m < macro->card(); m++)
                    mark_derived(macro->getItem(m), DCM_FrameType);
            }
        }
    }
}

// Whether ImageType/FrameType value 1 may become DERIVED. Not in Enhanced
// MR (and Enhanced MR Color) images: there value 1 gates the MR Pulse
// Sequence module (PS3.3 C.8.13.4, "Required if Image Type Value 1 is
// ORIGINAL or MIXED"), which dciodvfy reads as forbidden otherwise (16 new
// errors on the shared XA30 series, issue 18). Dropping the module instead
// is no way out: without MRAcquisitionType dcm2niix stacks the frames in
// another voxel order (XA30: 128x128x96 instead of 96x128x128). So these
// keep value 1; the change is recorded by RecognizableVisualFeatures NO,
// the De-identification Method (and code 113102) and the new UIDs.
bool may_mark_derived(DcmDataset *ds)
{
    OFString sop_class;
    if (ds->findAndGetOFString(DCM_SOPClassUID, sop_class).bad())
        return true;
    return sop_class != "1.2.840.10008.5.1.4.1.1.4.1" && sop_class != "1.2.840.10008.5.1.4.1.1.4.3";
}

faceless_status set_deid(faceless_ctx *ctx, const char *path, DcmDataset *ds, const dicom_write_attrs *a)
{
    OFCondition c;
    c = ds->putAndInsertString(DCM_SOPInstanceUID, a->sop_instance_uid);
    if (c.good())
        c = ds->putAndInsertString(DCM_SeriesInstanceUID, a->series_uid);
    if (c.good())
        c = ds->putAndInsertString(DCM_RecognizableVisualFeatures, "NO");
    if (c.bad())
        return fail_cond(ctx, FACELESS_ERR_INTERNAL, path, "cannot set UIDs", c);
    if (may_mark_derived(ds)) {
        mark_derived(ds, DCM_ImageType);
        mark_frame_types(ds);
    }

    // De-identification Method is LO 1-n: add our value, keep earlier ones.
    OFString m;
    bool have = false;
    if (ds->findAndGetOFStringArray(DCM_DeidentificationMethod, m).good() && !m.empty()) {
        have = m.find(a->method) != OFString_npos;
        if (!have)
            m += OFString("\\") + a->method;
    } else {
        m = a->method;
    }
    if (!have)
        ds->putAndInsertOFStringArray(DCM_DeidentificationMethod, m);

    // Code 113102 (PS3.16 CID 7050), once.
    DcmSequenceOfItems *seq = NULL;
    bool coded = false;
    if (ds->findAndGetSequence(DCM_DeidentificationMethodCodeSequence, seq).good() && seq) {
        for (unsigned long i = 0; i < seq->card(); i++) {
            OFString cv, cs;
            DcmItem *it = seq->getItem(i);
            if (it && it->findAndGetOFString(DCM_CodeValue, cv).good() &&
                it->findAndGetOFString(DCM_CodingSchemeDesignator, cs).good() && cv == "113102" &&
                cs == "DCM")
                coded = true;
        }
    }
    if (!coded) {
        DcmItem *it = NULL;
        c = ds->findOrCreateSequenceItem(DCM_DeidentificationMethodCodeSequence, it, -2);
        if (c.bad() || !it)
            return fail_cond(ctx, FACELESS_ERR_INTERNAL, path, "cannot add the de-identification code", c);
        it->putAndInsertString(DCM_CodeValue, "113102");
        it->putAndInsertString(DCM_CodingSchemeDesignator, "DCM");
        it->putAndInsertString(DCM_CodeMeaning, "Clean Recognizable Visual Features Option");
    }
    return FACELESS_OK;
}

// Replaces the pixel data by `pixels` in the representation `out` needs.
faceless_status put_pixels(faceless_ctx *ctx, const dicom_file *f, DcmDataset *ds, const void *pixels,
                           E_TransferSyntax out)
{
    const dicom_pixel_format &pf = f->pf;
    size_t fb = frame_bytes(pf), total = fb * (size_t)f->n_frames;
    DcmPixelData *pd = new DcmPixelData(DcmTag(DCM_PixelData, pf.bits_allocated == 8 ? EVR_OB : EVR_OW));
    OFCondition c;
    if (is_j2k(out)) {
        // Lossless J2K re-encode; a new pixel sequence with an offset table.
        DcmPixelSequence *seq = new DcmPixelSequence(DcmTag(DCM_PixelSequenceTag));
        DcmPixelItem *table = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
        seq->insert(table);
        DcmOffsetList offsets;
        for (int i = 0; i < f->n_frames && c.good(); i++) {
            uint8_t *buf = NULL;
            size_t len = 0;
            char err[256];
            if (dicom_j2k_encode_lossless((const char *)pixels + fb * (size_t)i, pf.rows, pf.cols,
                                          pf.bits_allocated / 8, pf.bits_stored, pf.pixel_rep, &buf, &len,
                                          err) != 0) {
                delete seq;
                delete pd;
                return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: JPEG 2000 encode: %s", f->path, err);
            }
            c = seq->storeCompressedFrame(offsets, buf, (Uint32)len, 0);
            std::free(buf);
        }
        if (c.good())
            c = table->createOffsetTable(offsets);
        if (c.bad()) {
            delete seq;
            delete pd;
            return fail_cond(ctx, FACELESS_ERR_INTERNAL, f->path, "cannot build the JPEG 2000 pixel sequence", c);
        }
        pd->putOriginalRepresentation(out, NULL, seq);
    } else if (pf.bits_allocated == 8) {
        c = pd->putUint8Array((const Uint8 *)pixels, (unsigned long)total);
    } else {
        c = pd->putUint16Array((const Uint16 *)pixels, (unsigned long)(total / 2));
    }
    if (c.good())
        c = ds->insert(pd, OFTrue);
    else
        delete pd;
    if (c.bad())
        return fail_cond(ctx, FACELESS_ERR_INTERNAL, f->path, "cannot store the new pixel data", c);
    if (DcmXfer(out).isEncapsulated() && !is_j2k(out)) {
        // The encoders may add a DerivationDescription; keep the input's.
        OFString before;
        bool had = ds->findAndGetOFStringArray(DCM_DerivationDescription, before).good();
        DJ_RPLossless jpeg_param(1, 0);
        DJLSRepresentationParameter jls_param(0, OFTrue);
        const DcmRepresentationParameter *param = NULL;
        if (out == EXS_JPEGProcess14SV1 || out == EXS_JPEGProcess14)
            param = &jpeg_param;
        else if (out == EXS_JPEGLSLossless)
            param = &jls_param;
        c = ds->chooseRepresentation(out, param);
        if (c.bad() || !ds->canWriteXfer(out))
            return fail_cond(ctx, FACELESS_ERR_INTERNAL, f->path, "cannot re-encode the pixel data losslessly", c);
        if (had)
            ds->putAndInsertOFStringArray(DCM_DerivationDescription, before);
        else
            delete ds->remove(DCM_DerivationDescription);
    }
    return FACELESS_OK;
}

// ---- The face archive's attribute difference (issue 20) -----------------
// What the de-face changed in a file's attributes, to put back on restore:
// copies of the original elements the output lacks or holds with another
// value (UIDs, ImageType, de-identification attributes, whatever it was),
// and the tags the output has that the original had not. Kept per header
// (meta, dataset) as
//   "FLDD", then per header: n 4, n tags (group 2, element 2), length 8,
//   the changed elements as a dataset in explicit VR little endian.
// A few hundred bytes per file, where the whole header would be tens of kB
// (Siemens CSA headers): the archive stays the size of the face's values.

void copy_items(DcmItem *from, DcmItem *to)
{
    for (unsigned long i = 0; i < from->card(); i++) {
        DcmElement *e = from->getElement(i);
        if (e->getTag() != DCM_PixelData)
            to->insert(OFstatic_cast(DcmElement *, e->clone()), OFTrue);
    }
}

void diff_items(DcmItem *before, DcmItem *after, DcmDataset &changed, std::vector<DcmTagKey> &added)
{
    for (unsigned long i = 0; i < before->card(); i++) {
        DcmElement *e = before->getElement(i);
        if (e->getTag() == DCM_PixelData)
            continue;
        DcmElement *a = NULL;
        if (after->findAndGetElement(e->getTag(), a, OFFalse).bad() || !a || e->compare(*a) != 0)
            changed.insert(OFstatic_cast(DcmElement *, e->clone()), OFTrue);
    }
    for (unsigned long i = 0; i < after->card(); i++) {
        DcmTagKey t = after->getElement(i)->getTag();
        if (t != DCM_PixelData && !before->tagExists(t))
            added.push_back(t);
    }
}

OFCondition dataset_bytes(DcmDataset &ds, std::vector<Uint8> &out)
{
    std::vector<Uint8> chunk(1 << 16);
    DcmOutputBufferStream os(chunk.data(), chunk.size());
    ds.transferInit();
    OFCondition c;
    do {
        c = ds.write(os, EXS_LittleEndianExplicit, EET_ExplicitLength, NULL);
        if (c.good())
            os.flush();
        void *buf = NULL;
        offile_off_t len = 0;
        os.flushBuffer(buf, len);
        out.insert(out.end(), (Uint8 *)buf, (Uint8 *)buf + len);
    } while (c == EC_StreamNotifyClient);
    ds.transferEnd();
    return c;
}

void put_le(std::vector<Uint8> &out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        out.push_back((Uint8)(v >> (8 * i)));
}

// Appends one header's part of the difference.
OFCondition diff_part(DcmItem *before, DcmItem *after, std::vector<Uint8> &out)
{
    DcmDataset changed;
    std::vector<DcmTagKey> added;
    diff_items(before, after, changed, added);
    put_le(out, added.size(), 4);
    for (const DcmTagKey &t : added) {
        put_le(out, t.getGroup(), 2);
        put_le(out, t.getElement(), 2);
    }
    std::vector<Uint8> bytes;
    OFCondition c = changed.card() ? dataset_bytes(changed, bytes) : EC_Normal;
    put_le(out, bytes.size(), 8);
    out.insert(out.end(), bytes.begin(), bytes.end());
    return c;
}

// A bounds-checked reader of the difference; ok drops on any overrun.
struct DiffReader {
    const Uint8 *p;
    size_t n, at;
    bool ok;
    uint64_t get(int bytes)
    {
        if (!ok || n - at < (size_t)bytes) {
            ok = false;
            return 0;
        }
        uint64_t v = 0;
        for (int i = bytes - 1; i >= 0; i--)
            v = (v << 8) | p[at + (size_t)i];
        at += (size_t)bytes;
        return v;
    }
};

// Applies one header's part of the difference to target.
bool apply_part(DiffReader &r, DcmItem *target)
{
    uint64_t n = r.get(4);
    if (!r.ok || n > (r.n - r.at) / 4)
        return false;
    for (uint64_t k = 0; k < n; k++) {
        Uint16 g = (Uint16)r.get(2), e = (Uint16)r.get(2);
        delete target->remove(DcmTagKey(g, e));
    }
    uint64_t len = r.get(8);
    if (!r.ok || len > r.n - r.at)
        return false;
    if (len) {
        DcmInputBufferStream in;
        in.setBuffer(r.p + r.at, (offile_off_t)len);
        in.setEos();
        DcmDataset changed;
        changed.transferInit();
        OFCondition c = changed.read(in, EXS_LittleEndianExplicit, EGL_noChange, DCM_MaxReadLength);
        changed.transferEnd();
        if (c.bad())
            return false;
        copy_items(&changed, target);
    }
    r.at += (size_t)len;
    return true;
}

// After a de-face's save: the difference between the attributes as read
// (before_meta, before_ds) and as written, into a malloc'd buffer.
faceless_status make_diff(faceless_ctx *ctx, const dicom_file *f, DcmItem *before_meta, DcmItem *before_ds,
                          DcmFileFormat &ff, const dicom_write_attrs *attrs)
{
    std::vector<Uint8> out = {'F', 'L', 'D', 'D'};
    OFCondition c = diff_part(before_meta, ff.getMetaInfo(), out);
    if (c.good())
        c = diff_part(before_ds, ff.getDataset(), out);
    if (c.bad())
        return fail_cond(ctx, FACELESS_ERR_INTERNAL, f->path, "cannot record the changed attributes", c);
    uint8_t *p = (uint8_t *)std::malloc(out.size());
    if (!p)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", f->path);
    std::memcpy(p, out.data(), out.size());
    *attrs->diff_out = p;
    *attrs->diff_size_out = out.size();
    return FACELESS_OK;
}

// Restore: the de-faced file ff with its original attributes back (the
// difference in attrs->original) and the restored pixels, in the
// transfer syntax of the de-faced file (the input's own for lossless
// input; lossy input was written as explicit VR little endian and its lossy
// bytes are gone). The meta header is written as restored, so the file
// carries its original SOP Instance UID and implementation.
faceless_status write_original(faceless_ctx *ctx, const dicom_file *f, DcmFileFormat &ff,
                               const dicom_write_attrs *attrs, const void *pixels, E_TransferSyntax out,
                               const char *out_path)
{
    DiffReader r = {attrs->original, attrs->original_size, 4, attrs->original_size >= 4};
    if (!r.ok || std::memcmp(attrs->original, "FLDD", 4) != 0 || !apply_part(r, ff.getMetaInfo()) ||
        !apply_part(r, ff.getDataset()) || r.at != r.n)
        return ctx_fail(ctx, FACELESS_ERR_ARCHIVE, "%s: the archive's original attributes of this file do not parse",
                        f->path);
    DcmDataset *ds = ff.getDataset();
    faceless_status st = put_pixels(ctx, f, ds, pixels, out);
    if (st != FACELESS_OK)
        return st;
    DcmMetaInfo *meta = ff.getMetaInfo();
    meta->putAndInsertString(DCM_TransferSyntaxUID, DcmXfer(out).getXferID());
    // the meta header's group length over the elements it now holds: with
    // EWM_dontUpdateMeta, DCMTK writes the value it finds
    meta->computeGroupLengthAndPadding(EGL_withGL, EPD_noChange, META_HEADER_DEFAULT_TRANSFERSYNTAX,
                                       EET_ExplicitLength, 0, 0, 0);
    OFCondition c =
        ff.saveFile(out_path, out, EET_ExplicitLength, EGL_recalcGL, EPD_noChange, 0, 0, EWM_dontUpdateMeta);
    if (c.bad())
        return fail_cond(ctx, FACELESS_ERR_OUTPUT, out_path, "cannot write", c);
    return FACELESS_OK;
}

faceless_status write_impl(faceless_ctx *ctx, const dicom_file *f, dicom_pixel_fn fn, void *user,
                           const dicom_write_attrs *attrs, const char *out_path)
{
    CodecUse codecs;
    DcmFileFormat ff;
    faceless_status st = load(ctx, ff, f->path);
    if (st != FACELESS_OK)
        return st;
    DcmDataset *ds = ff.getDataset();
    E_TransferSyntax in = ds->getOriginalXfer();
    dicom_ts_kind kind = dicom_ts_classify(f->transfer_syntax);
    E_TransferSyntax out = kind == DICOM_TS_LOSSY ? EXS_LittleEndianExplicit : in;
    if (kind == DICOM_TS_UNSUPPORTED)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: unsupported transfer syntax %s", f->path,
                        f->transfer_syntax);
    size_t bytes = frame_bytes(f->pf) * (size_t)f->n_frames;
    std::vector<Uint8> orig(bytes), pixels(bytes);
    st = decode_dataset(ctx, f, ds, orig.data());
    if (st != FACELESS_OK)
        return st;
    size_t changed = fn(user, orig.data(), pixels.data());
    if (attrs->original)
        return write_original(ctx, f, ff, attrs, pixels.data(), out, out_path);
    // the archive's difference needs the attributes as read
    DcmDataset before_meta, before_ds;
    if (attrs->diff_out) {
        copy_items(ff.getMetaInfo(), &before_meta);
        copy_items(ds, &before_ds);
    }
    if (changed > 0 || kind == DICOM_TS_LOSSY) {
        st = put_pixels(ctx, f, ds, pixels.data(), out);
        if (st != FACELESS_OK)
            return st;
    }
    if (kind == DICOM_TS_LOSSY && !ds->tagExists(DCM_LossyImageCompression))
        ds->putAndInsertString(DCM_LossyImageCompression, "01");
    st = set_deid(ctx, f->path, ds, attrs);
    if (st != FACELESS_OK)
        return st;
    OFCondition c = ff.saveFile(out_path, out, EET_ExplicitLength, EGL_recalcGL, EPD_noChange, 0, 0,
                                EWM_updateMeta);
    if (c.bad())
        return fail_cond(ctx, FACELESS_ERR_OUTPUT, out_path, "cannot write", c);
    return attrs->diff_out ? make_diff(ctx, f, &before_meta, &before_ds, ff, attrs) : FACELESS_OK;
}

std::once_flag quiet_once;

// DCMTK logs warnings (odd lengths, VR mismatches) to stderr by default; our
// errors go to the context, and the CLI owns stderr.
void quiet_dcmtk()
{
    std::call_once(quiet_once, [] { OFLog::getLogger("dcmtk").setLogLevel(OFLogger::FATAL_LOG_LEVEL); });
}

template <typename Fn> faceless_status guarded(faceless_ctx *ctx, const char *path, Fn fn)
{
    try {
        quiet_dcmtk();
        return fn();
    } catch (const std::bad_alloc &) {
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory in DCMTK", path);
    } catch (const std::exception &e) {
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: DCMTK exception: %s", path, e.what());
    } catch (...) {
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: unknown exception in DCMTK", path);
    }
}

/* ------------------------------------------------------------------------ */
/* The table: each function of dicom.h behind guarded(), and the one         */
/* exported symbol that hands the table out.                                 */

void module_init(const dicom_host *h) { host = h; }

faceless_status module_scan(faceless_ctx *ctx, const char *path, dicom_file *f, int *not_image)
{
    return guarded(ctx, path, [&] { return scan_impl(ctx, path, f, not_image); });
}

faceless_status module_decode(faceless_ctx *ctx, const dicom_file *f, void *dst)
{
    return guarded(ctx, f->path, [&] { return decode_impl(ctx, f, dst); });
}

faceless_status module_write(faceless_ctx *ctx, const dicom_file *f, dicom_pixel_fn fn, void *user,
                             const dicom_write_attrs *attrs, const char *out_path)
{
    return guarded(ctx, f->path, [&] { return write_impl(ctx, f, fn, user, attrs, out_path); });
}

int module_probe(const char *path)
{
    try {
        quiet_dcmtk();
        DcmFileFormat ff;
        if (ff.loadFile(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect).bad())
            return 0;
        DcmDataset *ds = ff.getDataset();
        return ds->tagExists(DCM_SOPClassUID) && ds->tagExists(DCM_SOPInstanceUID);
    } catch (...) {
        return 0;
    }
}

} // namespace

extern "C" dicom_ts_kind dicom_ts_classify(const char *ts_uid)
{
    try {
        switch (xfer_of(ts_uid)) {
        case EXS_LittleEndianImplicit:
        case EXS_LittleEndianExplicit:
        case EXS_BigEndianExplicit:
        case EXS_DeflatedLittleEndianExplicit:
            return DICOM_TS_NATIVE;
        case EXS_RLELossless:
        case EXS_JPEGProcess14:
        case EXS_JPEGProcess14SV1:
        case EXS_JPEGLSLossless:
        case EXS_JPEG2000LosslessOnly:
            return DICOM_TS_LOSSLESS;
        case EXS_JPEGProcess1:
        case EXS_JPEGProcess2_4:
        case EXS_JPEGLSLossy:
        case EXS_JPEG2000:
            return DICOM_TS_LOSSY;
        default:
            return DICOM_TS_UNSUPPORTED;
        }
    } catch (...) {
        return DICOM_TS_UNSUPPORTED;
    }
}

namespace {

const dicom_module table = {
    DICOM_MODULE_ABI,
    (uint32_t)sizeof(dicom_file),
    (uint32_t)sizeof(dicom_frame),
    (uint32_t)sizeof(dicom_write_attrs),
    module_init,
    module_scan,
    module_decode,
    module_write,
    module_probe,
    dicom_ts_classify,
};

} // namespace

extern "C" __attribute__((visibility("default"))) const dicom_module *faceless_dicom_module(void) { return &table; }
