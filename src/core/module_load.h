/* module_load: finding, loading and checking one of faceless's run-time
 * modules (faceless_vtk.so, render/render_vtk_load.c; faceless_dicom.so,
 * src/io/dicom/dicom_load.c), shared so that where a module is looked for,
 * and what a failure says, is the same for every module.
 *
 * Why modules: a library faceless links is loaded, relocated and paged in by
 * every command, whether it uses it or not (VTK: about 40 libraries, peak RSS
 * of faceless --version 9 -> 28 MB; DCMTK with libstdc++, ICU and libxml2:
 * 5.35 MB). A module is dlopen'ed on
 * the first call that needs it, so a command that never does pays nothing,
 * and faceless starts where the module's libraries are missing.
 *
 * Where a module is looked for, in order (the first that loads wins):
 *  1. $ENV (spec->env), a file path; when set, nothing else is tried;
 *  2. the directory of the running executable (/proc/self/exe): a build tree;
 *  3. that directory's ../lib/faceless/: an installed faceless;
 *  4. faceless/ beside libfaceless.so, when this code runs from it (dladdr):
 *     a program or Python linking an installed library, wherever it is;
 *  5. spec->built, the path CMake built it at: the test programs in
 *     build/tests/, which link faceless_lib but live elsewhere.
 * A candidate that does not exist is passed over silently; one that exists
 * but does not load (its libraries missing, another build's module) is the
 * reason given when none loads.
 *
 * The handshake: a module exports one symbol, spec->entry, a function that
 * returns the module's table (a struct of the module's own header, starting
 * with its ABI number and the sizes of the structs it was built with).
 * spec->handshake calls it and compares; the table is used only if it fits.
 *
 * Thread safety: module_load is not thread-safe by itself; each module's
 * loader calls it once, under its own pthread_once. A loaded module is never
 * unloaded (VTK and DCMTK register atexit handlers and static objects that
 * must stay mapped). */
#ifndef FACELESS_CORE_MODULE_LOAD_H
#define FACELESS_CORE_MODULE_LOAD_H

#include <stddef.h>
#include <stdint.h>

/* Length of the one-line reason a load failed (a path or two and dlerror). */
#define MODULE_ERROR_MAX 1024

/* A module's entry point as dlsym found it; the handshake converts it back
 * to the module's own entry type before calling it. */
typedef void (*module_entry)(void);

typedef struct module_spec {
    const char *what;  /* "VTK": messages say "the VTK module ..." */
    const char *file;  /* the file name, e.g. "faceless_vtk.so" */
    const char *env;   /* the variable naming the file, e.g. "FACELESS_VTK_MODULE" */
    const char *built; /* where CMake built it, or NULL */
    const char *entry; /* the exported entry symbol */
    uint32_t abi;      /* the ABI number this faceless expects (for the message) */
    /* Calls the entry point (converted to the module's entry type) and
     * returns its table if abi and struct sizes match this faceless, else
     * NULL; *abi_seen is the table's abi (0 when the entry returned NULL).
     * When it fits, it also hands the module its host table (the module's
     * init), the last step of a load. */
    const void *(*handshake)(module_entry entry, uint32_t *abi_seen);
} module_spec;

/* Loads the module spec describes (the search above) and returns its table,
 * or NULL with the reason, one line, in err (cap bytes, MODULE_ERROR_MAX is
 * enough). The module stays loaded for the life of the process. */
const void *module_load(const module_spec *spec, char *err, size_t cap);

#endif
