/* Writing safetensors checkpoints, atomically (nn/atomic_file.h: temp file in the same
 * directory, fsync, rename, fsync the directory). The header is padded with spaces to a
 * multiple of 8 so the data buffer starts 8-byte aligned (readers can then use F32 data in
 * place). */
#include "nn/safetensors.h"
#include "nn/atomic_file.h"
#include "json_lite.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
} wr_ctx;

static int wr_fail(const wr_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int wr_fail(const wr_ctx *c, const char *fmt, ...)
{
    if (!c->errlen) return -1;
    int k = snprintf(c->err, c->errlen, "%s: ", c->path ? c->path : "(null path)");
    if (k < 0 || (size_t)k >= c->errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- argument checks (before anything touches the disk) ---- */

static int cmp_str_ptr(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Returns the first string appearing twice in s[0..n), or NULL. */
static const char *first_duplicate(const char **s, int n, int *oom)
{
    *oom = 0;
    if (n < 2) return NULL;
    const char **sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted) return *oom = 1, NULL;
    memcpy(sorted, s, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_str_ptr);
    const char *dup = NULL;
    for (int i = 1; i < n && !dup; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0) dup = sorted[i];
    free(sorted);
    return dup;
}

static int check_unique(const wr_ctx *c, const char **names, int n, const char *what)
{
    int oom;
    const char *dup = first_duplicate(names, n, &oom);
    if (oom) return wr_fail(c, "out of memory");
    if (dup) return wr_fail(c, "%s '%.80s' appears twice", what, dup);
    return 0;
}

static int check_tensor(const wr_ctx *c, const nn_st_tensor *t)
{
    if (!t->name) return wr_fail(c, "a tensor has no name");
    if (!jl_utf8_valid(t->name, strlen(t->name))) return wr_fail(c, "tensor name '%.80s' is not valid UTF-8", t->name);
    if (strcmp(t->name, "__metadata__") == 0) return wr_fail(c, "'__metadata__' is reserved and cannot name a tensor");
    if (t->shape.ndim < 0 || t->shape.ndim > NN_MAX_DIMS)
        return wr_fail(c, "tensor '%.80s': %d dims (0..%d allowed)", t->name, t->shape.ndim, NN_MAX_DIMS);
    uint64_t numel = 1;
    for (int i = 0; i < t->shape.ndim; i++) {
        if (t->shape.d[i] < 0) return wr_fail(c, "tensor '%.80s': negative dim %d", t->name, t->shape.d[i]);
        if (t->shape.d[i] && numel > (UINT64_MAX / 4) / (uint64_t)t->shape.d[i])
            return wr_fail(c, "tensor '%.80s': element count overflows", t->name);
        numel *= (uint64_t)t->shape.d[i];
    }
    if (!t->data && nn_shape_numel(&t->shape) > 0) return wr_fail(c, "tensor '%.80s' has no data", t->name);
    return 0;
}

static int check_args(const wr_ctx *c, const nn_st_tensor *t, int n, const nn_st_meta *meta, int n_meta)
{
    if (!c->path) return wr_fail(c, "no path given");
    if (n < 0 || n_meta < 0 || (n && !t) || (n_meta && !meta)) return wr_fail(c, "bad tensor or metadata list");
    int count = n > n_meta ? n : n_meta;
    const char **names = malloc(((size_t)count + 1) * sizeof *names);
    if (!names) return wr_fail(c, "out of memory");
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        rc = check_tensor(c, &t[i]);
        names[i] = t[i].name;
    }
    if (!rc) rc = check_unique(c, names, n, "tensor name");
    for (int i = 0; i < n_meta && !rc; i++) {
        const nn_st_meta *m = &meta[i];
        if (!m->key || !m->value) rc = wr_fail(c, "metadata entry %d has no key or no value", i);
        else if (!jl_utf8_valid(m->key, strlen(m->key)) || !jl_utf8_valid(m->value, strlen(m->value)))
            rc = wr_fail(c, "metadata '%.80s' is not valid UTF-8", m->key);
        names[i] = m->key;
    }
    if (!rc) rc = check_unique(c, names, n_meta, "metadata key");
    free(names);
    return rc;
}

/* ---- header text ---- */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} strbuf;

static char *sb_reserve(strbuf *b, size_t extra)
{
    if (b->oom) return NULL;
    if (b->len + extra > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return b->oom = 1, NULL;
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->len;
}

static void sb_put(strbuf *b, const char *s)
{
    size_t n = strlen(s);
    char *dst = sb_reserve(b, n);
    if (dst) memcpy(dst, s, n), b->len += n;
}

static void sb_json_string(strbuf *b, const char *s)
{
    size_t n = jl_escape(s, NULL);
    char *dst = sb_reserve(b, n);
    if (dst) jl_escape(s, dst), b->len += n;
}

static void sb_u64(strbuf *b, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    sb_put(b, num);
}

static void put_metadata(strbuf *b, const nn_st_meta *meta, int n_meta)
{
    sb_put(b, "\"__metadata__\":{");
    for (int i = 0; i < n_meta; i++) {
        if (i) sb_put(b, ",");
        sb_json_string(b, meta[i].key);
        sb_put(b, ":");
        sb_json_string(b, meta[i].value);
    }
    sb_put(b, "}");
}

/* {"__metadata__":{..},"name":{"dtype":"F32","shape":[..],"data_offsets":[b,e]},..} padded
 * with spaces to a multiple of 8 bytes. Tensors are laid out back to back in the given order. */
static int build_header(strbuf *b, const nn_st_tensor *t, int n, const nn_st_meta *meta, int n_meta)
{
    sb_put(b, "{");
    if (n_meta) put_metadata(b, meta, n_meta);
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        if (i || n_meta) sb_put(b, ",");
        sb_json_string(b, t[i].name);
        sb_put(b, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t[i].shape.ndim; d++) {
            if (d) sb_put(b, ",");
            sb_u64(b, (uint64_t)t[i].shape.d[d]);
        }
        sb_put(b, "],\"data_offsets\":[");
        sb_u64(b, offset);
        sb_put(b, ",");
        offset += nn_shape_numel(&t[i].shape) * sizeof(float);
        sb_u64(b, offset);
        sb_put(b, "]}");
    }
    sb_put(b, "}");
    while (!b->oom && b->len % 8) sb_put(b, " ");
    return b->oom ? -1 : 0;
}

/* ---- the bytes ---- */

static int host_is_little_endian(void)
{
    uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Writes n floats little-endian; on big-endian hosts through a small swap buffer. */
static int write_floats(FILE *fp, const float *x, size_t n)
{
    if (host_is_little_endian()) return fwrite(x, sizeof(float), n, fp) == n ? 0 : -1;
    unsigned char buf[4096];
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; i < n && k + 4 <= sizeof buf; i++, k += 4) {
            uint32_t u;
            memcpy(&u, &x[i], 4);
            for (int j = 0; j < 4; j++) buf[k + (size_t)j] = (unsigned char)(u >> (8 * j));
        }
        if (fwrite(buf, 1, k, fp) != k) return -1;
    }
    return 0;
}

static int write_contents(FILE *fp, const strbuf *h, const nn_st_tensor *t, int n)
{
    unsigned char prefix[8];
    for (int j = 0; j < 8; j++) prefix[j] = (unsigned char)((uint64_t)h->len >> (8 * j));
    if (fwrite(prefix, 1, 8, fp) != 8 || fwrite(h->p, 1, h->len, fp) != h->len) return -1;
    for (int i = 0; i < n; i++)
        if (write_floats(fp, t[i].data, nn_shape_numel(&t[i].shape))) return -1;
    return 0;
}

int nn_st_write_into(nn_atomic_file *af, const nn_st_tensor *t, int n, const nn_st_meta *meta, int n_meta, char *err,
                     size_t errlen)
{
    wr_ctx c = {nn_atomic_path(af), err, errlen};
    if (!af) return wr_fail(&c, "no file to write into");
    if (check_args(&c, t, n, meta, n_meta)) return -1;
    strbuf h = {0};
    int rc = build_header(&h, t, n, meta, n_meta) ? wr_fail(&c, "out of memory building the header") : 0;
    if (rc == 0) write_contents(nn_atomic_stream(af), &h, t, n);   /* a failed write is the commit's to report */
    free(h.p);
    return rc;
}

/* Through nn/atomic_file.h: temp file, fsync, rename, fsync of the directory. */
int nn_st_write(const char *path, const nn_st_tensor *t, int n, const nn_st_meta *meta, int n_meta,
                char *err, size_t errlen)
{
    wr_ctx c = {path, err, errlen};
    if (check_args(&c, t, n, meta, n_meta)) return -1;   /* before anything touches the disk */
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    if (nn_st_write_into(af, t, n, meta, n_meta, err, errlen) < 0) {
        nn_atomic_abort(af);
        return -1;
    }
    return nn_atomic_commit(af, err, errlen);
}
