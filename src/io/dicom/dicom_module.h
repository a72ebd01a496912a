/* dicom_module: private to src/io/dicom. The boundary between faceless and
 * its DICOM module (faceless_dicom.so, built from dicom_dcmtk.cpp and
 * dicom_j2k.c), which dicom_load.c dlopens on the first call of a
 * dicom_dcmtk_* function or dicom_ts_classify (dicom.h).
 *
 * Why a module: linked into faceless, DCMTK and what it pulls in (libstdc++,
 * ICU, libxml2, liblzma, CharLS, the IJG codecs, OpenJPEG) cost 5.35 MB of
 * RSS in every process (a C program linking the rest of faceless's
 * libraries: VmHWM 3.0 MB; with DCMTK's: 8.4 MB), though only DICOM input
 * uses them; issue 4 wants `faceless deface` of a NIfTI at most 4x the
 * uncompressed image.
 *
 * The handshake and the search path are core/module_load.h's: the module
 * exports one symbol, DICOM_MODULE_ENTRY, returning its dicom_module table;
 * the loader checks abi and the struct sizes, calls init() once with the
 * host table, then forwards through the function pointers.
 *
 * Why a host table rather than linking faceless_lib into the module: the
 * module needs one function of faceless (ctx_vfail, for its error messages);
 * taking it from the running faceless keeps one copy of the context code
 * and keeps faceless_lib non-PIC (render/render_vtk_module.h says more). The
 * module links with -Wl,--no-undefined, so a faceless function it calls
 * without the table is a link error.
 *
 * Bump DICOM_MODULE_ABI whenever a table below, or a struct they pass
 * (dicom_file, dicom_frame, dicom_pixel_format, dicom_write_attrs), changes. */
#ifndef FACELESS_IO_DICOM_MODULE_H
#define FACELESS_IO_DICOM_MODULE_H

#include "core/context.h"
#include "io/dicom/dicom.h"

#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DICOM_MODULE_ABI 3

/* The module's file name, next to the faceless binary in a build tree and in
 * PREFIX/lib/faceless/ when installed. */
#define DICOM_MODULE_FILE "faceless_dicom.so"

/* The one exported symbol: const dicom_module *faceless_dicom_module(void). */
#define DICOM_MODULE_ENTRY "faceless_dicom_module"

/* faceless -> module: what the module calls back. */
typedef struct dicom_host {
    faceless_status (*ctx_vfail)(faceless_ctx *ctx, faceless_status status, const char *fmt, va_list ap);
} dicom_host;

/* module -> faceless. The functions are those of dicom.h of the same name
 * (dicom_dcmtk_scan, ..., dicom_ts_classify), with the same contracts; none
 * lets a C++ exception out. */
typedef struct dicom_module {
    uint32_t abi;                               /* DICOM_MODULE_ABI of the module's build */
    uint32_t size_file, size_frame, size_attrs; /* sizeof dicom_file, dicom_frame, dicom_write_attrs */
    /* Called once, before any function below; host outlives the process. */
    void (*init)(const dicom_host *host);
    faceless_status (*scan)(faceless_ctx *ctx, const char *path, dicom_file *f, int *not_image);
    faceless_status (*decode)(faceless_ctx *ctx, const dicom_file *f, void *dst);
    faceless_status (*write)(faceless_ctx *ctx, const dicom_file *f, dicom_pixel_fn fn, void *user,
                             const dicom_write_attrs *attrs, const char *out_path);
    int (*probe)(const char *path);
    dicom_ts_kind (*ts_classify)(const char *ts_uid);
} dicom_module;

typedef const dicom_module *(*dicom_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
