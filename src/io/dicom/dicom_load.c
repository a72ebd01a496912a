/* dicom_load: the DCMTK functions of dicom.h (dicom_dcmtk_*, and
 * dicom_ts_classify, which asks DCMTK's transfer syntax table) in faceless
 * itself. DCMTK lives in a separate module (faceless_dicom.so; the boundary
 * is dicom_module.h), loaded with dlopen on the first call of one of these
 * functions, so that commands that read and write NIfTI only never load
 * DCMTK's libraries.
 *
 * Where the module is looked for ($FACELESS_DICOM_MODULE, beside the
 * executable, ../lib/faceless/, the path CMake built it at:
 * FACELESS_DICOM_MODULE_BUILT), and how it is checked, is
 * core/module_load.h's.
 *
 * When the module cannot be loaded, dicom_dcmtk_available() is 0,
 * dicom_dcmtk_load_error() says why in one line, dicom_dcmtk_probe() and
 * dicom_ts_classify() answer "not DICOM" and "unsupported", and the other
 * functions fail with FACELESS_ERR_UNSUPPORTED and that reason.
 *
 * Thread safety: the first load runs once (pthread_once); the state it
 * leaves is never changed afterwards, and the module is never unloaded
 * (DCMTK's static dictionaries and codec lists must stay mapped). */
#include "core/module_load.h"
#include "io/dicom/dicom_module.h"

#include <pthread.h>
#include <string.h>

/* Set once by load() under `once`, read-only afterwards. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const dicom_module *module;        /* NULL when not loaded */
static char load_error[MODULE_ERROR_MAX]; /* why not, one line */

static const dicom_host host = {
    .ctx_vfail = ctx_vfail,
};

/* The handshake (module_load.h): the table, initialised with the host
 * table, if abi and sizes match. */
static const void *handshake(module_entry entry, uint32_t *abi_seen)
{
    const dicom_module *m = ((dicom_entry_fn)entry)();
    *abi_seen = m ? m->abi : 0;
    if (!m || m->abi != DICOM_MODULE_ABI || m->size_file != sizeof(dicom_file) ||
        m->size_frame != sizeof(dicom_frame) || m->size_attrs != sizeof(dicom_write_attrs))
        return NULL;
    m->init(&host);
    return m;
}

static void load(void)
{
    static const module_spec spec = {
        .what = "DICOM",
        .file = DICOM_MODULE_FILE,
        .env = "FACELESS_DICOM_MODULE",
#ifdef FACELESS_DICOM_MODULE_BUILT
        .built = FACELESS_DICOM_MODULE_BUILT,
#endif
        .entry = DICOM_MODULE_ENTRY,
        .abi = DICOM_MODULE_ABI,
        .handshake = handshake,
    };
    module = module_load(&spec, load_error, sizeof load_error);
}

/* The loaded module, or NULL (see load_error). */
static const dicom_module *dicom_mod(void)
{
    pthread_once(&once, load);
    return module;
}

int dicom_dcmtk_available(void) { return dicom_mod() != NULL; }

const char *dicom_dcmtk_load_error(void) { return dicom_mod() ? NULL : load_error; }

faceless_status dicom_dcmtk_scan(faceless_ctx *ctx, const char *path, dicom_file *f, int *not_image)
{
    const dicom_module *m = dicom_mod();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: %s", path, load_error);
    return m->scan(ctx, path, f, not_image);
}

faceless_status dicom_dcmtk_decode(faceless_ctx *ctx, const dicom_file *f, void *dst)
{
    const dicom_module *m = dicom_mod();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: %s", f->path, load_error);
    return m->decode(ctx, f, dst);
}

faceless_status dicom_dcmtk_write(faceless_ctx *ctx, const dicom_file *f, dicom_pixel_fn fn, void *user,
                                  const dicom_write_attrs *attrs, const char *out_path)
{
    const dicom_module *m = dicom_mod();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: %s", f->path, load_error);
    return m->write(ctx, f, fn, user, attrs, out_path);
}

int dicom_dcmtk_probe(const char *path)
{
    const dicom_module *m = dicom_mod();
    return m ? m->probe(path) : 0;
}

dicom_ts_kind dicom_ts_classify(const char *ts_uid)
{
    const dicom_module *m = dicom_mod();
    return m ? m->ts_classify(ts_uid) : DICOM_TS_UNSUPPORTED;
}
