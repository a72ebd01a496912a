/* How much memory this process may use, and refusing an input whose run
 * would need more (io.h: io_memory_limit, io_memory_check).
 *
 * Physical memory alone is the wrong bound on a cluster or in a container
 * (issue 21): a Slurm job or a container sees its cgroup's limit, and a
 * shell may set `ulimit -v`; a run above either meets the OOM killer or a
 * failed allocation half-way instead of a clear refusal up front. The limit
 * is the tightest of physical memory, the memory cgroup (v2 memory.max or v1
 * memory.limit_in_bytes, of the process's cgroup and each of its parents)
 * and RLIMIT_AS less the address space already in use. */
#include "io/io.h"

#include "core/volume.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The first unsigned number in the file, or 0 when it has none ("max"). */
static uint64_t read_number(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    unsigned long long v = 0;
    int ok = fscanf(f, "%llu", &v) == 1;
    fclose(f);
    return ok ? (uint64_t)v : 0;
}

/* The tightest limit file along the cgroup path and its parents, under
 * the mount point root (v1 limits of "no limit" are a huge number, which the
 * minimum ignores). */
static uint64_t cgroup_min(const char *root, const char *cg_path, const char *file)
{
    char path[4096];
    char dir[2048];
    snprintf(dir, sizeof dir, "%s", cg_path);
    uint64_t best = 0;
    for (;;) {
        snprintf(path, sizeof path, "%s%s/%s", root, strcmp(dir, "/") ? dir : "", file);
        uint64_t v = read_number(path);
        if (v > 0 && (best == 0 || v < best))
            best = v;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
            if (!strcmp(dir, "/"))
                break;
            strcpy(dir, "/");
        } else {
            *slash = '\0';
        }
    }
    return best;
}

/* The memory cgroup limit of this process (0: none found). Assumes the usual
 * mount points: v2 at /sys/fs/cgroup, v1 memory at /sys/fs/cgroup/memory;
 * inside a cgroup namespace the path is "/" and the root files are ours. */
static uint64_t cgroup_limit(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return 0;
    char line[2048];
    uint64_t best = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *controllers = c1 + 1, *path = c2 + 1;
        uint64_t v = 0;
        if (!strcmp(line, "0") && !*controllers)
            v = cgroup_min("/sys/fs/cgroup", path, "memory.max");
        else if (strstr(controllers, "memory"))
            v = cgroup_min("/sys/fs/cgroup/memory", path, "memory.limit_in_bytes");
        if (v > 0 && (best == 0 || v < best))
            best = v;
    }
    fclose(f);
    return best;
}

/* Address space this process already uses (VmSize), which RLIMIT_AS counts. */
static uint64_t address_space_used(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long pages = 0;
    int ok = fscanf(f, "%llu", &pages) == 1;
    fclose(f);
    long page = sysconf(_SC_PAGE_SIZE);
    return ok && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

uint64_t io_memory_limit(int threads, int share, const char **what)
{
    /* Physical memory and the cgroup are shared by the processes of a job
     * (batch -j N: N at once); RLIMIT_AS is each process's own. */
    share = share > 1 ? share : 1;
    uint64_t limit = io_physical_memory() / (uint64_t)share;
    *what = share > 1 ? "its share of this machine's memory" : "this machine's memory";
    uint64_t cg = cgroup_limit() / (uint64_t)share;
    if (cg > 0 && cg < limit) {
        limit = cg;
        *what =
            share > 1 ? "its share of the memory limit of this job's cgroup" : "the memory limit of this job's cgroup";
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        /* each further thread reserves a stack of RLIMIT_STACK (libgomp and
         * glibc's default), which RLIMIT_AS counts though little is used */
        struct rlimit stack;
        uint64_t per_thread = getrlimit(RLIMIT_STACK, &stack) == 0 && stack.rlim_cur != RLIM_INFINITY
                                  ? (uint64_t)stack.rlim_cur
                                  : (uint64_t)8 << 20;
        uint64_t used = address_space_used() + (uint64_t)(threads > 1 ? threads - 1 : 0) * per_thread;
        uint64_t left = (uint64_t)rl.rlim_cur > used ? (uint64_t)rl.rlim_cur - used : 0;
        if (left < limit) {
            limit = left;
            *what = "the address space left under ulimit -v";
        }
    }
    return limit;
}

faceless_status io_memory_check(faceless_ctx *ctx, const char *path, uint64_t image_bytes, const int64_t dim[3],
                                const double voxel_mm[3])
{
    ctx_memory_plan plan = ctx_memory(ctx);
    double voxels = 1, render_voxels = 1;
    for (int a = 0; a < 3; a++) {
        int f = volume_block_factor(voxel_mm[a], VOLUME_RENDER_MM);
        voxels *= (double)dim[a];
        render_voxels *= (double)((dim[a] + f - 1) / f);
    }
    double need = (double)plan.fixed + plan.per_byte * (double)image_bytes + plan.per_voxel * voxels +
                  plan.render_per_voxel * render_voxels;
    const char *what;
    double limit = (double)io_memory_limit(ctx_omp_threads(ctx), plan.share, &what);
    if (need <= limit)
        return FACELESS_OK;
    const double mib = 1024.0 * 1024.0;
    char share[64] = "";
    if (plan.share > 1 && strstr(what, "share"))
        snprintf(share, sizeof share, " (1/%d: batch -j %d)", plan.share, plan.share);
    return ctx_fail(ctx, FACELESS_ERR_MEMORY,
                    "%s: needs about %.0f MiB (image %.0f MiB%s) but %s%s is %.0f MiB; nothing read or written", path,
                    need / mib, (double)image_bytes / mib, plan.what ? plan.what : "", what, share, limit / mib);
}
