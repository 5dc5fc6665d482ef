/* Diagnostics collection, printing, and did-you-mean suggestions. */
#include "diag.h"
#include "ydoc.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(diag *d) { memset(d, 0, sizeof *d); }

void diag_free(diag *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->items[i].file);
        free(d->items[i].msg);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}

/* Takes ownership of msg. Out of memory drops the entry but still counts an error, so a
 * caller never mistakes a failed report for success. */
static void push_entry(diag *d, diag_level level, const char *file, int line, int col, char *msg)
{
    if (level == DIAG_ERROR) d->n_errors++;
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 8;
        diag_entry *p = realloc(d->items, (size_t)cap * sizeof *p);
        if (!p) { free(msg); return; }
        d->items = p;
        d->cap = cap;
    }
    char *f = strdup(file ? file : "<unknown>");
    if (!f || !msg) { free(f); free(msg); return; }
    d->items[d->n++] = (diag_entry){level, f, line, col, msg};
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int len = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (len < 0) return NULL;
    char *s = malloc((size_t)len + 1);
    if (s) vsnprintf(s, (size_t)len + 1, fmt, ap);
    return s;
}

void diag_add(diag *d, diag_level level, const char *file, int line, int col, const char *msg)
{
    push_entry(d, level, file, line, col, strdup(msg ? msg : ""));
}

void diag_error(diag *d, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push_entry(d, DIAG_ERROR, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, vformat(fmt, ap));
    va_end(ap);
}

void diag_warning(diag *d, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push_entry(d, DIAG_WARNING, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, vformat(fmt, ap));
    va_end(ap);
}

void diag_error_at(diag *d, const char *file, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push_entry(d, DIAG_ERROR, file, line, col, vformat(fmt, ap));
    va_end(ap);
}

void diag_warning_at(diag *d, const char *file, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push_entry(d, DIAG_WARNING, file, line, col, vformat(fmt, ap));
    va_end(ap);
}

void diag_print(const diag *d, FILE *out)
{
    for (int i = 0; i < d->n; i++) {
        const diag_entry *e = &d->items[i];
        const char *lvl = e->level == DIAG_ERROR ? "error" : "warning";
        if (e->line > 0)
            fprintf(out, "%s:%d:%d: %s: %s\n", e->file, e->line, e->col, lvl, e->msg);
        else
            fprintf(out, "%s: %s: %s\n", e->file, lvl, e->msg);
    }
}

int diag_count(const diag *d) { return d->n_errors; }

/* ---- did-you-mean ------------------------------------------------------------------- */

int diag_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return la > lb ? (int)la : (int)lb;   /* not a typo of a key */
    int dp[65][65];                       /* dp[i][j]: distance of a[0..i) to b[0..j) */
    for (size_t i = 0; i <= la; i++) dp[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) dp[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            int best = dp[i - 1][j - 1] + (ca != cb);
            if (dp[i - 1][j] + 1 < best) best = dp[i - 1][j] + 1;
            if (dp[i][j - 1] + 1 < best) best = dp[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) == cb &&
                dp[i - 2][j - 2] + 1 < best)
                best = dp[i - 2][j - 2] + 1;
            dp[i][j] = best;
        }
    }
    return dp[la][lb];
}

const char *diag_suggest(const char *word, const char *const *choices, int n)
{
    int limit = strlen(word) <= 4 ? 1 : 2;
    const char *best = NULL;
    int best_d = limit + 1;
    for (int i = 0; i < n; i++) {
        int dist = diag_edit_distance(word, choices[i]);
        if (dist < best_d) { best_d = dist; best = choices[i]; }
    }
    return best;
}

/* A growable string; on OOM it stays NULL and further appends are no-ops. */
typedef struct { char *s; size_t len, cap; int oom; } strbuf;

static void sb_add(strbuf *b, const char *t)
{
    if (b->oom) return;
    size_t tl = strlen(t);
    if (b->len + tl + 1 > b->cap) {
        size_t cap = (b->len + tl + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) { free(b->s); b->s = NULL; b->oom = 1; return; }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, t, tl + 1);
    b->len += tl;
}

char *diag_unknown_msg(const char *what, const char *word, const char *where, const char *const *choices, int n)
{
    strbuf b = {0};
    sb_add(&b, "unknown ");
    sb_add(&b, what);
    sb_add(&b, " '");
    sb_add(&b, word);
    sb_add(&b, "'");
    if (where) {
        sb_add(&b, " in '");
        sb_add(&b, where);
        sb_add(&b, "'");
    }
    const char *s = diag_suggest(word, choices, n);
    if (s) {
        sb_add(&b, " (did you mean '");
        sb_add(&b, s);
        sb_add(&b, "'?)");
    } else if (n > 0) {
        sb_add(&b, " (expected one of: ");
        for (int i = 0; i < n; i++) {
            if (i) sb_add(&b, ", ");
            sb_add(&b, choices[i]);
        }
        sb_add(&b, ")");
    }
    return b.s;
}

void diag_unknown_at(diag *d, const char *file, int line, int col, const char *what, const char *word,
                     const char *where, const char *const *choices, int n)
{
    push_entry(d, DIAG_ERROR, file, line, col, diag_unknown_msg(what, word, where, choices, n));
}

void diag_unknown_key(diag *d, const ynode *map, int i, const char *where, const char *const *choices, int n)
{
    diag_unknown_at(d, map->file, map->key_line[i], map->key_col[i], "key", map->keys[i], where, choices, n);
}
