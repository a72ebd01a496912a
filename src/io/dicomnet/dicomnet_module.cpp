// dicomnet_module.cpp: the table faceless_dicomnet.so hands to faceless
// (dicomnet_module.h), its one exported symbol, and dicomnet_fail, the
// module's ctx_fail through the host table.
extern "C" {
#include "io/dicomnet/dicomnet_module.h"
}

#include <dcmtk/config/osconfig.h>
#include <dcmtk/oflog/oflog.h>

#include <cstdarg>
#include <mutex>

namespace
{

// Set once by init() (the loader's pthread_once) before any other call.
const dicomnet_host *host = nullptr;

// DCMTK's own log (every association, every PDU problem) would go to
// stderr, which the node's log owns: the node logs one line per
// association itself.
void init(const dicomnet_host *h)
{
    host = h;
    OFLog::getLogger("dcmtk").setLogLevel(OFLogger::FATAL_LOG_LEVEL);
}

const dicomnet_module table = {
    DICOMNET_MODULE_ABI,
    (uint32_t)sizeof(dnet_instance),
    (uint32_t)sizeof(dnet_assoc_summary),
    (uint32_t)sizeof(dnet_scp_config),
    (uint32_t)sizeof(dnet_peer),
    (uint32_t)sizeof(dnet_send_result),
    init,
    dicomnet_scp_new_impl,
    dicomnet_scp_run_impl,
    dicomnet_scp_stop_impl,
    dicomnet_scp_active_impl,
    dicomnet_scp_free_impl,
    dicomnet_send_impl,
    dicomnet_file_uid_impl,
};

} // namespace

extern "C" faceless_status dicomnet_fail(faceless_ctx *ctx, faceless_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    status = host->ctx_vfail(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

extern "C" __attribute__((visibility("default"))) const dicomnet_module *faceless_dicomnet_module(void)
{
    return &table;
}
