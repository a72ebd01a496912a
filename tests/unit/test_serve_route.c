/* serve's routing rules and delivery journal (src/serve/serve_route.c,
 * serve_journal.c): rule parsing and its one-line errors, glob matching
 * (case, '|' alternatives, backslash-joined ImageType, first match wins,
 * no match), per-rule de-face options; the journal's set survives a reopen
 * and a line cut by a crash is dropped, not read as a UID. */
#include "deface/deface.h"
#include "serve/serve_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                            \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

static dnet_instance inst(const char *modality, const char *desc, const char *image_type)
{
    dnet_instance in;
    memset(&in, 0, sizeof in);
    snprintf(in.modality, sizeof in.modality, "%s", modality);
    snprintf(in.series_desc, sizeof in.series_desc, "%s", desc);
    snprintf(in.image_type, sizeof in.image_type, "%s", image_type);
    return in;
}

static void test_routes(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    serve_config *c = serve_config_new();
    CHECK(serve_config_set(ctx, c, "spool", "/tmp/x", "t", 0) == FACELESS_OK);
    CHECK(serve_config_set(ctx, c, "forward", "D@h:104", "t", 0) == FACELESS_OK);
    CHECK(serve_config_set(ctx, c, "route", "quarantine ImageType=*LOCALIZER*", "t:1", 0) == FACELESS_OK);
    CHECK(serve_config_set(ctx, c, "route", "pass Modality=MR SeriesDescription=*phantom?qa*", "t:2", 0) == 0);
    CHECK(serve_config_set(ctx, c, "route", "deface Modality=mr|CT --mode=noise --force", "t:3", 0) == 0);
    CHECK(serve_config_finish(ctx, c) == FACELESS_OK);
    CHECK(c->n_rules == 3);

    dnet_instance a = inst("MR", "t1 mprage", "ORIGINAL\\PRIMARY\\M\\ND");
    const serve_rule *r = serve_route(c, &a);
    CHECK(r && r->action == SERVE_DEFACE);
    CHECK(r && r->options->mode == MASK_MODE_NOISE && r->options->force == 1);
    dnet_instance b = inst("MR", "localizer", "ORIGINAL\\PRIMARY\\LOCALIZER");
    r = serve_route(c, &b);
    CHECK(r && r->action == SERVE_QUARANTINE); /* the first match wins */
    dnet_instance d = inst("MR", "Phantom QA weekly", "ORIGINAL");
    r = serve_route(c, &d);
    CHECK(r && r->action == SERVE_PASS); /* case ignored, '?' a space */
    dnet_instance e = inst("CT", "head", "ORIGINAL");
    r = serve_route(c, &e);
    CHECK(r && r->action == SERVE_DEFACE);
    dnet_instance f = inst("OT", "screen", "DERIVED");
    CHECK(serve_route(c, &f) == NULL);         /* nothing routes it: quarantined */
    CHECK(c->deface->mode != MASK_MODE_NOISE); /* a rule's option stays its own */
    serve_config_free(c);

    /* Without route lines: MR and CT de-faced. */
    c = serve_config_new();
    serve_config_set(ctx, c, "spool", "/tmp/x", "t", 0);
    serve_config_set(ctx, c, "forward", "D@h:104", "t", 0);
    CHECK(serve_config_finish(ctx, c) == FACELESS_OK);
    CHECK(serve_route(c, &a) && serve_route(c, &a)->action == SERVE_DEFACE);
    CHECK(serve_route(c, &f) == NULL);
    serve_config_free(c);

    /* One-line errors naming where. */
    const char *bad[] = {"publish Modality=MR", "deface Colour=red", "deface Modality=", "deface --mode=sideways",
                         "deface --brain-margin"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = serve_config_new();
        serve_config_set(ctx, c, "spool", "/tmp/x", "t", 0);
        serve_config_set(ctx, c, "forward", "D@h:104", "t", 0);
        serve_config_set(ctx, c, "route", bad[i], "f.conf:7", 0);
        CHECK(serve_config_finish(ctx, c) == FACELESS_ERR_USAGE);
        CHECK(!strncmp(faceless_ctx_error(ctx), "f.conf:7: route: ", 17));
        CHECK(!strchr(faceless_ctx_error(ctx), '\n'));
        serve_config_free(c);
    }
    c = serve_config_new();
    CHECK(serve_config_set(ctx, c, "forward", "nohost:104", "t", 0) == FACELESS_ERR_USAGE);
    CHECK(serve_config_set(ctx, c, "forward", "A@h:0", "t", 0) == FACELESS_ERR_USAGE);
    CHECK(serve_config_set(ctx, c, "aet", "THIS_TITLE_IS_TOO_LONG", "t", 0) == FACELESS_ERR_USAGE);
    CHECK(serve_config_set(ctx, c, "complete-after", "0", "t", 0) == FACELESS_ERR_USAGE);
    CHECK(serve_config_set(ctx, c, "nonsense", "1", "t", 0) == FACELESS_ERR_USAGE);
    serve_config_free(c);
    faceless_ctx_free(ctx);
}

static void test_journal(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    char path[] = "/tmp/faceless-journal-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    /* Two whole lines and one cut by a crash. */
    const char text[] = "2.25.1\n2.25.22\n2.25.33";
    CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    serve_journal *j = NULL;
    CHECK(serve_journal_open(ctx, path, &j) == FACELESS_OK);
    CHECK(serve_journal_has(j, "2.25.1") && serve_journal_has(j, "2.25.22"));
    CHECK(!serve_journal_has(j, "2.25.33") && !serve_journal_has(j, "2.25.3"));
    CHECK(serve_journal_count(j) == 2);
    for (int i = 0; i < 700; i++) { /* past the first resize (1024 slots, half full) */
        char uid[40];
        snprintf(uid, sizeof uid, "2.25.9%d", i);
        CHECK(serve_journal_add(j, uid) == 0);
    }
    serve_journal_close(j);
    CHECK(serve_journal_open(ctx, path, &j) == FACELESS_OK);
    CHECK(serve_journal_count(j) == 702);
    CHECK(serve_journal_has(j, "2.25.9699") && !serve_journal_has(j, "2.25.33"));
    serve_journal_close(j);
    unlink(path);
    faceless_ctx_free(ctx);
}

int main(void)
{
    test_routes();
    test_journal();
    if (failures)
        fprintf(stderr, "test_serve_route: %d failures\n", failures);
    return failures != 0;
}
