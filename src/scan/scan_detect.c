/* Free-text detectors: dates (birth dates especially), person names, phone
 * numbers, e-mail and web addresses, IP addresses, long ID-like numbers,
 * street addresses and user names in paths.
 *
 * One pass over the text; each position dispatches on its character class
 * to a few cheap checks, so a 100 KB vendor blob costs well under a
 * millisecond. Every pattern is bounded on both sides (a date inside a UID,
 * "LATEST_20110129" or "1.3.12.2.1107" is not a hit): false positives on
 * real headers are what makes an audit tool ignored. Non-printable bytes end
 * every token, so the same code reads text runs cut out of binary data. */
#include "scan/scan_internal.h"

#include <string.h>

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(int c) { return is_upper(c) || is_lower(c) || c >= 0x80; }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static int lower(int c) { return is_upper(c) ? c + 32 : c; }

/* Bit mask of the lowercase letters of s, for cheap first-letter filters. */
#define LETTERS(s) letters_mask(s)
static uint32_t letters_mask(const char *s)
{
    uint32_t m = 0;
    for (; *s; s++)
        m |= 1u << (*s - 'a');
    return m;
}
static int in_letters(int c, uint32_t mask)
{
    c = lower(c);
    return c >= 'a' && c <= 'z' && (mask >> (c - 'a') & 1u);
}

typedef struct text {
    const unsigned char *s;
    size_t n;
    unsigned flags;
    scan_hit *hits;
    size_t max, count;
} text;

static int at(const text *t, size_t i) { return i < t->n ? t->s[i] : 0; }
/* The byte before i, or 0 at the start. */
static int before(const text *t, size_t i) { return i > 0 && i <= t->n ? t->s[i - 1] : 0; }

static void hit(text *t, const char *detector, const char *why, size_t start, size_t len)
{
    if (t->count < t->max)
        t->hits[t->count] = (scan_hit){detector, why, start, len};
    t->count++;
}

/* Case-insensitive prefix test at i. */
static int starts_ci(const text *t, size_t i, const char *w)
{
    size_t k = 0;
    for (; w[k]; k++)
        if (i + k >= t->n || lower(t->s[i + k]) != w[k])
            return 0;
    return 1;
}

static size_t digits_at(const text *t, size_t i)
{
    size_t k = i;
    while (k < t->n && is_digit(t->s[k]))
        k++;
    return k - i;
}

static int num(const text *t, size_t i, size_t len)
{
    int v = 0;
    for (size_t k = 0; k < len; k++)
        v = v * 10 + (t->s[i + k] - '0');
    return v;
}

static int valid_ymd(int y, int m, int d)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1901 || y > 2099 || m < 1 || m > 12 || d < 1)
        return 0;
    if (d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && (y % 4 != 0))
        return 0;
    return 1;
}

int scan_is_compact_date(const char *s, size_t n)
{
    if (n != 8)
        return 0;
    for (size_t i = 0; i < 8; i++)
        if (!is_digit((unsigned char)s[i]))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[4] - '0') * 10 + (s[5] - '0');
    int d = (s[6] - '0') * 10 + (s[7] - '0');
    return valid_ymd(y, m, d);
}

/* Words before a date that make it a birth date (within 32 bytes). */
static int birth_context(const text *t, size_t start)
{
    static const char *const words[] = {"birth", "dob", "d.o.b", "born", "geb", "naiss", "nacim"};
    size_t from = start > 32 ? start - 32 : 0;
    for (size_t i = from; i < start; i++)
        for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
            if (starts_ci(t, i, words[w]) && !is_alpha(before(t, i)))
                return 1;
    return 0;
}

static void date_hit(text *t, size_t start, size_t len)
{
    if (birth_context(t, start))
        hit(t, "birth-date", "birth date in text", start, len);
    else
        hit(t, "date", "calendar date in text", start, len);
}

/* A token boundary for numbers: not a letter, digit or '_' (so that
 * "LATEST_20110129" or "AWP45152" are not numbers of their own), and not a
 * '.' or '-' joined to a digit (UIDs, decimals, ranges). */
static int num_left_ok(const text *t, size_t i)
{
    int c = before(t, i);
    if (is_alnum(c) || c == '_')
        return 0;
    if ((c == '.' || c == '-' || c == '/' || c == ':') && i >= 2 && is_digit(t->s[i - 2]))
        return 0;
    return 1;
}

static int num_right_ok(const text *t, size_t e)
{
    int c = at(t, e);
    if (is_alnum(c) || c == '_')
        return 0;
    if ((c == '.' || c == '-' || c == '/' || c == ':') && is_digit(at(t, e + 1)))
        return 0;
    return 1;
}

/* YYYYMMDD, optionally followed by HHMM[SS][.ffffff] (DICOM DA/DT). */
static size_t match_compact_date(const text *t, size_t i, size_t nd)
{
    if (nd != 8 && nd != 12 && nd != 14)
        return 0;
    if (!valid_ymd(num(t, i, 4), num(t, i + 4, 2), num(t, i + 6, 2)))
        return 0;
    if (nd > 8 && (num(t, i + 8, 2) > 23 || num(t, i + 10, 2) > 59 || (nd == 14 && num(t, i + 12, 2) > 60)))
        return 0;
    size_t e = i + nd;
    if (nd == 14 && at(t, e) == '.' && is_digit(at(t, e + 1))) {
        e++;
        e += digits_at(t, e);
    }
    if (!num_left_ok(t, i) || !num_right_ok(t, e))
        return 0;
    return e - i;
}

/* YYYY-MM-DD (also / and .), optionally followed by THH:MM...; or
 * DD-MM-YYYY / MM-DD-YYYY (either reading valid). */
static size_t match_sep_date(const text *t, size_t i, size_t nd)
{
    int sep = at(t, i + nd);
    if (sep != '-' && sep != '/' && sep != '.')
        return 0;
    size_t j = i + nd + 1, n2 = digits_at(t, j);
    if (n2 < 1 || n2 > 2 || at(t, j + n2) != sep)
        return 0;
    size_t k = j + n2 + 1, n3 = digits_at(t, k);
    size_t e = k + n3;
    int ok = 0;
    if (nd == 4 && n3 >= 1 && n3 <= 2)
        ok = valid_ymd(num(t, i, 4), num(t, j, n2), num(t, k, n3));
    else if (nd <= 2 && n3 == 4) {
        int a = num(t, i, nd), b = num(t, j, n2), y = num(t, k, 4);
        ok = valid_ymd(y, b, a) || valid_ymd(y, a, b);
    }
    if (!ok)
        return 0;
    /* ISO date-time: 2013-03-08T08:06:16 */
    if ((at(t, e) == 'T' || at(t, e) == ' ') && is_digit(at(t, e + 1)) && is_digit(at(t, e + 2)) &&
        at(t, e + 3) == ':') {
        e++;
        while (e < t->n && (is_digit(t->s[e]) || t->s[e] == ':' || t->s[e] == '.'))
            e++;
    }
    if (!num_left_ok(t, i))
        return 0;
    int c = at(t, e);
    if (is_alnum(c) && c != 'Z')
        return 0;
    if ((c == '.' || c == '-' || c == '/') && is_digit(at(t, e + 1)))
        return 0;
    return e - i;
}

static const char *const MONTHS[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const MONTHS_LONG[12] = {"january", "february", "march",     "april",   "may",      "june",
                                            "july",    "august",   "september", "october", "november", "december"};

/* A month name at i (word-bounded): its length, else 0. */
static size_t month_at(const text *t, size_t i)
{
    int c = lower(at(t, i));
    if (is_alpha(before(t, i)) || !in_letters(c, LETTERS("jfmasond")))
        return 0;
    for (int m = 0; m < 12; m++) {
        if (c != MONTHS[m][0] || lower(at(t, i + 1)) != MONTHS[m][1] || lower(at(t, i + 2)) != MONTHS[m][2])
            continue;
        size_t len = strlen(MONTHS_LONG[m]);
        if (starts_ci(t, i, MONTHS_LONG[m]) && !is_alpha(at(t, i + len)))
            return len;
        if (starts_ci(t, i, MONTHS[m]) && !is_alpha(at(t, i + 3)))
            return at(t, i + 3) == '.' ? 4 : 3;
    }
    return 0;
}

/* "12 March 1987", "12-Mar-1987", "March 12, 1987": hit starting at the day
 * or the month. Returns the end, or 0. */
static size_t match_month_date(const text *t, size_t m, size_t mlen, size_t *start)
{
    /* day before: "12 Mar 1987" / "12-Mar-1987" */
    if (m >= 2 && (t->s[m - 1] == ' ' || t->s[m - 1] == '-')) {
        size_t d_end = m - 1, d0 = d_end;
        while (d0 > 0 && is_digit(t->s[d0 - 1]) && d_end - d0 < 3)
            d0--;
        size_t nd = d_end - d0;
        size_t y = m + mlen;
        if (at(t, y) == ' ' || at(t, y) == '-' || at(t, y) == ',')
            y++;
        while (at(t, y) == ' ')
            y++;
        if (nd >= 1 && nd <= 2 && num(t, d0, nd) >= 1 && num(t, d0, nd) <= 31 && digits_at(t, y) == 4 &&
            num(t, y, 4) > 1900 && num(t, y, 4) < 2100 && num_left_ok(t, d0) && num_right_ok(t, y + 4)) {
            *start = d0;
            return y + 4;
        }
    }
    /* day after: "March 12, 1987" */
    size_t d = m + mlen;
    while (at(t, d) == ' ')
        d++;
    size_t nd = digits_at(t, d);
    if (nd < 1 || nd > 2 || d == m + mlen)
        return 0;
    size_t y = d + nd;
    if (at(t, y) == ',')
        y++;
    if (at(t, y) != ' ')
        return 0;
    while (at(t, y) == ' ')
        y++;
    if (digits_at(t, y) == 4 && num(t, d, nd) >= 1 && num(t, d, nd) <= 31 && num(t, y, 4) > 1900 &&
        num(t, y, 4) < 2100 && num_right_ok(t, y + 4)) {
        *start = m;
        return y + 4;
    }
    return 0;
}

/* a.b.c.d with each part 0..255, bounded (not a piece of a UID). */
static size_t match_ip(const text *t, size_t i)
{
    size_t k = i;
    int parts = 0, all_single = 1;
    for (;;) {
        size_t nd = digits_at(t, k);
        if (nd < 1 || nd > 3 || num(t, k, nd) > 255)
            return 0;
        if (nd > 1)
            all_single = 0;
        k += nd;
        parts++;
        if (parts == 4)
            break;
        if (at(t, k) != '.')
            return 0;
        k++;
    }
    /* "5.10.2.1" is a code or version number: an address worth reporting
     * has a first part of two or three digits (10.x, 172.16.x, 192.168.x) */
    if (!num_left_ok(t, i) || all_single || !is_digit(at(t, i + 1)))
        return 0;
    int c = at(t, k);
    if (is_alnum(c) || c == '_' || (c == '.' && is_digit(at(t, k + 1))))
        return 0;
    return k - i;
}

/* North American 555-123-4567 / 555.123.4567 / (555) 123-4567. */
static size_t match_nanp(const text *t, size_t i)
{
    size_t k = i;
    if (at(t, k) == '(') {
        if (digits_at(t, k + 1) != 3 || at(t, k + 4) != ')')
            return 0;
        k += 5;
        if (at(t, k) == ' ')
            k++;
    } else {
        if (digits_at(t, k) != 3 || (at(t, k + 3) != '-' && at(t, k + 3) != '.'))
            return 0;
        k += 4;
    }
    if (digits_at(t, k) != 3)
        return 0;
    int sep = at(t, k + 3);
    if (sep != '-' && sep != '.')
        return 0;
    if (digits_at(t, k + 4) != 4)
        return 0;
    size_t e = k + 8;
    if (!num_right_ok(t, e))
        return 0;
    if (at(t, i) != '(' && !num_left_ok(t, i))
        return 0;
    return e - i;
}

/* +CC ... with 8 to 15 digits in groups (international form). */
static size_t match_intl_phone(const text *t, size_t i)
{
    /* country codes never start with 0 ("+00032.4" is a number) */
    if (is_alnum(before(t, i)) || !is_digit(at(t, i + 1)) || at(t, i + 1) == '0')
        return 0;
    size_t k = i + 1, digits = 0, groups = 0, dots = 0, others = 0;
    while (k < t->n) {
        size_t nd = digits_at(t, k);
        if (nd) {
            digits += nd;
            groups++;
            k += nd;
            continue;
        }
        int c = t->s[k];
        if ((c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') &&
            (is_digit(at(t, k + 1)) || (c != '(' && at(t, k + 1) == '('))) {
            if (c == '.')
                dots++;
            else
                others++;
            k++;
            continue;
        }
        break;
    }
    if (digits < 8 || digits > 15 || groups < 2 || (dots && !others && groups < 3))
        return 0;
    if (is_alpha(at(t, k)))
        return 0;
    return k - i;
}

/* tel / phone / fax followed by a number of at least 6 digits. */
static size_t match_phone_keyword(const text *t, size_t i, size_t *start)
{
    static const char *const words[] = {"tel", "phone", "fax", "mobile", "telefon", "handy", "cell"};
    if (is_alpha(before(t, i)))
        return 0;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        if (lower(at(t, i)) != words[w][0] || !starts_ci(t, i, words[w]))
            continue;
        size_t k = i + strlen(words[w]);
        while (k < t->n && is_alpha(t->s[k]) && k - i < 16)
            k++;
        while (k < t->n && (t->s[k] == '.' || t->s[k] == ':' || t->s[k] == '=' || t->s[k] == ' ' || t->s[k] == '#'))
            k++;
        size_t s0 = k, digits = 0;
        while (k < t->n && (is_digit(t->s[k]) || t->s[k] == ' ' || t->s[k] == '-' || t->s[k] == '(' ||
                            t->s[k] == ')' || t->s[k] == '/' || t->s[k] == '+')) {
            digits += is_digit(t->s[k]);
            k++;
        }
        while (k > s0 && !is_digit(t->s[k - 1]))
            k--;
        if (digits >= 6 && digits <= 15) {
            *start = s0;
            return k;
        }
    }
    return 0;
}

/* local@domain.tld */
static size_t match_email(const text *t, size_t at_pos, size_t *start)
{
    size_t a = at_pos;
    while (a > 0 && (is_alnum(t->s[a - 1]) || strchr("._%+-", t->s[a - 1])))
        a--;
    if (a == at_pos)
        return 0;
    size_t k = at_pos + 1, last_dot = 0;
    while (k < t->n && (is_alnum(t->s[k]) || t->s[k] == '.' || t->s[k] == '-')) {
        if (t->s[k] == '.')
            last_dot = k;
        k++;
    }
    while (k > at_pos + 1 && t->s[k - 1] == '.')
        k--;
    last_dot = 0; /* again, without the trailing dots */
    for (size_t j = at_pos + 1; j < k; j++)
        if (t->s[j] == '.')
            last_dot = j;
    if (!last_dot || last_dot >= k - 2 || last_dot == at_pos + 1)
        return 0;
    for (size_t j = last_dot + 1; j < k; j++)
        if (!is_alpha(t->s[j]))
            return 0;
    *start = a;
    return k;
}

/* Hosts of standards and schemas that appear in vendor XML: not identifying. */
static int standard_host(const text *t, size_t h, size_t e)
{
    static const char *const hosts[] = {"w3.org", "nema.org", "purl.org", "xmlsoap.org", "openxmlformats.org",
                                        "json-schema.org", "ietf.org", "iso.org", "unicode.org", "xml.org"};
    size_t hl = h;
    while (hl < e && t->s[hl] != '/' && t->s[hl] != ':')
        hl++;
    for (size_t k = 0; k < sizeof hosts / sizeof hosts[0]; k++) {
        size_t n = strlen(hosts[k]);
        if (hl - h >= n && !memcmp(t->s + hl - n, hosts[k], n) && (hl - h == n || t->s[hl - n - 1] == '.'))
            return 1;
    }
    return 0;
}

static size_t match_url(const text *t, size_t i)
{
    size_t h;
    if (starts_ci(t, i, "http://"))
        h = i + 7;
    else if (starts_ci(t, i, "https://"))
        h = i + 8;
    else if (starts_ci(t, i, "ftp://"))
        h = i + 6;
    else if (starts_ci(t, i, "www.") && !is_alnum(before(t, i)))
        h = i;
    else
        return 0;
    size_t k = h;
    while (k < t->n && t->s[k] > 0x20 && t->s[k] < 0x7f && !strchr("\"'<>\\ ", t->s[k]))
        k++;
    if (k - h < 4 || memchr(t->s + h, '.', k - h) == NULL || standard_host(t, h, k))
        return 0;
    return k;
}

/* DICOM PN "Family^Given[^Middle^Prefix^Suffix]" around a caret at c. */
static size_t match_pn(const text *t, size_t c, size_t *start)
{
    size_t a = c;
    while (a > 0 && (is_alpha(t->s[a - 1]) || t->s[a - 1] == '\'' || t->s[a - 1] == '-'))
        a--;
    if (c - a < 2 || !is_alpha(t->s[a]) || is_digit(before(t, a)) || before(t, a) == '_')
        return 0;
    size_t k = c, letters_after = 0;
    while (k < t->n && (is_alpha(t->s[k]) || t->s[k] == '^' || t->s[k] == '\'' || t->s[k] == '-' ||
                        (t->s[k] == ' ' && is_alpha(at(t, k + 1))) || t->s[k] == '.')) {
        letters_after += is_alpha(t->s[k]);
        k++;
    }
    if (letters_after < 1 || is_digit(at(t, k)))
        return 0;
    *start = a;
    return k;
}

/* A capitalised word of 2+ letters at i: its length, else 0. */
static size_t cap_word(const text *t, size_t i)
{
    if (!is_upper(at(t, i)))
        return 0;
    size_t k = i + 1;
    while (k < t->n && (is_alpha(t->s[k]) || t->s[k] == '\'' || t->s[k] == '-'))
        k++;
    return k - i >= 2 ? k - i : 0;
}

/* Title + name: "Dr. Smith", "Mrs Jones", "Prof. Meier". */
static size_t match_title(const text *t, size_t i)
{
    static const char *const titles[] = {"Dr", "Mr", "Mrs", "Ms", "Prof", "Herr", "Frau", "Mme", "Mlle"};
    if (is_alpha(before(t, i)))
        return 0;
    for (size_t w = 0; w < sizeof titles / sizeof titles[0]; w++) {
        size_t n = strlen(titles[w]);
        if (i + n >= t->n || memcmp(t->s + i, titles[w], n) != 0)
            continue;
        size_t k = i + n;
        if (at(t, k) == '.')
            k++;
        if (at(t, k) != ' ')
            continue;
        k++;
        size_t wl = cap_word(t, k);
        if (wl < 2 || !is_lower(at(t, k + 1)))
            continue;
        return k + wl;
    }
    return 0;
}

/* "Name: John Smith", "patient=Doe^Jane", "Operator: J. Doe". */
static size_t match_labelled_name(const text *t, size_t i, size_t *start)
{
    static const char *const labels[] = {"name", "patient", "physician", "operator", "doctor", "technologist",
                                         "referring", "surname", "firstname", "vorname", "nachname", "nom"};
    if (is_alpha(before(t, i)))
        return 0;
    for (size_t w = 0; w < sizeof labels / sizeof labels[0]; w++) {
        if (lower(at(t, i)) != labels[w][0])
            continue;
        size_t n = strlen(labels[w]);
        if (!starts_ci(t, i, labels[w]) || is_alpha(at(t, i + n)))
            continue;
        size_t k = i + n;
        while (at(t, k) == ' ')
            k++;
        if (at(t, k) != ':' && at(t, k) != '=')
            continue;
        k++;
        while (at(t, k) == ' ' || at(t, k) == '"' || at(t, k) == '\'')
            k++;
        size_t s0 = k, words = 0;
        for (;;) {
            size_t wl = cap_word(t, k);
            if (!wl) {
                if (is_upper(at(t, k)) && at(t, k + 1) == '.') /* initial */
                    wl = 2;
                else
                    break;
            }
            words++;
            k += wl;
            if ((at(t, k) == ' ' || at(t, k) == '^' || at(t, k) == ',') && is_upper(at(t, k + 1)))
                k++;
            else if (at(t, k) == ',' && at(t, k + 1) == ' ' && is_upper(at(t, k + 2)))
                k += 2;
            else
                break;
        }
        if (words >= 2) {
            *start = s0;
            return k;
        }
    }
    return 0;
}

/* The whole value is "Lastname, Firstname [M.]". */
static int whole_last_first(const text *t)
{
    size_t k = 0;
    while (at(t, k) == ' ')
        k++;
    size_t w = cap_word(t, k);
    if (!w)
        return 0;
    k += w;
    if (at(t, k) != ',')
        return 0;
    k++;
    while (at(t, k) == ' ')
        k++;
    w = cap_word(t, k);
    if (!w)
        return 0;
    k += w;
    if (at(t, k) == ' ' && is_upper(at(t, k + 1))) {
        k += 2;
        while (is_alpha(at(t, k)) || at(t, k) == '.')
            k++;
    }
    while (k < t->n && (t->s[k] == ' ' || t->s[k] == 0))
        k++;
    return k == t->n;
}

static int street_word_at(const text *t, size_t k, size_t *len)
{
    static const char *const suffixes[] = {"street", "st", "road", "rd", "avenue", "ave", "lane", "ln",
                                           "drive", "boulevard", "blvd", "way", "court", "ct", "place",
                                           "square", "terrace", "parkway", "highway", "hwy"};
    for (size_t w = 0; w < sizeof suffixes / sizeof suffixes[0]; w++) {
        size_t n = strlen(suffixes[w]);
        if (starts_ci(t, k, suffixes[w]) && is_upper(at(t, k)) && !is_alpha(at(t, k + n))) {
            *len = n + (at(t, k + n) == '.');
            return 1;
        }
    }
    return 0;
}

/* "221B Baker Street", "12 Main St." */
static size_t match_street_number_first(const text *t, size_t i, size_t nd)
{
    size_t k = i + nd;
    if (is_alpha(at(t, k)) && !is_alpha(at(t, k + 1)))
        k++;
    if (at(t, k) != ' ' || !num_left_ok(t, i))
        return 0;
    k++;
    for (int words = 0; words < 4; words++) {
        size_t sl;
        if (words > 0 && street_word_at(t, k, &sl))
            return k + sl - i;
        size_t wl = cap_word(t, k);
        if (!wl)
            return 0;
        k += wl;
        if (at(t, k) != ' ')
            return 0;
        k++;
    }
    return 0;
}

/* "Hauptstrasse 12", "Marchioninistr. 15", "Am Weg 3": German-style. */
static size_t match_street_name_first(const text *t, size_t i)
{
    static const char *const ends[] = {"strasse", "straße", "str.", "weg", "gasse", "allee", "platz", "damm"};
    if (!is_upper(at(t, i)) || is_alpha(before(t, i)))
        return 0;
    size_t k = i + 1;
    while (k < t->n && (is_alpha(t->s[k]) || t->s[k] == '.') && k - i < 40)
        k++;
    int last = lower(t->s[k - 1]);
    if (at(t, k) != ' ' || !(last == 'e' || last == '.' || last == 'g' || last == 'z' || last == 'm' || last == 0x9f))
        return 0;
    for (size_t w = 0; w < sizeof ends / sizeof ends[0]; w++) {
        size_t n = strlen(ends[w]);
        if (k - i > n + 1 && starts_ci(t, k - n, ends[w])) {
            size_t d = k;
            if (at(t, d) != ' ')
                return 0;
            d++;
            size_t nd = digits_at(t, d);
            if (nd < 1 || nd > 4 || is_digit(at(t, d + nd)))
                return 0;
            d += nd;
            if (is_lower(at(t, d)) && !is_alpha(at(t, d + 1)))
                d++;
            if (is_alnum(at(t, d)))
                return 0;
            return d - i;
        }
    }
    return 0;
}

/* "/home/jdoe", "/Users/jdoe", "C:\Users\jdoe": a user name in a path. */
static size_t match_user_path(const text *t, size_t i)
{
    size_t k;
    if (starts_ci(t, i, "/home/") && at(t, i) == '/')
        k = i + 6;
    else if (at(t, i) == '/' && starts_ci(t, i, "/users/") && at(t, i + 1) == 'U')
        k = i + 7;
    else if (at(t, i) == '\\' && starts_ci(t, i, "\\users\\"))
        k = i + 7;
    else
        return 0;
    size_t u = k;
    while (k < t->n && (is_alnum(t->s[k]) || t->s[k] == '.' || t->s[k] == '_' || t->s[k] == '-'))
        k++;
    if (k - u < 2)
        return 0;
    return k - i;
}

/* A long digit run that reads as an identifier (medical record number,
 * accession number): 7 to 20 digits, not a round number like 1000000. */
static int id_like(const text *t, size_t i, size_t nd)
{
    if (nd < 7 || nd > 20)
        return 0;
    size_t nonzero = 0;
    for (size_t k = 1; k < nd; k++)
        nonzero += t->s[i + k] != '0';
    return nonzero >= 3 && num_left_ok(t, i) && num_right_ok(t, i + nd);
}

static size_t detect_digits(text *t, size_t i)
{
    size_t nd = digits_at(t, i), e;
    if ((e = match_compact_date(t, i, nd)) != 0) {
        date_hit(t, i, e);
        return i + e;
    }
    if ((nd == 4 || nd <= 2) && (e = match_sep_date(t, i, nd)) != 0) {
        date_hit(t, i, e);
        return i + e;
    }
    if (nd <= 3 && at(t, i + nd) == '.' && (e = match_ip(t, i)) != 0) {
        hit(t, "ip-address", "IP address in text", i, e);
        return i + e;
    }
    if (nd == 3 && (e = match_nanp(t, i)) != 0) {
        hit(t, "phone", "phone number in text", i, e);
        return i + e;
    }
    if (nd == 3 && at(t, i + 3) == '-' && digits_at(t, i + 4) == 2 && at(t, i + 6) == '-' &&
        digits_at(t, i + 7) == 4 && num_left_ok(t, i) && num_right_ok(t, i + 11)) {
        hit(t, "id-number", "social-security-like number", i, 11);
        return i + 11;
    }
    if (nd <= 5 && (e = match_street_number_first(t, i, nd)) != 0) {
        hit(t, "street-address", "street address in text", i, e);
        return i + e;
    }
    if (!(t->flags & (SCAN_TEXT_BINARY | SCAN_TEXT_NO_IDS)) && id_like(t, i, nd)) {
        hit(t, "id-number", "long ID-like number", i, nd);
        return i + nd;
    }
    return i + nd;
}

static size_t detect_alpha(text *t, size_t i)
{
    size_t e, st = i, ml;
    if ((ml = month_at(t, i)) != 0 && (e = match_month_date(t, i, ml, &st)) != 0) {
        date_hit(t, st, e - st);
        return e;
    }
    int c = at(t, i), lc = lower(c);
    if (!is_alpha(before(t, i))) {
        /* first-letter filters keep this cheap on long vendor texts */
        if (in_letters(lc, LETTERS("tpfmhc")) && (e = match_phone_keyword(t, i, &st)) != 0) {
            hit(t, "phone", "phone number after a phone label", st, e - st);
            return e;
        }
        if ((c == 'D' || c == 'M' || c == 'P' || c == 'H' || c == 'F') && (e = match_title(t, i)) != 0) {
            hit(t, "person-name", "title and name", i, e - i);
            return e;
        }
        if (in_letters(lc, LETTERS("nposdtrfv")) && (e = match_labelled_name(t, i, &st)) != 0) {
            hit(t, "person-name", "name after a name label", st, e - st);
            return e;
        }
        if (in_letters(lc, LETTERS("hfw")) && (e = match_url(t, i)) != 0) {
            hit(t, "url", "web address in text", i, e - i);
            return e;
        }
        if (is_upper(c) && (e = match_street_name_first(t, i)) != 0) {
            hit(t, "street-address", "street address in text", i, e);
            return i + e;
        }
    }
    return i + 1;
}

size_t scan_detect(const char *text_in, size_t n, unsigned flags, scan_hit *hits, size_t max)
{
    text t = {(const unsigned char *)text_in, n, flags, hits, max, 0};
    if (!text_in || n == 0)
        return 0;
    /* "Doe, Jane": only as a whole short value, never in prose. */
    if ((flags & SCAN_TEXT_WHOLE) && n <= 64 && whole_last_first(&t)) {
        hit(&t, "person-name", "value reads as 'Lastname, Firstname'", 0, n);
        return t.count;
    }
    size_t i = 0;
    while (i < n) {
        int c = t.s[i];
        size_t e, st;
        if (is_digit(c) && !is_digit(before(&t, i))) {
            /* a day before a month name is handled from the month */
            size_t next = detect_digits(&t, i);
            i = next > i ? next : i + 1;
        } else if (c == '(' && is_digit(at(&t, i + 1)) && (e = match_nanp(&t, i)) != 0) {
            hit(&t, "phone", "phone number in text", i, e);
            i += e;
        } else if (c == '+' && (e = match_intl_phone(&t, i)) != 0) {
            hit(&t, "phone", "phone number in text", i, e);
            i += e;
        } else if (c == '@' && (e = match_email(&t, i, &st)) != 0) {
            /* the local part was already passed over: record it from its start */
            hit(&t, "email", "e-mail address in text", st, e - st);
            i = e;
        } else if (c == '^' && (e = match_pn(&t, i, &st)) != 0) {
            hit(&t, "person-name", "DICOM person name (Family^Given)", st, e - st);
            i = e;
        } else if ((c == '/' || c == '\\') && (e = match_user_path(&t, i)) != 0) {
            hit(&t, "user-path", "user name in a file path", i, e);
            i += e;
        } else if (is_alpha(c)) {
            /* every word-level pattern starts at a word start; a word with
             * no hit is passed over whole */
            if (is_alpha(before(&t, i))) {
                i++;
                continue;
            }
            size_t next = detect_alpha(&t, i);
            if (next == i + 1)
                while (next < n && is_alpha(t.s[next]))
                    next++;
            i = next;
        } else {
            i++;
        }
    }
    return t.count;
}
