/* DICOM series in, DICOM series out (issue 6).
 *
 * The one C header in front of DCMTK: every DCMTK call lives in dicom_dcmtk.cpp,
 * which catches every C++ exception and turns it into a faceless_status.
 * dicom_dcmtk.cpp and dicom_j2k.c are the DICOM module, faceless_dicom.so,
 * which dicom_load.c dlopens on the first dicom_dcmtk_* call (dicom_module.h
 * says why); faceless itself links neither DCMTK nor OpenJPEG. The other
 * files of this folder are plain C11, in faceless:
 *   dicom_scan.c      folder walk, grouping by SeriesInstanceUID
 *   dicom_read.c      series -> volume, and the series listing
 *   dicom_write.c     volume -> series
 *   dicom_geometry.c  slice sorting, refusal checks, vox2ras (LPS -> RAS)
 *   dicom_uid.c       deterministic new UIDs (2.25.<decimal of a UUIDv8>)
 *   dicom_load.c      the dicom_dcmtk_* functions: load the module, forward
 *
 * Thread safety: the functions may be called from several threads with
 * different contexts; DCMTK codecs are registered once per process (counted,
 * under a mutex) and unregistered when the last user is done. */
#ifndef FACELESS_IO_DICOM_H
#define FACELESS_IO_DICOM_H

#include "faceless.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Module API (used by src/io/volume_io.c and the CLI).                      */

/* 1 if path is a folder, or a file that starts like DICOM Part 10 ("DICM" at
 * offset 128) or that DCMTK can parse as a dataset without a meta header
 * (only this last question loads the DICOM module; without it, 0). */
int dicom_probe(const char *path);

/* One series found under a path (for `faceless info DIR` and --series). */
typedef struct dicom_series_summary {
    char uid[65];          /* SeriesInstanceUID */
    char modality[17];
    char description[65];  /* SeriesDescription, may be "" */
    int series_number;     /* -1 when absent */
    int n_files;
    int n_images;          /* frames over all files */
    int rows, cols;
    char transfer_syntax[65];
} dicom_series_summary;

/* Lists the series under path (a file or a folder, searched recursively),
 * ordered by SeriesNumber then UID. *out is malloc'd (caller frees) and set
 * only on success; a path without any DICOM image is an input error.
 * Non-DICOM files are skipped with a warning in ctx. */
faceless_status dicom_list_series(faceless_ctx *ctx, const char *path, dicom_series_summary **out,
                                  size_t *n_out);

/* Reads one series into a volume (source_kind VOLUME_SOURCE_DICOM, the series
 * handle as source). series_uid NULL: the only series under path, or an error
 * that lists the UIDs. Refuses (one line naming the problem) mixed
 * orientation, mixed size or pixel format, duplicate positions, gaps
 * (non-uniform spacing), mixed magnitude and phase images, colour images and
 * unsupported transfer syntaxes. The volume holds the stored values, with
 * the series' rescale as scl_slope/scl_inter; when images have their own
 * RescaleSlope/Intercept (Philips), it holds the real values as float32. */
faceless_status dicom_series_read(faceless_ctx *ctx, const char *path, const char *series_uid,
                                  faceless_volume **out);

/* Writes v (read by dicom_series_read) to the folder out_dir: one file per
 * input file, same relative names. Pixel data from v (values that differ from
 * the input are clamped to the BitsStored range; a volume of real values goes
 * back through each image's own rescale), Recognizable Visual Features = NO,
 * De-identification Method (+ code 113102), ImageType value 1 DERIVED (not in
 * Enhanced MR images: dicom_dcmtk.cpp says why), new SOP Instance UIDs and a
 * new Series Instance UID derived from the old ones and a digest of the output
 * (dicom_uid_derive: the written pixel data of every image and the
 * de-identification text, which names the faceless version; every option
 * that changes the output does so through these). Frame of Reference UIDs
 * stay: the geometry is unchanged. Lossless input keeps its transfer syntax,
 * lossy input is written in explicit VR little endian. Every file is written
 * to a temporary name next to its target and the files are renamed only when
 * all have been written. Refuses existing outputs unless opts->overwrite, and
 * refuses to write over an input file. */
faceless_status dicom_series_write(faceless_ctx *ctx, const faceless_volume *v, const char *out_dir,
                                   const faceless_write_options *opts);

/* The face archive's needs (src/archive, issue 20). Of a volume read from
 * DICOM: the number of files, and file i's path relative to the folder
 * read (its output name). */
size_t dicom_volume_n_files(const faceless_volume *v);
const char *dicom_volume_relpath(const faceless_volume *v, size_t i);

/* dicom_series_write that also records, per file i, the attributes the
 * write changed into diffs[i] (malloc'd, sizes[i] bytes; the caller gives
 * arrays of dicom_volume_n_files(v) and frees what is set, also on failure). */
faceless_status dicom_series_write_recorded(faceless_ctx *ctx, const faceless_volume *v, const char *out_dir,
                                            const faceless_write_options *opts, uint8_t **diffs, size_t *sizes);

/* SHA-256 of the series written from v into dir: over the files in
 * relative-path order, each as its relative path, a NUL, and the SHA-256
 * of the file dir/relpath. 0, or -1 when a file cannot be read. */
int dicom_volume_digest(const faceless_volume *v, const char *dir, uint8_t sha256[32]);

/* `faceless restore`: v read from a de-faced series, written with its
 * original attributes back (originals[i], sizes[i]: what
 * dicom_series_write_recorded recorded for v's file i) and v's pixels. */
faceless_status dicom_series_write_original(faceless_ctx *ctx, const faceless_volume *v, const char *out_dir,
                                            const faceless_write_options *opts, const uint8_t *const *originals,
                                            const size_t *sizes);

/* ------------------------------------------------------------------------ */
/* Internal: shared by the files of src/io/dicom only.                       */

#define DICOM_UID_SIZE 65

/* The pixel format every image of a series must share. */
typedef struct dicom_pixel_format {
    int rows, cols;
    int bits_allocated, bits_stored, high_bit, pixel_rep, samples;
    char photometric[17];
} dicom_pixel_format;

/* One 2D image: a single-frame file or one frame of a multi-frame file. */
typedef struct dicom_frame {
    int file;             /* index into the series' files */
    int frame;            /* 0-based frame number inside that file */
    int has_ipp, has_iop, has_spacing;
    double ipp[3];        /* ImagePositionPatient, LPS mm */
    double iop[6];        /* ImageOrientationPatient: row direction, column direction */
    double spacing[2];    /* PixelSpacing: between rows, between columns (mm) */
    double slope, inter;  /* RescaleSlope/Intercept (1, 0 when absent) */
    char kind;            /* 'M' magnitude (also when unsaid), 'P' phase, 'R' real,
                             'I' imaginary: ImageType value 3 and later (classic),
                             ComplexImageComponent (enhanced, per frame) */
    /* Which volume of a series of several (fMRI, DWI, echoes) the image
     * belongs to, compared in this order among the images of one position:
     * echo (EchoNumbers; enhanced: EffectiveEchoTime), time
     * (TemporalPositionIdentifier or TriggerTime; enhanced:
     * TemporalPositionIndex), b-value (DiffusionBValue), then acquisition
     * order (InstanceNumber, then the frame number). 0 when absent. */
    double order[4];
} dicom_frame;

/* Everything the reader learns from one file's header. */
typedef struct dicom_file {
    char *path;     /* owned */
    char *relpath;  /* owned; relative to the input root: the output name */
    char sop_instance_uid[DICOM_UID_SIZE];
    char series_uid[DICOM_UID_SIZE];
    char sop_class_uid[DICOM_UID_SIZE];
    char transfer_syntax[DICOM_UID_SIZE];
    char modality[17];
    char description[65];
    int series_number;
    int instance_number;
    int n_frames;               /* frames of the pixel data */
    int n_images;               /* 2D images: n_frames, or a mosaic's tiles */
    int mosaic;                 /* Siemens MOSAIC: tiles across (and down), else 0 */
    double slice_thickness;     /* 0 when absent */
    double spacing_between;     /* SpacingBetweenSlices, 0 when absent */
    dicom_pixel_format pf;
    dicom_frame *frames; /* n_images, owned (file index filled by the series);
                            frame = the frame, or the mosaic's tile */
} dicom_file;

void dicom_file_clear(dicom_file *f);

/* dicom_scan.c: the images under a path, grouped by SeriesInstanceUID in
 * the order first met (files in sorted name order). */
typedef struct dicom_scan_series {
    char uid[DICOM_UID_SIZE];
    dicom_file *files;
    size_t n_files, cap;
} dicom_scan_series;

typedef struct dicom_scan {
    char *root;                /* the folder (or a single file's folder) */
    dicom_scan_series *series;
    size_t n_series;
    size_t n_skipped;          /* non-DICOM files and DICOM without pixels */
} dicom_scan;

faceless_status dicom_scan_path(faceless_ctx *ctx, const char *path, dicom_scan **out);
void dicom_scan_free(dicom_scan *s);

/* The source handle of a volume read from DICOM (faceless_volume.source):
 * what the writer needs to put every file back. Slice k of the volume
 * (frame t, slice z: k = t * nz + z) is slices[k], i.e. frame
 * slices[k].frame of files[slices[k].file]. */
typedef struct dicom_series {
    char *root;
    char uid[DICOM_UID_SIZE];
    dicom_file *files;
    size_t n_files;
    dicom_frame *slices;
    size_t n_slices; /* n_vols volumes of n_slices / n_vols slices */
    size_t n_vols;
    dicom_pixel_format pf;
    /* 1: RescaleSlope/Intercept differ between images, and the volume holds
     * real values (float32, slices[k].slope * stored + slices[k].inter)
     * rather than the stored ones; the writer turns changed voxels back into
     * each image's stored values (issue 18). */
    int real_values;
} dicom_series;

/* dicom_read.c: where pixel `pixel` (row * columns + column, in the series'
 * image size) of image `image` of file f lies in f's decoded pixel data
 * (dicom_dcmtk_decode's layout): in frame `image`, or in tile `image` of a
 * mosaic. */
size_t dicom_pixel_at(const dicom_file *f, int image, size_t pixel);

/* dicom_read.c: the real value of a stored sample, as the reader computes it
 * (the writer recomputes it to find the voxels that did not change). */
float dicom_real_value(double stored, double slope, double inter);

void dicom_series_free(void *series);

/* Transfer syntax classes. */
typedef enum dicom_ts_kind {
    DICOM_TS_UNSUPPORTED,
    DICOM_TS_NATIVE,    /* implicit/explicit LE, explicit BE, deflated */
    DICOM_TS_LOSSLESS,  /* RLE, JPEG lossless, JPEG-LS lossless, J2K lossless */
    DICOM_TS_LOSSY      /* JPEG baseline/extended, JPEG-LS near-lossless, J2K */
} dicom_ts_kind;
dicom_ts_kind dicom_ts_classify(const char *ts_uid);

/* dicom_dcmtk.cpp: the only code that calls DCMTK, in the DICOM module; in
 * faceless, dicom_load.c's functions of the same names load the module and
 * forward to it. Without the module they fail with FACELESS_ERR_UNSUPPORTED
 * and dicom_dcmtk_load_error() (probe: 0; classify: unsupported). */

/* 1 when the DICOM module is loaded (loading it on the first call), else 0
 * and dicom_dcmtk_load_error() says why in one line. */
int dicom_dcmtk_available(void);
const char *dicom_dcmtk_load_error(void);

/* Reads the header of path into *f (frames malloc'd). Returns FACELESS_OK,
 * FACELESS_ERR_UNSUPPORTED when path is not DICOM (f->path untouched, the
 * reason in ctx), FACELESS_ERR_INPUT for a broken DICOM file. `not_image` is
 * set to 1 (status OK) for DICOM files without pixel data (DICOMDIR, SR...). */
faceless_status dicom_dcmtk_scan(faceless_ctx *ctx, const char *path, dicom_file *f, int *not_image);

/* Decodes every frame of file f into dst (n_frames * rows * cols samples of
 * bits_allocated/8 bytes, native byte order, frames in file order). */
faceless_status dicom_dcmtk_decode(faceless_ctx *ctx, const dicom_file *f, void *dst);

/* New values written into every output file. */
typedef struct dicom_write_attrs {
    char sop_instance_uid[DICOM_UID_SIZE];
    char series_uid[DICOM_UID_SIZE];
    const char *method;  /* De-identification Method text (LO, <= 64 chars) */
    /* The face archive (issue 20). De-face: when diff_out is set, the
     * attributes the write changed (the original elements it replaced or
     * removed, the tags it added) are recorded into *diff_out (malloc'd,
     * *diff_size_out bytes). Restore: when original is set (such a record),
     * the file being written from is a de-faced one: its attributes are put
     * back as the record says, with the new pixels, and nothing above is
     * used: no UID, mark or method is added. */
    uint8_t **diff_out;
    size_t *diff_size_out;
    const uint8_t *original;
    size_t original_size;
} dicom_write_attrs;

/* Supplies the pixels to write: called once by dicom_dcmtk_write with the
 * input file's decoded pixels (orig, layout as dicom_dcmtk_decode); fills
 * dst (same layout) and returns how many values differ from orig. */
typedef size_t (*dicom_pixel_fn)(void *user, const void *orig, void *dst);

/* Loads f once, decodes its pixels, asks fn for the new ones, and writes the
 * file to out_path with the attributes above. A lossless file whose pixels
 * did not change keeps its stored pixel data untouched; otherwise the new
 * pixels are encoded in the input's transfer syntax (lossless) or written
 * as explicit VR little endian (lossy input). */
faceless_status dicom_dcmtk_write(faceless_ctx *ctx, const dicom_file *f, dicom_pixel_fn fn, void *user,
                                  const dicom_write_attrs *attrs, const char *out_path);

/* 1 if DCMTK reads path as DICOM (meta header or not). */
int dicom_dcmtk_probe(const char *path);

/* dicom_geometry.c */

/* Sorts frames along the slice normal and checks the stack: one orientation,
 * distinct positions, uniform spacing. On success fills vox2ras (RAS),
 * voxel_mm; on failure ctx_fail with "where: problem". `where` names the
 * series in messages. fallback_dz is the slice spacing for a single image. */
faceless_status dicom_geometry_stack(faceless_ctx *ctx, const char *where, dicom_frame *frames, size_t n,
                                     double fallback_dz, double vox2ras[4][4], double voxel_mm[3]);

/* The images of a series of one or several volumes: groups them by
 * position (every position must hold the same number T of images), puts
 * each group in volume order (dicom_frame.order) and stacks each volume as
 * dicom_geometry_stack does; all volumes must share the first one's grid.
 * On success frames holds volume 0's slices in order, then volume 1's, ...,
 * and *n_vols = T (1 for a plain stack). */
faceless_status dicom_geometry_volumes(faceless_ctx *ctx, const char *where, dicom_frame *frames, size_t n,
                                       double fallback_dz, double vox2ras[4][4], double voxel_mm[3], size_t *n_vols);

/* dicom_uid.c */

/* New UID = "2.25." + the decimal value of a UUID version 8 (RFC 9562) whose
 * 122 free bits are the first bits of SHA-256("faceless-dicom-uid-v2" digest
 * old_uid), digest as 64 hex digits. Same digest and old UID: same new UID;
 * any other digest or old UID: another. out holds at least DICOM_UID_SIZE
 * chars. */
void dicom_uid_derive(const char *old_uid, const uint8_t digest[32], char out[DICOM_UID_SIZE]);

/* dicom_j2k.c, in the DICOM module: JPEG 2000 through OpenJPEG (DCMTK has
 * no JPEG 2000 codec). */

/* Decodes a J2K codestream (or JP2 file) of one frame into dst (rows*cols
 * samples of `bytes` bytes, native order). When the codestream's sign
 * disagrees with PixelRepresentation (is_signed), the bits_stored-bit values
 * are reinterpreted in the header's sign, as pydicom and dcm2niix do, so that
 * a lossless re-encode with the header's sign gives the same values back.
 * Error text in err (256 chars). */
int dicom_j2k_decode(const uint8_t *buf, size_t len, int rows, int cols, int bytes, int bits_stored,
                     int is_signed, void *dst, char err[256]);

/* Lossless (reversible 5/3) J2K codestream of one frame; *out malloc'd. */
int dicom_j2k_encode_lossless(const void *src, int rows, int cols, int bytes, int bits_stored,
                              int is_signed, uint8_t **out, size_t *out_len, char err[256]);

#ifdef __cplusplus
}
#endif
#endif
