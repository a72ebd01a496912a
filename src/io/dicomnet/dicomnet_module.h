/* dicomnet_module: private to src/io/dicomnet. The boundary between faceless
 * and faceless_dicomnet.so (dicomnet_scp.cpp, dicomnet_scu.cpp), which
 * dicomnet_load.c dlopens on the first dicomnet_* call. The same handshake
 * as faceless_dicom.so (io/dicom/dicom_module.h, core/module_load.h): one
 * exported entry returning this table, checked by ABI number and struct
 * sizes; the module takes the one faceless function it needs (ctx_vfail)
 * from the host table, so it links DCMTK only.
 *
 * Bump DICOMNET_MODULE_ABI whenever the table or a struct of dicomnet.h
 * changes. */
#ifndef FACELESS_IO_DICOMNET_MODULE_H
#define FACELESS_IO_DICOMNET_MODULE_H

#include "io/dicomnet/dicomnet.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DICOMNET_MODULE_ABI 1
#define DICOMNET_MODULE_FILE "faceless_dicomnet.so"
#define DICOMNET_MODULE_ENTRY "faceless_dicomnet_module"

typedef struct dicomnet_host {
    faceless_status (*ctx_vfail)(faceless_ctx *ctx, faceless_status status, const char *fmt, va_list ap);
} dicomnet_host;

typedef struct dicomnet_module {
    uint32_t abi;
    uint32_t size_instance, size_summary, size_config, size_peer, size_result;
    void (*init)(const dicomnet_host *host);
    faceless_status (*scp_new)(faceless_ctx *ctx, const dnet_scp_config *cfg, const dnet_scp_handler *handler,
                               dnet_scp **out);
    faceless_status (*scp_run)(faceless_ctx *ctx, dnet_scp *scp);
    void (*scp_stop)(dnet_scp *scp);
    int (*scp_active)(dnet_scp *scp);
    void (*scp_free)(dnet_scp *scp);
    dnet_send_outcome (*send)(faceless_ctx *ctx, const char *calling_aet, const dnet_peer *peer, uint32_t max_pdu,
                              int timeout_s, const char *const *files, size_t n, const dnet_send_ops *ops,
                              dnet_send_result *res);
    faceless_status (*file_uid)(faceless_ctx *ctx, const char *path, char uid[65]);
} dicomnet_module;

typedef const dicomnet_module *(*dicomnet_entry_fn)(void);

/* Inside the module: the table's functions (dicomnet_scp.cpp,
 * dicomnet_scu.cpp), and ctx_fail through the host table
 * (dicomnet_module.cpp). */
faceless_status dicomnet_scp_new_impl(faceless_ctx *ctx, const dnet_scp_config *cfg, const dnet_scp_handler *handler,
                                      dnet_scp **out);
faceless_status dicomnet_scp_run_impl(faceless_ctx *ctx, dnet_scp *scp);
void dicomnet_scp_stop_impl(dnet_scp *scp);
int dicomnet_scp_active_impl(dnet_scp *scp);
void dicomnet_scp_free_impl(dnet_scp *scp);
dnet_send_outcome dicomnet_send_impl(faceless_ctx *ctx, const char *calling_aet, const dnet_peer *peer,
                                     uint32_t max_pdu, int timeout_s, const char *const *files, size_t n,
                                     const dnet_send_ops *ops, dnet_send_result *res);
faceless_status dicomnet_file_uid_impl(faceless_ctx *ctx, const char *path, char uid[65]);
faceless_status dicomnet_fail(faceless_ctx *ctx, faceless_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
