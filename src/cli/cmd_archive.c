/* faceless keygen and faceless restore: the two commands of the face
 * archive (issue 20; src/archive/archive.h). keygen makes the key pair of
 * someone entitled to the original faces; restore puts an original back
 * from a de-faced output and its archive. Neither prints a key: messages
 * name files and fingerprints only. */
#include "archive/archive.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

int cmd_keygen(int argc, char **argv)
{
    int overwrite = 0, help = 0;
    const char *prefix = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--overwrite"))
            overwrite = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            help = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "faceless keygen: unknown option %s\n", argv[i]);
            return FACELESS_ERR_USAGE;
        } else if (!prefix)
            prefix = argv[i];
        else {
            fprintf(stderr, "faceless keygen: one PREFIX only\n");
            return FACELESS_ERR_USAGE;
        }
    }
    if (help || !prefix || !*prefix) {
        fprintf(help ? stdout : stderr,
                "usage: faceless keygen [--overwrite] PREFIX\n"
                "Makes an X25519 key pair for face archives: PREFIX.pub (give it to whoever de-faces:\n"
                "deface --recipient PREFIX.pub) and PREFIX.key (mode 0600: keep it; it opens every\n"
                "archive sealed for PREFIX.pub). Existing files are replaced only with --overwrite.\n"
                "Prints the public key's fingerprint, as reports name it.\n");
        return help ? 0 : FACELESS_ERR_USAGE;
    }
    faceless_ctx *ctx = cli_ctx_new(1);
    if (!ctx)
        return FACELESS_ERR_MEMORY;
    archive_pubkey pub;
    faceless_status s = archive_keygen(ctx, prefix, overwrite, &pub);
    int rc = s == FACELESS_OK ? 0 : cli_fail(ctx, s);
    if (s == FACELESS_OK)
        printf("%s.pub %s\n", prefix, pub.fpr_hex);
    faceless_ctx_free(ctx);
    return rc;
}

int cmd_restore(int argc, char **argv)
{
    int overwrite = 0, help = 0, npos = 0;
    const char *pos[2] = {NULL, NULL}, *key = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const int has = i + 1 < argc;
        if (!strcmp(a, "--overwrite"))
            overwrite = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            help = 1;
        else if (!strcmp(a, "--key") && has)
            key = argv[++i];
        else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has)
            out = argv[++i];
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "faceless restore: unknown option or missing value: %s\n", a);
            return FACELESS_ERR_USAGE;
        } else if (npos < 2)
            pos[npos++] = a;
        else {
            fprintf(stderr, "faceless restore: too many arguments\n");
            return FACELESS_ERR_USAGE;
        }
    }
    if (help || npos != 2 || !key || !out) {
        fprintf(help ? stdout : stderr,
                "usage: faceless restore DEFACED ARCHIVE --key PREFIX.key -o OUT [--overwrite]\n"
                "Writes the original image back from a de-faced NIfTI image and its face archive\n"
                "(deface --archive-out): the same header and every voxel bit for bit. The archive\n"
                "must be DEFACED's (its SHA-256), sealed for the key, and unchanged; the key file\n"
                "must be readable by its owner alone.\n"
                "exit codes: 0 ok, 2 usage, 3 bad input, 4 unsupported, 5 output error,\n"
                "            11 refused: wrong key, another output's archive, a changed output or\n"
                "            archive, a key others can read (nothing written)\n");
        return help ? 0 : FACELESS_ERR_USAGE;
    }
    faceless_ctx *ctx = cli_ctx_new(1);
    if (!ctx)
        return FACELESS_ERR_MEMORY;
    faceless_status s = archive_restore(ctx, pos[0], pos[1], key, out, overwrite);
    int rc = s == FACELESS_OK ? 0 : cli_fail(ctx, s);
    faceless_ctx_free(ctx);
    return rc;
}
