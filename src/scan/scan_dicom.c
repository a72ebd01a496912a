/* The rules applied to each DICOM element the walker visits (docs/scan.md):
 * the policy's rule for the tag, keyword or private creator if there is
 * one; else the Annex E class of the attribute; else person names and dates
 * are findings and every other value goes through the free-text detectors
 * (printable runs for binary values). */
#include "scan/scan_internal.h"

#include <stdio.h>
#include <string.h>

static int vr_is(const char *vr, const char *x) { return vr[0] == x[0] && vr[1] == x[1]; }

static int vr_numeric(const char *vr)
{
    static const char *const N[] = {"US", "SS", "UL", "SL", "FL", "FD", "AT", "SV", "UV", "OF", "OD", "OL", "OV"};
    for (size_t i = 0; i < sizeof N / sizeof N[0]; i++)
        if (vr_is(vr, N[i]))
            return 1;
    return 0;
}

static int vr_binary(const char *vr) { return vr_is(vr, "OB") || vr_is(vr, "OW") || vr_is(vr, "UN"); }

/* Text unless it holds bytes no text VR holds (implicit VR, unknown tag). */
static int looks_textual(const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = v[i];
        if (c == 0 && i + 1 == n)
            break; /* padding */
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x1b && c != '\f')
            return 0;
    }
    return 1;
}

static void where_of(const scan_dcm_rules_state *st, const scan_dcm_elem *e, const char *keyword, char *out,
                     size_t cap)
{
    size_t k = (size_t)snprintf(out, cap, "%s", st->prefix ? st->prefix : "");
    for (int d = 0; d < e->depth && k < cap; d++)
        k += (size_t)snprintf(out + k, cap - k, "(%04X,%04X)[%u].", e->path[d].group, e->path[d].elem,
                              (unsigned)e->path[d].item);
    if (k < cap)
        k += (size_t)snprintf(out + k, cap - k, "(%04X,%04X)", e->group, e->elem);
    if (k < cap && keyword)
        k += (size_t)snprintf(out + k, cap - k, " %s", keyword);
    else if (k < cap && e->creator) {
        /* the creator is text from the file: keep it printable and short */
        char c[40];
        size_t n = 0;
        for (size_t i = 0; i < e->creator_len && n + 1 < sizeof c; i++)
            if (e->creator[i] >= 0x20 && e->creator[i] < 0x7f)
                c[n++] = e->creator[i];
        while (n && c[n - 1] == ' ')
            n--;
        c[n] = '\0';
        snprintf(out + k, cap - k, " private '%s'", c);
    } else if (k < cap && (e->group & 1))
        snprintf(out + k, cap - k, " private");
}

static void scan_value(scan_run *r, const char *where, const scan_dcm_elem *e)
{
    const char *v = (const char *)e->value;
    size_t n = e->len;
    if (vr_binary(e->vr) || (e->vr[0] == '\0' && !looks_textual(e->value, n)))
        scan_report_binary(r, where, e->value, n);
    else {
        scan_trim(&v, &n);
        /* numbers and codes as text (IS, DS, CS, AS) and vendor text hold
         * numeric codes everywhere: no bare ID numbers there */
        int codes = vr_is(e->vr, "IS") || vr_is(e->vr, "DS") || vr_is(e->vr, "CS") || vr_is(e->vr, "AS");
        scan_report_text(r, where, v, n, SCAN_TEXT_WHOLE | ((e->group & 1) || codes ? SCAN_TEXT_NO_IDS : 0));
    }
}

static int has_value(const scan_dcm_elem *e)
{
    const char *v = (const char *)e->value;
    size_t n = e->len;
    if (vr_numeric(e->vr) || vr_binary(e->vr))
        return n > 0;
    scan_trim(&v, &n);
    return n > 0;
}

void scan_dcm_rules_visit(void *user, const scan_dcm_elem *e)
{
    scan_dcm_rules_state *st = user;
    scan_run *r = st->run;
    uint16_t g = e->group, el = e->elem;
    if (el == 0x0000 || g == 0xFFFE || (g == 0x7FE0 && el <= 0x0010) || ((g & 1) && el >= 0x10 && el <= 0xFF))
        return; /* group lengths, items, pixel data, private creator names */
    const scan_annexe_entry *ae = (g & 1) ? NULL : scan_annexe_find(g, el);
    const char *keyword = ae ? ae->keyword : (g & 1) ? NULL : scan_dict_keyword(g, el, NULL);
    scan_action act = scan_policy_tag(r->policy, g, el, keyword, e->creator, e->creator_len);
    if (act == SCAN_ACTION_KEEP)
        return;
    char where[512];
    if (e->is_sequence) {
        /* a sequence holds no value of its own; its items are visited */
        if (act == SCAN_ACTION_FLAG) {
            where_of(st, e, keyword, where, sizeof where);
            scan_findings_add(r->out, r->file, where, "", 0, SCAN_LEVEL_FINDING, "policy",
                              "sequence present, flagged by policy");
        }
        return;
    }
    if (!has_value(e))
        return;
    where_of(st, e, keyword, where, sizeof where);
    const char *v = (const char *)e->value;
    size_t n = e->len;
    if (g & 1) {
        if (act == SCAN_ACTION_DEFAULT)
            act = scan_policy_private(r->policy);
        if (act == SCAN_ACTION_FLAG || act == SCAN_ACTION_INFO) {
            int bin = vr_binary(e->vr) || vr_numeric(e->vr) || !looks_textual(e->value, n);
            scan_findings_add(r->out, r->file, where, bin ? "" : v, bin ? 0 : n,
                              act == SCAN_ACTION_FLAG ? SCAN_LEVEL_FINDING : SCAN_LEVEL_INFO, "private",
                              "private attribute holds a value (%zu bytes)%s", n,
                              act == SCAN_ACTION_FLAG ? ", not on the policy's allow-list" : "");
        } else if (act == SCAN_ACTION_SCAN && !vr_numeric(e->vr)) {
            scan_value(r, where, e);
        }
        return;
    }
    if (vr_numeric(e->vr) || vr_is(e->vr, "UI")) {
        /* numbers and UIDs hold no free text */
        if (ae && act == SCAN_ACTION_DEFAULT)
            act = scan_policy_class(r->policy, ae->cls);
        if (act == SCAN_ACTION_FLAG || act == SCAN_ACTION_INFO) {
            if (vr_is(e->vr, "UI"))
                scan_trim(&v, &n);
            scan_findings_add(r->out, r->file, where, vr_is(e->vr, "UI") ? v : "", vr_is(e->vr, "UI") ? n : 0,
                              act == SCAN_ACTION_FLAG ? SCAN_LEVEL_FINDING : SCAN_LEVEL_INFO,
                              ae ? "annex-e" : "policy", "%s%s", ae ? "Annex E " : "listed by policy",
                              ae ? ae->action : "");
        }
        return;
    }
    if (ae) {
        if (act == SCAN_ACTION_DEFAULT)
            act = scan_policy_class(r->policy, ae->cls);
        if ((vr_is(e->vr, "OB") || vr_is(e->vr, "OW") || (vr_is(e->vr, "UN") && !looks_textual(e->value, n))) &&
            strcmp(ae->vr, "OB") && strcmp(ae->vr, "OW")) {
            /* a text attribute stored as bytes (UN): read it as text below */
        } else if (vr_binary(e->vr)) {
            if (act == SCAN_ACTION_FLAG || act == SCAN_ACTION_INFO)
                scan_findings_add(r->out, r->file, where, "", 0,
                                  act == SCAN_ACTION_FLAG ? SCAN_LEVEL_FINDING : SCAN_LEVEL_INFO, "annex-e",
                                  "Annex E %s: binary value present (%zu bytes)", ae->action, n);
            else if (act == SCAN_ACTION_SCAN)
                scan_report_binary(r, where, e->value, n);
            return;
        }
        scan_report_classified(r, where, v, n, act, ae, ae->keyword);
        return;
    }
    /* a standard attribute outside the table */
    int is_pn = vr_is(e->vr, "PN"), is_date = vr_is(e->vr, "DA") || vr_is(e->vr, "DT");
    if (act == SCAN_ACTION_DEFAULT)
        act = is_pn ? scan_policy_pn(r->policy) : is_date ? scan_policy_dates(r->policy) : scan_policy_text(r->policy);
    switch (act) {
    case SCAN_ACTION_FLAG:
        scan_trim(&v, &n);
        if (vr_binary(e->vr))
            scan_findings_add(r->out, r->file, where, "", 0, SCAN_LEVEL_FINDING, "policy",
                              "binary value present (%zu bytes), not on the policy's allow-list", n);
        else if (scan_is_placeholder(v, n, keyword, is_date ? SCAN_CLASS_DATE : SCAN_CLASS_IDENTITY))
            scan_findings_add(r->out, r->file, where, v, n, SCAN_LEVEL_INFO, "placeholder",
                              "placeholder value (reads as put in by anonymisation)");
        else if (is_pn)
            scan_findings_add(r->out, r->file, where, v, n, SCAN_LEVEL_FINDING, "person-name",
                              "person name (VR PN) not empty");
        else if (is_date)
            scan_findings_add(r->out, r->file, where, v, n, SCAN_LEVEL_FINDING, "date",
                              "date (VR %s) outside the profile's table", e->vr);
        else
            scan_findings_add(r->out, r->file, where, v, n, SCAN_LEVEL_FINDING, "policy",
                              "holds a value, not on the policy's allow-list");
        break;
    case SCAN_ACTION_INFO:
        scan_trim(&v, &n);
        scan_findings_add(r->out, r->file, where, vr_binary(e->vr) ? "" : v, vr_binary(e->vr) ? 0 : n,
                          SCAN_LEVEL_INFO, "policy", "listed by policy");
        break;
    case SCAN_ACTION_SCAN:
        scan_value(r, where, e);
        break;
    case SCAN_ACTION_DEFAULT:
    case SCAN_ACTION_KEEP:
        break;
    }
}

faceless_status scan_dicom_bytes(faceless_ctx *ctx, const char *file, const uint8_t *bytes, size_t n,
                                 const scan_policy *policy, scan_findings *out)
{
    scan_run run = {ctx, policy, out, file};
    scan_dcm_rules_state st = {&run, NULL};
    faceless_status s = scan_dcm_walk(ctx, file, bytes, n, 0, scan_dcm_rules_visit, &st);
    if (out->out_of_memory && s == FACELESS_OK)
        s = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory recording findings", file);
    return s;
}
