/* Turning values into findings: the detectors over text and binary runs,
 * the placeholder test, and the policy reaction for attributes of the
 * Annex E table (shared by the DICOM, JSON and NIfTI scanners). */
#include "scan/scan_internal.h"

#include <string.h>

/* At most this many findings per field and detector: a vendor blob full of
 * dates is one problem, not three hundred lines. */
#define MAX_PER_DETECTOR 3
#define MAX_HITS 64

void scan_trim(const char **s, size_t *n)
{
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\0'))
        (*n)--;
    while (*n && (**s == ' ')) {
        (*s)++;
        (*n)--;
    }
}

static size_t report_hits(scan_run *r, const char *where, const char *text, size_t n, unsigned flags,
                          const scan_hit *pre, size_t npre)
{
    scan_hit hits[MAX_HITS];
    size_t nh = pre ? npre : scan_detect(text, n, flags, hits, MAX_HITS);
    const scan_hit *h = pre ? pre : hits;
    if (nh > MAX_HITS)
        nh = MAX_HITS;
    size_t recorded = 0;
    for (size_t i = 0; i < nh; i++) {
        size_t same = 0;
        for (size_t j = 0; j < i; j++)
            same += h[j].detector == h[i].detector;
        if (same >= MAX_PER_DETECTOR)
            continue;
        scan_findings_add(r->out, r->file, where, text + h[i].start, h[i].len, SCAN_LEVEL_FINDING, h[i].detector,
                          "%s%s", h[i].why, flags & SCAN_TEXT_BINARY ? " (inside binary data)" : "");
        recorded++;
    }
    return recorded;
}

size_t scan_report_text(scan_run *r, const char *where, const char *text, size_t n, unsigned flags)
{
    return report_hits(r, where, text, n, flags, NULL, 0);
}

size_t scan_report_binary(scan_run *r, const char *where, const uint8_t *data, size_t n)
{
    /* The detectors treat non-printable bytes as token ends, so they can run
     * on each printable run in place; runs under 6 characters are noise. */
    scan_hit hits[MAX_HITS];
    size_t nh = 0, i = 0;
    while (i < n && nh < MAX_HITS) {
        while (i < n && (data[i] < 0x20 || data[i] > 0x7e) && data[i] != '\t')
            i++;
        size_t s = i;
        while (i < n && ((data[i] >= 0x20 && data[i] <= 0x7e) || data[i] == '\t'))
            i++;
        if (i - s < 6)
            continue;
        scan_hit run_hits[16];
        size_t k = scan_detect((const char *)data + s, i - s, SCAN_TEXT_BINARY, run_hits, 16);
        if (k > 16)
            k = 16;
        for (size_t j = 0; j < k && nh < MAX_HITS; j++) {
            run_hits[j].start += s;
            hits[nh++] = run_hits[j];
        }
    }
    return report_hits(r, where, (const char *)data, n, SCAN_TEXT_BINARY, hits, nh);
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Case-insensitive: is needle[0..nn) inside hay? */
static int contains_ci(const char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0 || nn > hn)
        return 0;
    for (size_t i = 0; i + nn <= hn; i++) {
        size_t k = 0;
        while (k < nn && lower((unsigned char)hay[i + k]) == lower((unsigned char)needle[k]))
            k++;
        if (k == nn)
            return 1;
    }
    return 0;
}

static int is_hex(int c) { return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f'); }

int scan_is_placeholder(const char *v, size_t n, const char *keyword, scan_class cls)
{
    static const char *const parts[] = {"anon", "deident", "de-ident", "redact", "removed", "unknown",
                                        "dummy", "phantom", "pseudonym", "not applicable"};
    /* words that mark a test subject wherever they stand ("stc_test") */
    static const char *const words[] = {"test", "sub", "subj", "subject", "qa"};
    /* words that are a placeholder only as the whole value ("Hospital",
     * but not "General Hospital") */
    static const char *const whole[] = {"none", "na", "n/a", "null", "nil", "institution", "department",
                                        "hospital", "physician", "doctor", "operator", "operators", "station",
                                        "clinic", "site", "name", "patient", "anonymous"};
    scan_trim(&v, &n);
    if (n == 0)
        return 1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (contains_ci(v, n, parts[i], strlen(parts[i])))
            return 1;
    for (size_t w = 0; w < sizeof whole / sizeof whole[0]; w++)
        if (strlen(whole[w]) == n && contains_ci(v, n, whole[w], n))
            return 1;
    /* a word of its own: "stc_test", "XAtest_sub-July11" */
    for (size_t i = 0; i < n;) {
        size_t s = i;
        while (i < n && ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || v[i] == '/'))
            i++;
        for (size_t w = 0; w < sizeof words / sizeof words[0] && i > s; w++)
            if (strlen(words[w]) == i - s && contains_ci(v + s, i - s, words[w], i - s))
                return 1;
        if (i == s)
            i++;
    }
    /* one character repeated: "XXXXXX", "*****", "00000000" */
    size_t same = 1;
    while (same < n && v[same] == v[0])
        same++;
    if (same == n && n >= 2)
        return 1;
    /* the attribute's own name: "ReferringPhysicianName", "Physician" */
    if (keyword) {
        char letters[128];
        size_t nl = 0;
        for (size_t i = 0; i < n && nl < sizeof letters; i++)
            if ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z'))
                letters[nl++] = v[i];
        if (nl >= 5 && nl * 2 >= n && contains_ci(keyword, strlen(keyword), letters, nl))
            return 1;
    }
    /* a hash-like pseudonym in an ID: hex digits with letters and digits */
    if (cls == SCAN_CLASS_IDENTITY && keyword && (strstr(keyword, "ID") || strstr(keyword, "Number")) && n >= 6) {
        int hex = 1, letter = 0, digit = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i] == '-')
                continue;
            if (!is_hex((unsigned char)v[i]))
                hex = 0;
            letter |= !(v[i] >= '0' && v[i] <= '9');
            digit |= v[i] >= '0' && v[i] <= '9';
        }
        if (hex && letter && digit)
            return 1;
    }
    /* an impossible date: "19000101", "00000000" */
    if ((cls == SCAN_CLASS_BIRTH || cls == SCAN_CLASS_DATE) && n >= 4 && v[0] >= '0' && v[0] <= '9') {
        int y = 0;
        for (int i = 0; i < 4; i++)
            y = y * 10 + (v[i] >= '0' && v[i] <= '9' ? v[i] - '0' : 0);
        if (y <= 1900)
            return 1;
    }
    return 0;
}

static const char *class_phrase(scan_class c)
{
    switch (c) {
    case SCAN_CLASS_IDENTITY: return "identifies a person";
    case SCAN_CLASS_BIRTH: return "birth date or time";
    case SCAN_CLASS_DATE: return "date";
    case SCAN_CLASS_TIME: return "time of day";
    case SCAN_CLASS_INSTITUTION: return "names the institution or station";
    case SCAN_CLASS_DEVICE: return "identifies the device";
    case SCAN_CLASS_UID: return "UID (the profile replaces it)";
    case SCAN_CLASS_DEMOGRAPHIC: return "patient characteristic";
    case SCAN_CLASS_DESCRIPTOR: return "free text";
    case SCAN_CLASS_SEQUENCE: return "sequence";
    case SCAN_CLASS_COUNT: break;
    }
    return "attribute";
}

void scan_report_classified(scan_run *r, const char *where, const char *value, size_t n, scan_action action,
                            const scan_annexe_entry *entry, const char *keyword)
{
    scan_trim(&value, &n);
    if (n == 0 || action == SCAN_ACTION_KEEP)
        return;
    scan_class cls = entry ? entry->cls : SCAN_CLASS_DESCRIPTOR;
    const char *phrase = class_phrase(cls);
    const char *det = cls == SCAN_CLASS_BIRTH ? "birth-date" : "annex-e";
    switch (action) {
    case SCAN_ACTION_INFO:
        if (entry)
            scan_findings_add(r->out, r->file, where, value, n, SCAN_LEVEL_INFO, det, "Annex E %s: %s",
                              entry->action, phrase);
        else
            scan_findings_add(r->out, r->file, where, value, n, SCAN_LEVEL_INFO, "policy", "listed by policy");
        break;
    case SCAN_ACTION_SCAN:
        scan_report_text(r, where, value, n, SCAN_TEXT_WHOLE);
        break;
    case SCAN_ACTION_FLAG:
        if (scan_is_placeholder(value, n, keyword, cls))
            scan_findings_add(r->out, r->file, where, value, n, SCAN_LEVEL_INFO, "placeholder",
                              "placeholder value (reads as put in by anonymisation)");
        else if (entry)
            scan_findings_add(r->out, r->file, where, value, n, SCAN_LEVEL_FINDING, det,
                              "Annex E %s: %s, still holds a value", entry->action, phrase);
        else
            scan_findings_add(r->out, r->file, where, value, n, SCAN_LEVEL_FINDING, "policy",
                              "flagged by policy, holds a value");
        break;
    case SCAN_ACTION_DEFAULT:
    case SCAN_ACTION_KEEP:
        break;
    }
}
