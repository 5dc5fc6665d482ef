/* CSV reader: one sample per line, a target column and numeric features.
 *
 * Lines come from getline() on a buffered stream and fields are parsed in place: plain
 * integers (the usual pixel values) by a short digit loop, anything else by strtof. That
 * keeps a 60000 x 785 file to about a second. A bad row does not stop the scan, so the
 * message can list the first few of them with their line numbers. nn_csv_scan goes through
 * the same lines parsing only each row's label, for a spec check that must not load the data. */
#include "nn/data.h"
#include "data_util.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_SHOW_BAD 5          /* bad rows quoted in the error message */
#define CSV_MSG 200

nn_csv_options nn_csv_defaults(void)
{
    return (nn_csv_options){.label_col = 0, .header = -1, .scale = 1.0f, .classes = 1, .delim = ','};
}

typedef struct {
    const char *path;
    nn_csv_options o;
    int scan_only;              /* nn_csv_scan: rows are counted and their labels checked */
    int ncols;                  /* fields per row; 0 until the header or first row fixes it */
    long ncols_line;            /* the line that fixed it */
    float *row;                 /* parsed fields of the current line (ncols) */
    float *x, *y;               /* growing sample arrays */
    size_t n, cap;              /* rows stored, rows allocated */
    int nfeat;
    int max_label;
    long n_bad;
    char bad[CSV_SHOW_BAD][CSV_MSG];
} csv_reader;

/* ---- field parsing -------------------------------------------------------------------------- */
static int is_blank(int c) { return c == ' ' || c == '\t'; }

/* Parses a number starting at s (leading blanks allowed). Returns the end, or NULL if the
 * text is not a finite number. */
static const char *parse_number(const char *s, float *v)
{
    while (is_blank(*s)) s++;
    const char *q = s;
    int neg = *q == '-';
    if (*q == '-' || *q == '+') q++;
    if (isdigit((unsigned char)*q)) {           /* fast path: up to 18 digits, no '.' or 'e' */
        int64_t acc = 0;
        int nd = 0;
        while (isdigit((unsigned char)*q) && nd < 18) acc = acc * 10 + (*q++ - '0'), nd++;
        if (!isdigit((unsigned char)*q) && *q != '.' && *q != 'e' && *q != 'E' && *q != 'x' && *q != 'X') {
            *v = neg ? -(float)acc : (float)acc;
            return q;
        }
    }
    char *end;
    float f = strtof(s, &end);
    if (end == s || !isfinite(f)) return NULL;
    *v = f;
    return end;
}

/* Skips one field that is not a number (a header name, maybe "quoted, with commas"). */
static const char *skip_field(const char *p, char delim)
{
    while (is_blank(*p)) p++;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') p++;
        if (*p) p++;
    }
    while (*p && *p != delim) p++;
    return p;
}

typedef struct {
    int count;                  /* fields on the line */
    int n_bad;                  /* fields that are not numbers */
    int first_bad;              /* 0-based index of the first, or -1 */
    const char *bad_at;         /* its text */
} row_scan;

/* Splits line at delim, storing up to max numbers into vals. */
static row_scan parse_row(const char *line, char delim, float *vals, int max)
{
    row_scan r = {0, 0, -1, NULL};
    const char *p = line;
    for (;;) {
        float v = 0;
        const char *end = parse_number(p, &v);
        if (end) {
            while (is_blank(*end)) end++;
            if (*end && *end != delim) end = NULL;
        }
        if (!end) {
            if (r.first_bad < 0) {
                r.first_bad = r.count;
                r.bad_at = p;
            }
            r.n_bad++;
            end = skip_field(p, delim);
        } else if (r.count < max) {
            vals[r.count] = v;
        }
        r.count++;
        if (!*end) return r;
        p = end + 1;
    }
}

/* ---- the reader ----------------------------------------------------------------------------- */
static void report_bad(csv_reader *c, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report_bad(csv_reader *c, long line, const char *fmt, ...)
{
    if (c->n_bad < CSV_SHOW_BAD) {
        char *m = c->bad[c->n_bad];
        int w = snprintf(m, CSV_MSG, "%s:%ld: ", c->path, line);
        if (w > 0 && w < CSV_MSG) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(m + w, CSV_MSG - (size_t)w, fmt, ap);
            va_end(ap);
        }
    }
    c->n_bad++;
}

/* Length of a field's text for quoting it in a message. */
static int field_len(const char *s, char delim)
{
    int n = 0;
    while (s[n] && s[n] != delim && n < 24) n++;
    return n;
}

/* Fixes the column count (from a header or the first row) and checks the options against it. */
static int set_columns(csv_reader *c, int ncols, long line, char *err, size_t errlen)
{
    c->ncols = ncols;
    c->ncols_line = line;
    if (c->o.label_col >= ncols)
        return nn_fail(err, errlen, "%s:%ld: label column %d does not exist (rows have %d fields, numbered from 0)",
                            c->path, line, c->o.label_col, ncols);
    c->nfeat = ncols - (c->o.label_col >= 0);
    if (c->nfeat < 1) return nn_fail(err, errlen, "%s:%ld: rows have no feature columns", c->path, line);
    if (c->o.sample.ndim > 0 && nn_shape_numel(&c->o.sample) != (size_t)c->nfeat) {
        char s[64];
        return nn_fail(err, errlen, "%s: rows have %d features but the sample shape %s holds %zu", c->path,
                            c->nfeat, nn_shape_str(&c->o.sample, s, sizeof s), nn_shape_numel(&c->o.sample));
    }
    c->row = malloc((size_t)ncols * sizeof *c->row);
    if (!c->row) return nn_fail(err, errlen, "%s: out of memory", c->path);
    return 0;
}

static int grow(csv_reader *c)
{
    size_t cap = c->cap ? 2 * c->cap : 1024;
    float *x = realloc(c->x, cap * (size_t)c->nfeat * sizeof *x);
    if (!x) return -1;
    c->x = x;
    if (c->o.label_col >= 0) {
        float *y = realloc(c->y, cap * sizeof *y);
        if (!y) return -1;
        c->y = y;
    }
    c->cap = cap;
    return 0;
}

/* A class id: a whole number >= 0, below the model's classes when they are given. 0, or -1
 * (a bad row, reported). */
static int check_label(csv_reader *c, float v, long lno)
{
    int k = c->o.model_classes;
    if (v < 0 || v != floorf(v) || v > 1e6f) {
        report_bad(c, lno, "label (field %d) must be a class id (a whole number >= 0), got %g", c->o.label_col + 1, v);
        return -1;
    }
    if (k > 0 && v >= (float)k) {
        report_bad(c, lno, "label %g, but the model predicts %d class%s (0..%d)", v, k, k == 1 ? "" : "es", k - 1);
        return -1;
    }
    if ((int)v > c->max_label) c->max_label = (int)v;
    return 0;
}

/* A row for nn_csv_scan: counted, and its label field (found by skipping the fields before it)
 * checked. */
static int scan_row(csv_reader *c, const char *line, long lno, char *err, size_t errlen)
{
    if (c->n == INT_MAX) return nn_fail(err, errlen, "%s:%ld: more than %d rows", c->path, lno, INT_MAX);
    c->n++;
    int lc = c->o.label_col;
    if (lc < 0 || !c->o.classes) return 0;
    const char *p = line;
    for (int k = 0; k < lc && *p; k++) {
        p = skip_field(p, c->o.delim);
        if (*p) p++;
    }
    float v = 0;
    const char *end = parse_number(p, &v);
    while (end && is_blank(*end)) end++;
    if (!end || (*end && *end != c->o.delim)) {
        report_bad(c, lno, "label (field %d) is not a number: '%.*s'", lc + 1, field_len(p, c->o.delim), p);
        return 0;
    }
    check_label(c, v, lno);
    return 0;
}

/* Checks one row's fields and, while the file is still clean, stores it. */
static int take_row(csv_reader *c, const char *line, long lno, char *err, size_t errlen)
{
    row_scan r = parse_row(line, c->o.delim, c->row, c->ncols);
    if (r.count != c->ncols) {
        report_bad(c, lno, "%d fields, expected %d (as on line %ld)", r.count, c->ncols, c->ncols_line);
        return 0;
    }
    if (r.first_bad >= 0) {
        report_bad(c, lno, "field %d of %d is not a number: '%.*s'", r.first_bad + 1, c->ncols,
                   field_len(r.bad_at, c->o.delim), r.bad_at);
        return 0;
    }
    int lc = c->o.label_col;
    if (lc >= 0 && c->o.classes && check_label(c, c->row[lc], lno) < 0) return 0;
    if (c->n_bad) return 0;                     /* the load will fail: stop storing */
    if (c->n == INT_MAX) return nn_fail(err, errlen, "%s:%ld: more than %d rows", c->path, lno, INT_MAX);
    if (c->n == c->cap && grow(c) < 0) return nn_fail(err, errlen, "%s: out of memory at line %ld", c->path, lno);
    float *x = c->x + c->n * (size_t)c->nfeat;
    for (int k = 0, j = 0; k < c->ncols; k++)
        if (k != lc) x[j++] = c->row[k] * c->o.scale;
    if (lc >= 0) c->y[c->n] = c->row[lc];
    c->n++;
    return 0;
}

/* A data row: stored by a load, counted and its label checked by a scan. */
static int next_row(csv_reader *c, const char *line, long lno, char *err, size_t errlen)
{
    return c->scan_only ? scan_row(c, line, lno, err, errlen) : take_row(c, line, lno, err, errlen);
}

/* The first non-blank line: a header (options say so, or auto and mostly non-numeric), or data. */
static int take_first_line(csv_reader *c, const char *line, long lno, char *err, size_t errlen)
{
    row_scan r = parse_row(line, c->o.delim, NULL, 0);
    int header = c->o.header == 1 || (c->o.header < 0 && 2 * r.n_bad >= r.count);
    if (set_columns(c, r.count, lno, err, errlen) < 0) return -1;
    return header ? 0 : next_row(c, line, lno, err, errlen);
}

static int read_lines(csv_reader *c, FILE *f, char *err, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        const char *s = line;
        while (is_blank(*s)) s++;
        if (!*s) continue;
        rc = c->ncols ? next_row(c, line, lno, err, errlen) : take_first_line(c, line, lno, err, errlen);
    }
    if (rc == 0 && ferror(f)) rc = nn_fail(err, errlen, "%s: read error: %s", c->path, strerror(errno));
    free(line);
    return rc;
}

/* "file: 3 bad rows (first 3 shown); fix or remove them:\n  file:4: ..." */
static int fail_bad_rows(const csv_reader *c, char *err, size_t errlen)
{
    if (!err || !errlen) return -1;
    long shown = c->n_bad < CSV_SHOW_BAD ? c->n_bad : CSV_SHOW_BAD;
    size_t used = 0;
    char more[48] = "";
    if (c->n_bad > shown) snprintf(more, sizeof more, " (first %ld shown)", shown);
    int w = snprintf(err, errlen, "%s: %ld bad row%s%s; fix or remove them:", c->path, c->n_bad,
                     c->n_bad == 1 ? "" : "s", more);
    for (long i = 0; w >= 0 && (used += (size_t)w) < errlen && i < shown; i++)
        w = snprintf(err + used, errlen - used, "\n  %s", c->bad[i]);
    return -1;
}

static int finish(csv_reader *c, nn_dataset *out, char *err, size_t errlen)
{
    if (c->n_bad) return fail_bad_rows(c, err, errlen);
    if (c->n == 0) return nn_fail(err, errlen, "%s: no data rows", c->path);
    out->n = (int)c->n;
    out->sample = c->o.sample.ndim > 0 ? c->o.sample : nn_shape1(c->nfeat);
    float *x = realloc(c->x, c->n * (size_t)c->nfeat * sizeof *x);   /* drop the slack */
    out->x = x ? x : c->x;
    c->x = NULL;
    if (c->o.label_col >= 0) {
        out->y_dim = 1;
        out->y = c->y;
        c->y = NULL;
        out->n_classes = c->o.classes ? c->max_label + 1 : 0;
    }
    return 0;
}

/* Checks the options, then reads every line of the file into c. */
static int read_file(csv_reader *c, char *err, size_t errlen)
{
    if (c->o.label_col < -1) return nn_fail(err, errlen, "%s: label column %d is invalid", c->path, c->o.label_col);
    if (c->o.delim == 0 || c->o.delim == '\n' || c->o.delim == '"' || isdigit((unsigned char)c->o.delim))
        return nn_fail(err, errlen, "%s: invalid field separator", c->path);
    FILE *f = nn_data_fopen(c->path, err, errlen);
    if (!f) return -1;
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    int rc = read_lines(c, f, err, errlen);
    fclose(f);
    return rc;
}

int nn_load_csv(const char *path, const nn_csv_options *o, nn_dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    csv_reader c = {.path = path, .o = o ? *o : nn_csv_defaults()};
    int rc = read_file(&c, err, errlen);
    if (rc == 0) rc = finish(&c, out, err, errlen);
    free(c.row);
    free(c.x);
    free(c.y);
    if (rc < 0) nn_dataset_free(out);
    return rc;
}

int nn_csv_scan(const char *path, const nn_csv_options *o, nn_csv_info *info, char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    csv_reader c = {.path = path, .o = o ? *o : nn_csv_defaults(), .scan_only = 1};
    int rc = read_file(&c, err, errlen);
    if (rc == 0 && c.n_bad) rc = fail_bad_rows(&c, err, errlen);
    if (rc == 0 && c.n == 0) rc = nn_fail(err, errlen, "%s: no data rows", path);
    if (rc == 0)
        *info = (nn_csv_info){(int)c.n, c.nfeat, c.o.label_col >= 0 && c.o.classes ? c.max_label + 1 : 0};
    free(c.row);
    return rc;
}
