/* module_load: see module_load.h. */
#define _GNU_SOURCE /* dladdr */
#include "core/module_load.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* dlerror()'s text on one line, without a leading "PATH: " (we name the path). */
static void set_dl_error(char *err, size_t cap, const char *path, const char *what)
{
    const char *e = dlerror();
    if (!e)
        e = "unknown error";
    size_t n = strlen(path);
    if (!strncmp(e, path, n) && !strncmp(e + n, ": ", 2))
        e += n + 2;
    snprintf(err, cap, "%s %s: %s", what, path, e);
    for (char *c = err; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
}

/* dlopens path and checks the handshake: the module's table, or NULL with
 * the reason in err. */
static const void *try_module(const module_spec *spec, const char *path, char *err, size_t cap)
{
    char what[128];
    /* RTLD_NOW: a missing symbol of the module's libraries fails here, not in
     * the middle of a job. RTLD_LOCAL: their symbols stay out of the global
     * namespace. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(what, sizeof what, "cannot load the %s module", spec->what);
        set_dl_error(err, cap, path, what);
        return NULL;
    }
    void *sym = dlsym(h, spec->entry);
    if (!sym) {
        snprintf(what, sizeof what, "not a faceless %s module:", spec->what);
        set_dl_error(err, cap, path, what);
        dlclose(h);
        return NULL;
    }
    module_entry entry;
    /* dlsym's object pointer holds the function's address (POSIX XSH dlsym);
     * memcpy converts it without a cast ISO C leaves undefined. */
    memcpy(&entry, &sym, sizeof entry);
    uint32_t abi = 0;
    const void *table = spec->handshake(entry, &abi);
    if (!table) {
        snprintf(err, cap,
                 "the %s module %s is from another build of faceless (module ABI %u, this faceless %u; rebuild "
                 "and reinstall both)",
                 spec->what, path, (unsigned)abi, (unsigned)spec->abi);
        dlclose(h);
        return NULL;
    }
    return table;
}

/* dir + "/" + rel + file into out; 0 when it does not fit. */
static int module_path(char *out, size_t cap, const char *dir, const char *rel, const char *file)
{
    int n = snprintf(out, cap, "%s/%s%s", dir, rel, file);
    return n > 0 && (size_t)n < cap;
}

const void *module_load(const module_spec *spec, char *err, size_t cap)
{
    const char *env = getenv(spec->env);
    if (env && *env)
        return try_module(spec, env, err, cap);
    char cand[4][PATH_MAX + 64];
    int ncand = 0;
    char exe[PATH_MAX], exe_path[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        memcpy(exe_path, exe, (size_t)n + 1);
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            ncand += module_path(cand[ncand], sizeof cand[0], exe, "", spec->file);
            ncand += module_path(cand[ncand], sizeof cand[0], exe, "../lib/faceless/", spec->file);
        }
    }
    /* Running from libfaceless.so (not linked into the executable): its
     * modules are installed in faceless/ beside it. */
    Dl_info info;
    if (dladdr((void *)module_load, &info) && info.dli_fname && strstr(info.dli_fname, ".so") &&
        strcmp(info.dli_fname, exe_path)) {
        char lib[PATH_MAX];
        snprintf(lib, sizeof lib, "%s", info.dli_fname);
        char *slash = strrchr(lib, '/');
        if (slash) {
            *slash = '\0';
            ncand += module_path(cand[ncand], sizeof cand[0], lib, "faceless/", spec->file);
        }
    }
    if (spec->built)
        ncand += snprintf(cand[ncand], sizeof cand[0], "%s", spec->built) < (int)sizeof cand[0];
    /* A file that exists but does not load is reported; one that does not
     * exist is not. The first such failure is the one reported. */
    int tried = 0;
    char first_error[MODULE_ERROR_MAX] = "";
    for (int i = 0; i < ncand; i++) {
        if (access(cand[i], F_OK) != 0)
            continue;
        const void *table = try_module(spec, cand[i], err, cap);
        if (table)
            return table;
        if (!tried++)
            snprintf(first_error, sizeof first_error, "%s", err);
    }
    if (tried) {
        snprintf(err, cap, "%s", first_error);
        return NULL;
    }
    int len = snprintf(err, cap, "the %s module %s is missing (looked in", spec->what, spec->file);
    for (int i = 0; i < ncand && len > 0 && (size_t)len < cap; i++) {
        char *slash = strrchr(cand[i], '/');
        len += snprintf(err + len, cap - (size_t)len, "%s %.*s", i ? "," : "", slash ? (int)(slash - cand[i]) : 0,
                        cand[i]);
    }
    if (len > 0 && (size_t)len < cap)
        snprintf(err + len, cap - (size_t)len, "; %s names another)", spec->env);
    return NULL;
}
