/* dicomnet_load: the functions of dicomnet.h in faceless itself, forwarding
 * to faceless_dicomnet.so, loaded on the first call (where it is looked for:
 * core/module_load.h). Built without dcmnet (module.cmake), every function
 * fails with that reason.
 *
 * Thread safety: the load runs once (pthread_once); its result never
 * changes afterwards and the module is never unloaded. */
#include "core/module_load.h"
#include "io/dicomnet/dicomnet_module.h"

#include <pthread.h>
#include <stdio.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const dicomnet_module *module;
static char load_error[MODULE_ERROR_MAX];

static const dicomnet_host host = {.ctx_vfail = ctx_vfail};

static const void *handshake(module_entry entry, uint32_t *abi_seen)
{
    const dicomnet_module *m = ((dicomnet_entry_fn)entry)();
    *abi_seen = m ? m->abi : 0;
    if (!m || m->abi != DICOMNET_MODULE_ABI || m->size_instance != sizeof(dnet_instance) ||
        m->size_summary != sizeof(dnet_assoc_summary) || m->size_config != sizeof(dnet_scp_config) ||
        m->size_peer != sizeof(dnet_peer) || m->size_result != sizeof(dnet_send_result))
        return NULL;
    m->init(&host);
    return m;
}

static void load(void)
{
#ifdef FACELESS_HAVE_DICOMNET
    static const module_spec spec = {
        .what = "DICOM network",
        .file = DICOMNET_MODULE_FILE,
        .env = "FACELESS_DICOMNET_MODULE",
#ifdef FACELESS_DICOMNET_MODULE_BUILT
        .built = FACELESS_DICOMNET_MODULE_BUILT,
#endif
        .entry = DICOMNET_MODULE_ENTRY,
        .abi = DICOMNET_MODULE_ABI,
        .handshake = handshake,
    };
    module = module_load(&spec, load_error, sizeof load_error);
#else
    (void)handshake;
    snprintf(load_error, sizeof load_error,
             "this faceless was built without DICOM networking (DCMTK's dcmnet was not found at build time)");
#endif
}

static const dicomnet_module *mod(void)
{
    pthread_once(&once, load);
    return module;
}

int dicomnet_available(void) { return mod() != NULL; }

const char *dicomnet_load_error(void) { return mod() ? NULL : load_error; }

faceless_status dicomnet_scp_new(faceless_ctx *ctx, const dnet_scp_config *cfg, const dnet_scp_handler *handler,
                                 dnet_scp **out)
{
    const dicomnet_module *m = mod();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s", load_error);
    return m->scp_new(ctx, cfg, handler, out);
}

faceless_status dicomnet_scp_run(faceless_ctx *ctx, dnet_scp *scp)
{
    const dicomnet_module *m = mod();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s", load_error);
    return m->scp_run(ctx, scp);
}

void dicomnet_scp_stop(dnet_scp *scp)
{
    const dicomnet_module *m = mod();
    if (m && scp)
        m->scp_stop(scp);
}

int dicomnet_scp_active(dnet_scp *scp)
{
    const dicomnet_module *m = mod();
    return m && scp ? m->scp_active(scp) : 0;
}

void dicomnet_scp_free(dnet_scp *scp)
{
    const dicomnet_module *m = mod();
    if (m && scp)
        m->scp_free(scp);
}

dnet_send_outcome dicomnet_send(faceless_ctx *ctx, const char *calling_aet, const dnet_peer *peer, uint32_t max_pdu,
                                int timeout_s, const char *const *files, size_t n, const dnet_send_ops *ops,
                                dnet_send_result *res)
{
    const dicomnet_module *m = mod();
    if (!m) {
        ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s", load_error);
        return DNET_DOWN;
    }
    return m->send(ctx, calling_aet, peer, max_pdu, timeout_s, files, n, ops, res);
}

faceless_status dicomnet_file_uid(faceless_ctx *ctx, const char *path, char uid[65])
{
    const dicomnet_module *m = mod();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s", load_error);
    return m->file_uid(ctx, path, uid);
}
