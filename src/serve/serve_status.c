/* serve_status: SPOOL/status.json, rewritten (atomically) every two seconds
 * and at the end: what an operator or a monitor reads to see the node's
 * queues, workers, quarantine and destinations (README, `faceless serve`). */
#include "serve/serve_internal.h"

#include "core/json.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int k = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));)
        k += e->d_name[0] != '.';
    closedir(d);
    return k;
}

void serve_status_write(serve_node *n)
{
    const serve_config *c = n->cfg;
    pthread_mutex_lock(&n->lock);
    unsigned by_state[SERIES_DELIVERED + 1] = {0};
    for (series *s = n->all; s; s = s->next)
        by_state[s->state]++;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/quarantine", c->spool);
    json_buf b = {0};
    json_buf_printf(&b, "{\n  \"pid\": %ld,\n  \"aet\": ", (long)getpid());
    json_buf_string(&b, c->aet);
    json_buf_printf(&b, ",\n  \"port\": %d,\n  \"time\": %lld,\n  \"uptime_s\": %.0f,\n", c->port,
                    (long long)time(NULL), serve_now() - n->started);
    json_buf_printf(&b, "  \"stopping\": %s,\n  \"associations_active\": %d,\n", n->stopping ? "true" : "false",
                    dicomnet_scp_active(n->scp));
    json_buf_printf(&b,
                    "  \"instances\": {\"received\": %lu, \"duplicates\": %lu, \"store_failures\": %lu},\n"
                    "  \"series\": {\"receiving\": %u, \"queued\": %u, \"processing\": %u, \"ready\": %u, "
                    "\"sending\": %u, \"delivered\": %u, \"processed\": %lu, \"quarantined\": %lu},\n",
                    n->received, n->duplicates, n->store_failures, by_state[SERIES_RECEIVING], by_state[SERIES_QUEUED],
                    by_state[SERIES_PROCESSING], by_state[SERIES_READY], by_state[SERIES_SENDING],
                    by_state[SERIES_DELIVERED], n->processed, n->quarantined);
    json_buf_printf(&b, "  \"quarantine\": %d,\n  \"workers\": [", count_entries(path));
    for (int w = 0; w < n->n_workers; w++) {
        json_buf_puts(&b, w ? ", " : "");
        if (n->working_on[w][0])
            json_buf_string(&b, n->working_on[w]);
        else
            json_buf_puts(&b, "null");
    }
    json_buf_puts(&b, "],\n  \"destinations\": [");
    double now = serve_now();
    for (int d = 0; d < c->n_dests; d++) {
        const dest_state *ds = &n->dests[d];
        unsigned pending = 0;
        for (series *s = n->all; s; s = s->next)
            pending += (s->state == SERIES_READY || s->state == SERIES_SENDING) && !(s->delivered & (1u << d));
        json_buf_puts(&b, d ? ",\n    {\"name\": " : "\n    {\"name\": ");
        json_buf_string(&b, c->dests[d].name);
        json_buf_printf(&b,
                        ", \"state\": \"%s\", \"next_try_in_s\": %.0f, \"pending_series\": %u, "
                        "\"acknowledged\": %zu, \"sent\": %lu, \"skipped\": %lu, \"last_error\": ",
                        ds->down ? "down" : "up", ds->next_try > now ? ds->next_try - now : 0.0, pending,
                        ds->acknowledged, ds->sent, ds->skipped);
        json_buf_string(&b, ds->last_error);
        json_buf_puts(&b, "}");
    }
    json_buf_puts(&b, "\n  ]\n}\n");
    pthread_mutex_unlock(&n->lock);
    snprintf(path, sizeof path, "%s/status.json", c->spool);
    if (!b.failed && serve_spool_write_file(path, b.text) != 0)
        serve_log(n, FACELESS_LOG_WARN, "%s: cannot write", path);
    free(b.text);
}
