/* The batch runner (see batch_run.h). */
#include "cli/batch_run.h"
#include "cli/batch_summary.h"
#include "cli/cli_options.h"
#include "deface/deface_files.h"
#include "core/json.h"
#include "faceless.h"
#include "io/io.h"
#include "io/io_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t batch_cancelled;

static void on_cancel(int sig)
{
    (void)sig;
    batch_cancelled = 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *batch_qc_path(const batch_options *o, const char *rel, const char *kind)
{
    size_t n = strlen(o->qc_dir) + strlen(rel) + strlen(kind) + 32;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s.%s", o->qc_dir, rel, kind);
    return s;
}

static char *brain_mask_path(const batch_options *o, const char *rel);
static faceless_deface_options *job_options(const batch_options *o, const batch_job *j);

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* One report passes when it says the image was written with the same
 * parameters from inputs with the same checksums (and, given series_uid,
 * that it is that DICOM series' report), and the outputs still have the
 * checksums the report gives. */
static int report_done(const batch_options *o, const batch_job *j, const char *report, const char *series_uid)
{
    json_value *r = report ? batch_read_json(report) : NULL;
    if (!r)
        return 0;
    int ok = 1;
    const char *verdict = json_path_string(r, "verdict", "");
    ok = ok && (!strcmp(verdict, "defaced") || !strcmp(verdict, "defaced_untrusted_forced"));
    /* one comparison for every option that changes the output (this
     * image's --brain-mask included), the template's checksum and the
     * version (issue 17) */
    faceless_deface_options *d = job_options(o, j);
    char want[65];
    if (d)
        deface_options_fingerprint(d, o->template_sha256, want);
    ok = ok && d && !strcmp(json_path_string(r, "parameters.fingerprint", ""), want);
    faceless_deface_options_free(d);
    if (series_uid)
        ok = ok && !strcmp(json_path_string(r, "series_uid", ""), series_uid);
    if (o->mesh) {
        /* an image done without the mesh now asked for is redone */
        const char *mesh = json_path_string(r, "mesh_out", "");
        ok = ok && io_has_suffix(mesh, o->mesh) && file_exists(mesh);
    }
    const json_value *images = json_path(r, "images");
    ok = ok && images && images->type == JSON_ARRAY && images->count == 1 + j->n_apply;
    if (ok && o->archive) {
        /* sealed for the keys asked for now, in the same order */
        const json_value *fprs = json_path(r, "archive.recipients");
        ok = fprs && fprs->type == JSON_ARRAY && fprs->count == (size_t)o->deface->n_recipients;
        for (size_t k = 0; ok && k < fprs->count; k++)
            ok = fprs->items[k]->type == JSON_STRING && !strcmp(fprs->items[k]->string, o->archive_fpr[k]);
    }
    for (size_t i = 0; ok && o->archive && i < 1 + j->n_apply; i++) {
        /* an image done without its face archive now asked for is redone */
        char key[64];
        snprintf(key, sizeof key, "images.%zu.archive", i);
        const char *arch = json_path_string(r, key, "");
        ok = *arch && file_exists(arch);
    }
    for (size_t i = 0; ok && i < 1 + j->n_apply; i++) {
        const char *rel = i == 0 ? j->rel : j->apply_rel[i - 1];
        char key[64];
        snprintf(key, sizeof key, "images.%zu.input_sha256", i);
        const char *in_sum = json_path_string(r, key, "");
        snprintf(key, sizeof key, "images.%zu.output_sha256", i);
        const char *out_sum = json_path_string(r, key, "");
        char *in = io_path_join(o->in_root, rel), *out = io_path_join(o->out_root, rel);
        char hex[65];
        if (j->is_dicom_dir) {
            ok = out && file_exists(out); /* a folder: its files are checked by the DICOM writer's rename */
        } else {
            ok = in && out && deface_file_sha256(in, hex) == 0 && !strcmp(hex, in_sum) &&
                 deface_file_sha256(out, hex) == 0 && !strcmp(hex, out_sum);
        }
        free(in);
        free(out);
    }
    json_free(r);
    return ok;
}

/* An earlier run's output counts when its report passes (report_done). A
 * DICOM folder of several series has no report of its own: `deface` writes
 * one per series (REPORT_series-N.json, deface_series_name); the folder is
 * done when it still holds exactly those series and each one's report
 * passes. A run cut off part-way has left some of them missing or from an
 * earlier run (remove_stale_reports), so the folder is redone. */
static int deface_already_done(const batch_options *o, const batch_job *j)
{
    char *report = batch_qc_path(o, j->rel, "report.json");
    int ok = report && report_done(o, j, report, NULL);
    if (!ok && report && j->is_dicom_dir && j->n_apply == 0) {
        char *in = io_path_join(o->in_root, j->rel);
        faceless_ctx *ctx = faceless_ctx_new(); /* listing problems: deface will report them */
        dicom_series_summary *list = NULL;
        size_t n = 0;
        if (in && ctx && dicom_list_series(ctx, in, &list, &n) == FACELESS_OK && n > 1) {
            char(*tags)[32] = calloc(n, sizeof *tags);
            ok = tags != NULL;
            if (tags)
                deface_series_tags(list, n, tags);
            for (size_t i = 0; ok && i < n; i++) {
                char *one = deface_series_name(report, tags[i]);
                ok = one && report_done(o, j, one, list[i].uid);
                free(one);
            }
            free(tags);
        }
        free(list);
        faceless_ctx_free(ctx);
        free(in);
    }
    free(report);
    return ok;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **batch_series_reports(const batch_options *o, const char *rel, size_t *n_out)
{
    *n_out = 0;
    char *report = batch_qc_path(o, rel, "report.json");
    char *dir = report ? deface_dirname(report) : NULL;
    char **list = NULL;
    size_t n = 0, cap = 0;
    DIR *d = dir ? opendir(dir) : NULL;
    if (d) {
        const char *base = strrchr(report, '/') ? strrchr(report, '/') + 1 : report;
        size_t stem = strlen(base) - strlen(".json");
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strlen(e->d_name) <= stem + strlen("_series-.json") || strncmp(e->d_name, base, stem) ||
                strncmp(e->d_name + stem, "_series-", 8) || !io_has_suffix(e->d_name, ".json"))
                continue;
            if (n == cap) {
                char **grown = realloc(list, (cap = cap ? 2 * cap : 4) * sizeof *list);
                if (!grown)
                    break;
                list = grown;
            }
            if ((list[n] = io_path_join(dir, e->d_name)))
                n++;
        }
        closedir(d);
    }
    free(dir);
    free(report);
    if (n)
        qsort(list, n, sizeof *list, cmp_str);
    *n_out = n;
    return list;
}

/* Before an image is redone: removes the reports an earlier run left
 * (REPORT.json and every REPORT_series-*.json), so that a run cut off
 * part-way never leaves an earlier run's report to be taken for this run's
 * (a folder's series are written one after the other). */
static void remove_stale_reports(const batch_options *o, const batch_job *j)
{
    char *report = batch_qc_path(o, j->rel, "report.json");
    if (report)
        unlink(report);
    free(report);
    size_t n = 0;
    char **old = batch_series_reports(o, j->rel, &n);
    for (size_t i = 0; i < n; i++) {
        unlink(old[i]);
        free(old[i]);
    }
    free(old);
}

static int copy_already_done(const batch_options *o, const batch_job *j)
{
    char *in = io_path_join(o->in_root, j->rel), *out = io_path_join(o->out_root, j->rel);
    struct stat si, so;
    int done = in && out && stat(in, &si) == 0 && stat(out, &so) == 0 && si.st_size == so.st_size &&
               so.st_mtime >= si.st_mtime;
    free(in);
    free(out);
    return done;
}

static int run_copy(const batch_options *o, const batch_job *j, char *err, size_t err_size)
{
    char *in = io_path_join(o->in_root, j->rel), *out = io_path_join(o->out_root, j->rel);
    int rc = -1;
    if (in && out && io_make_parent_dirs(out) == 0) {
        faceless_ctx *ctx = faceless_ctx_new();
        if (ctx) {
            faceless_status st = faceless_file_copy(ctx, in, out, 1);
            if (st != FACELESS_OK)
                snprintf(err, err_size, "%s", faceless_ctx_error(ctx));
            rc = st == FACELESS_OK ? 0 : (int)st;
            faceless_ctx_free(ctx);
        }
    } else {
        snprintf(err, err_size, "%s: cannot create its folder", out ? out : j->rel);
        rc = FACELESS_ERR_OUTPUT;
    }
    free(in);
    free(out);
    return rc;
}

/* The brain mask of image rel: pattern with {stem} and {dir} replaced,
 * relative to the image's folder unless absolute. Caller frees. */
static char *brain_mask_path(const batch_options *o, const char *rel)
{
    char *in = io_path_join(o->in_root, rel);
    char *dir = in ? deface_dirname(in) : NULL;
    const char *base = in ? (strrchr(in, '/') ? strrchr(in, '/') + 1 : in) : "";
    size_t stem_len = strlen(base);
    if (io_has_suffix(base, ".nii.gz"))
        stem_len -= 7;
    else if (io_has_suffix(base, ".nii"))
        stem_len -= 4;
    size_t cap = strlen(o->brain_mask) * 2 + 4 * (stem_len + (dir ? strlen(dir) : 0)) + 16;
    char *out = in && dir ? malloc(cap) : NULL;
    if (out) {
        size_t n = 0;
        if (o->brain_mask[0] != '/')
            n += (size_t)snprintf(out, cap, "%s/", dir);
        for (const char *p = o->brain_mask; *p && n + 1 < cap; p++) {
            if (!strncmp(p, "{stem}", 6) && n + stem_len + 1 < cap) {
                memcpy(out + n, base, stem_len);
                n += stem_len;
                p += 5;
            } else if (!strncmp(p, "{dir}", 5) && n + strlen(dir) + 1 < cap) {
                memcpy(out + n, dir, strlen(dir));
                n += strlen(dir);
                p += 4;
            } else {
                out[n++] = *p;
            }
        }
        out[n] = '\0';
    }
    free(in);
    free(dir);
    return out;
}

/* The de-face options of one job: the batch's, with the job's output
 * names and brain mask; NULL when out of memory. */
static faceless_deface_options *job_options(const batch_options *o, const batch_job *j)
{
    faceless_deface_options *d = deface_options_copy(o->deface);
    faceless_ctx *ctx = faceless_ctx_new(); /* the setter's messages: only memory can fail here */
    if (!d || !ctx) {
        faceless_deface_options_free(d);
        faceless_ctx_free(ctx);
        return NULL;
    }
    int ok = 1;
    char *report = batch_qc_path(o, j->rel, "report.json");
    ok = report && faceless_deface_options_set(ctx, d, "report-out", report) == FACELESS_OK;
    free(report);
    if (ok && o->render) {
        char *png = batch_qc_path(o, j->rel, "render.png");
        ok = png && faceless_deface_options_set(ctx, d, "render-out", png) == FACELESS_OK;
        free(png);
    }
    if (ok && o->archive) {
        char *arch = batch_qc_path(o, j->rel, "archive");
        ok = arch && faceless_deface_options_set(ctx, d, "archive-out", arch) == FACELESS_OK;
        free(arch);
    }
    if (ok && o->mesh) {
        char kind[32];
        snprintf(kind, sizeof kind, "mesh.%s", o->mesh);
        char *mesh = batch_qc_path(o, j->rel, kind);
        ok = mesh && faceless_deface_options_set(ctx, d, "mesh-out", mesh) == FACELESS_OK;
        free(mesh);
    }
    if (ok && o->brain_mask) {
        char *mask = brain_mask_path(o, j->rel);
        ok = mask && faceless_deface_options_set(ctx, d, "brain-mask", mask) == FACELESS_OK;
        free(mask);
    }
    /* N images at once share the memory limit (issue 21) */
    d->memory_share = o->jobs;
    /* Outputs of an interrupted run are replaced: the resume check has
     * already decided this image must be redone. */
    d->overwrite = 1;
    for (size_t k = 0; ok && k < j->n_apply; k++) {
        char *in = io_path_join(o->in_root, j->apply_rel[k]);
        ok = in && faceless_deface_options_set(ctx, d, "apply-to", in) == FACELESS_OK;
        free(in);
    }
    /* other anatomicals keep their own names in the mirrored tree */
    if (ok && j->n_apply)
        ok = faceless_deface_options_set(ctx, d, "apply-suffix", "") == FACELESS_OK;
    faceless_ctx_free(ctx);
    if (!ok) {
        faceless_deface_options_free(d);
        return NULL;
    }
    return d;
}

/* Forks a child that de-faces job j exactly as `faceless deface` would (the
 * same library call; a DICOM folder of several series in turn), with its
 * stderr in the job's log, and exits with deface's exit code. No exec: the
 * child already holds the code and the parsed options. */
static pid_t spawn(const batch_options *o, const batch_job *j, int threads, const char *log_path)
{
    char *in = io_path_join(o->in_root, j->rel), *out = io_path_join(o->out_root, j->rel);
    faceless_deface_options *d = in && out ? job_options(o, j) : NULL;
    if (!d) {
        free(in);
        free(out);
        errno = ENOMEM;
        return -1;
    }
    /* nothing buffered may be written twice, by the parent and the child */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0) {
        faceless_deface_options_free(d);
        free(in);
        free(out);
        return pid;
    }
    /* child: stdout to /dev/null, stderr to the job's log */
    int devnull = open("/dev/null", O_RDWR);
    int log = log_path ? open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0666) : -1;
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
    }
    if (log >= 0)
        dup2(log, STDERR_FILENO);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    int rc = cli_deface_image(in, out, d, threads, 0);
    fflush(stderr);
    /* _exit: the parent's atexit handlers and stdio buffers are the parent's */
    _exit(rc);
}

typedef struct progress {
    int tty, quiet;
    size_t total, finished, failed, skipped;
    double t0, busy_seconds;
} progress;

static void progress_show(progress *p, const char *rel, const batch_result *r)
{
    if (p->quiet && (!r || r->outcome != BATCH_FAILED))
        return;
    double elapsed = now_seconds() - p->t0;
    size_t ran = p->finished - p->skipped;
    double eta = ran ? elapsed / (double)ran * (double)(p->total - p->finished) : NAN;
    if (p->tty && !p->quiet) {
        int width = 30, filled = p->total ? (int)(width * p->finished / p->total) : width;
        fprintf(stderr, "\r[%.*s%*s] %zu/%zu done, %zu failed", filled, "##############################",
                width - filled, "", p->finished, p->total, p->failed);
        if (isfinite(eta))
            fprintf(stderr, ", ETA %dm%02ds  ", (int)eta / 60, (int)eta % 60);
        if (p->finished == p->total)
            fputc('\n', stderr);
        fflush(stderr);
        return;
    }
    if (r) {
        const char *what = r->outcome == BATCH_DONE      ? "done"
                           : r->outcome == BATCH_SKIPPED ? "skipped (already done)"
                                                         : "FAILED";
        fprintf(stderr, "faceless batch: %zu/%zu %s: %s", p->finished, p->total, rel, what);
        if (r->outcome == BATCH_FAILED)
            fprintf(stderr, " (exit %d)", r->exit_code);
        else if (r->outcome == BATCH_DONE)
            fprintf(stderr, " (%.1f s)", r->seconds);
        fputc('\n', stderr);
    }
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int batch_run(const batch_options *o, const batch_plan *plan, batch_result *res)
{
    struct sigaction sa, old_int, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_cancel;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    batch_cancelled = 0;
    /* a run killed with SIGKILL (or a power cut) left its temporaries: they
     * are not part of the dataset (the plan already ignores them) */
    io_remove_stale_temps(o->out_root, 1);
    io_remove_stale_temps(o->qc_dir, 1);

    progress p = {isatty(STDERR_FILENO), o->quiet, plan->n_jobs, 0, 0, 0, now_seconds(), 0};
    int jobs = o->jobs > 0 ? o->jobs : 1;
    int threads = o->threads_per_job > 0 ? o->threads_per_job : (cores() / jobs > 0 ? cores() / jobs : 1);
    for (size_t i = 0; i < plan->n_jobs; i++)
        res[i] = (batch_result){BATCH_PENDING, 0, 0};

    /* Copies first, in this process: they are I/O, and the de-faced images
     * then land in a tree whose other files are already there. */
    for (size_t i = 0; i < plan->n_jobs && !batch_cancelled; i++) {
        const batch_job *j = &plan->jobs[i];
        if (j->kind != BATCH_COPY)
            continue;
        double t0 = now_seconds();
        char err[1024] = "";
        if (!o->force && copy_already_done(o, j)) {
            res[i].outcome = BATCH_SKIPPED;
            p.skipped++;
        } else {
            int rc = run_copy(o, j, err, sizeof err);
            res[i].outcome = rc ? BATCH_FAILED : BATCH_DONE;
            res[i].exit_code = rc;
            if (rc) {
                p.failed++;
                fprintf(stderr, "faceless batch: %s\n", err);
            }
        }
        res[i].seconds = now_seconds() - t0;
        p.finished++;
        if (!p.tty || res[i].outcome == BATCH_FAILED)
            if (!p.quiet && !p.tty)
                progress_show(&p, j->rel, &res[i]);
    }

    pid_t *pids = calloc((size_t)jobs, sizeof *pids);
    size_t *slot_job = calloc((size_t)jobs, sizeof *slot_job);
    double *slot_t0 = calloc((size_t)jobs, sizeof *slot_t0);
    if (!pids || !slot_job || !slot_t0) {
        free(pids);
        free(slot_job);
        free(slot_t0);
        return -1;
    }
    size_t next = 0;
    int running = 0;
    for (;;) {
        /* launch */
        while (!batch_cancelled && running < jobs && next < plan->n_jobs) {
            const batch_job *j = &plan->jobs[next];
            size_t ji = next++;
            if (j->kind != BATCH_DEFACE)
                continue;
            if (!o->force && deface_already_done(o, j)) {
                res[ji].outcome = BATCH_SKIPPED;
                p.skipped++;
                p.finished++;
                progress_show(&p, j->rel, &res[ji]);
                continue;
            }
            char *out = io_path_join(o->out_root, j->rel), *report = batch_qc_path(o, j->rel, "report.json");
            char *log = batch_qc_path(o, j->rel, "log");
            pid_t pid = -1;
            remove_stale_reports(o, j);
            if (out && report && log && io_make_parent_dirs(out) == 0 && io_make_parent_dirs(report) == 0) {
                if (j->is_dicom_dir)
                    mkdir(out, 0777);
                pid = spawn(o, j, threads, log);
            }
            free(out);
            free(report);
            free(log);
            if (pid < 0) {
                res[ji] = (batch_result){BATCH_FAILED, FACELESS_ERR_OUTPUT, 0};
                p.failed++;
                p.finished++;
                progress_show(&p, j->rel, &res[ji]);
                continue;
            }
            for (int s = 0; s < jobs; s++)
                if (!pids[s]) {
                    pids[s] = pid;
                    slot_job[s] = ji;
                    slot_t0[s] = now_seconds();
                    break;
                }
            running++;
        }
        if (running == 0)
            break;
        int status = 0;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) {
                if (batch_cancelled)
                    for (int s = 0; s < jobs; s++)
                        if (pids[s])
                            kill(pids[s], SIGTERM);
                continue;
            }
            break;
        }
        for (int s = 0; s < jobs; s++) {
            if (pids[s] != pid)
                continue;
            size_t ji = slot_job[s];
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
            res[ji].exit_code = code;
            res[ji].seconds = now_seconds() - slot_t0[s];
            res[ji].outcome = batch_cancelled && code != 0 ? BATCH_CANCELLED : code == 0 ? BATCH_DONE : BATCH_FAILED;
            if (res[ji].outcome == BATCH_FAILED)
                p.failed++;
            p.finished++;
            progress_show(&p, plan->jobs[ji].rel, &res[ji]);
            pids[s] = 0;
            running--;
        }
    }
    free(pids);
    free(slot_job);
    free(slot_t0);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return batch_cancelled ? 1 : 0;
}
