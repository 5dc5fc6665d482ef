/* Reading safetensors checkpoints. The file is read in one go into memory, then validated
 * entirely (header, entries, layout) before any tensor is handed out; a hostile file can at
 * worst make us allocate about twice its own size (converting 16-bit data to float). */
#include "nn/safetensors.h"
#include "nn/regular_file.h"
#include "json_lite.h"
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *name;       /* in the JSON string pool */
    const char *dtype;      /* static table string */
    int dtype_size;         /* bytes per element */
    nn_shape shape;
    uint64_t begin, end;    /* byte range in the data buffer */
    const float *data;      /* into raw (aligned little-endian F32) or into owned */
    float *owned;           /* converted copy, else NULL */
} st_entry;

struct nn_st_file {
    unsigned char *raw;     /* the whole file */
    size_t raw_len;
    jl_doc doc;             /* parsed header; names and metadata strings live in its pool */
    st_entry *t;
    int n;
    nn_st_meta *meta;
    int n_meta;
};

/* Context for one open: where messages go. */
typedef struct {
    const char *path;
    char *err;
    size_t errlen;
} st_ctx;

static int st_fail(const st_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int st_fail(const st_ctx *c, const char *fmt, ...)
{
    if (!c->errlen) return -1;
    int k = snprintf(c->err, c->errlen, "%s: ", c->path);
    if (k < 0 || (size_t)k >= c->errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- the file, read once ---- */

static int read_whole_file(const st_ctx *c, unsigned char **out, size_t *out_len)
{
    char why[NN_WHY_LEN];
    int fd = nn_open_regular(c->path, why, sizeof why);
    if (fd < 0) return st_fail(c, "%s", why);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return st_fail(c, "cannot read its size: %s", strerror(e));
    }
    size_t len = (size_t)st.st_size;
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf) {
        close(fd);
        return st_fail(c, "out of memory reading %zu bytes", len);
    }
    size_t got = 0;
    errno = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    int read_errno = errno;
    close(fd);
    if (got != len) {
        free(buf);
        return st_fail(c, "read %zu of %zu bytes (%s); was the file changed while reading?", got, len,
                       read_errno ? strerror(read_errno) : "early end of file");
    }
    *out = buf;
    *out_len = len;
    return 0;
}

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint32_t load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t load_le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Validates the 8-byte prefix; returns the header length in *n. */
static int check_prefix(const st_ctx *c, size_t file_len, uint64_t *n, const unsigned char *raw)
{
    if (file_len < 8)
        return st_fail(c, "file is %zu bytes, shorter than the 8-byte header length; truncated or not a safetensors file",
                       file_len);
    *n = load_le64(raw);
    if (*n == 0) return st_fail(c, "header length is 0; not a safetensors file");
    if (*n > NN_ST_MAX_HEADER)
        return st_fail(c, "header length %llu exceeds the %llu-byte limit; corrupt or not a safetensors file",
                       (unsigned long long)*n, NN_ST_MAX_HEADER);
    if (*n > file_len - 8)
        return st_fail(c, "header length %llu is larger than the %zu bytes after it; the file is truncated",
                       (unsigned long long)*n, file_len - 8);
    return 0;
}

/* ---- dtypes ---- */

typedef enum { DT_F32, DT_F64, DT_F16, DT_BF16 } st_dtype;
static const struct { const char *name; int size; st_dtype id; } dtypes[] = {
    {"F32", 4, DT_F32}, {"F64", 8, DT_F64}, {"F16", 2, DT_F16}, {"BF16", 2, DT_BF16},
};
#define N_DTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

static int find_dtype(const char *s)
{
    for (int i = 0; i < N_DTYPES; i++)
        if (strcmp(dtypes[i].name, s) == 0) return i;
    return -1;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    if (exp == 0) {   /* zero or subnormal: mant * 2^-24, exact in float */
        float v = (float)mant * 0x1p-24f;
        return sign ? -v : v;
    }
    uint32_t bits = exp == 31 ? sign | 0x7F800000u | mant << 13             /* inf / NaN */
                              : sign | (exp - 15 + 127) << 23 | mant << 13;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float double_to_float(double d)
{
    /* Out-of-range double -> float is undefined in C; saturate to infinity explicitly. */
    if (d > FLT_MAX) return INFINITY;
    if (d < -FLT_MAX) return -INFINITY;
    return (float)d;
}

static float load_element(const unsigned char *p, st_dtype dt)
{
    uint32_t bits;
    float f;
    switch (dt) {
    case DT_F32: bits = load_le32(p); break;
    case DT_BF16: bits = (uint32_t)load_le16(p) << 16; break;
    case DT_F16: return half_to_float(load_le16(p));
    case DT_F64: {
        uint64_t b = load_le64(p);
        double d;
        memcpy(&d, &b, sizeof d);
        return double_to_float(d);
    }
    default: return 0.0f;
    }
    memcpy(&f, &bits, sizeof f);
    return f;
}

static int host_is_little_endian(void)
{
    uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* ---- header entries ---- */

static const jl_value *member(const jl_doc *d, const jl_value *obj, const char *key)
{
    for (int c = obj->first; c >= 0; c = d->v[c].next)
        if (strcmp(d->v[c].key, key) == 0) return &d->v[c];
    return NULL;
}

static const char *type_name(jl_type t)
{
    static const char *names[] = {"null", "false", "true", "a number", "a string", "an array", "an object"};
    return names[t];
}

static int parse_metadata(const st_ctx *c, nn_st_file *f, const jl_value *m)
{
    if (m->type != JL_OBJECT) return st_fail(c, "__metadata__ must be an object of strings, got %s", type_name(m->type));
    f->meta = calloc((size_t)m->n + 1, sizeof *f->meta);
    if (!f->meta) return st_fail(c, "out of memory");
    for (int k = m->first; k >= 0; k = f->doc.v[k].next) {
        const jl_value *v = &f->doc.v[k];
        if (v->type != JL_STRING)
            return st_fail(c, "metadata '%.80s' must be a string, got %s", v->key, type_name(v->type));
        f->meta[f->n_meta++] = (nn_st_meta){v->key, v->str};
    }
    return 0;
}

static int parse_shape(const st_ctx *c, const jl_doc *d, const jl_value *s, st_entry *e)
{
    if (!s || s->type != JL_ARRAY)
        return st_fail(c, "tensor '%.80s': 'shape' must be an array of non-negative integers", e->name);
    if (s->n > NN_MAX_DIMS)
        return st_fail(c, "tensor '%.80s': shape has %d dims; at most %d are supported", e->name, s->n, NN_MAX_DIMS);
    e->shape = nn_shape1(1);   /* a 0-d scalar holds one element */
    if (s->n == 0) return 0;
    e->shape.ndim = s->n;
    int i = 0;
    for (int k = s->first; k >= 0; k = d->v[k].next, i++) {
        const jl_value *v = &d->v[k];
        if (v->type != JL_NUMBER || !v->is_uint || v->u > INT_MAX)
            return st_fail(c, "tensor '%.80s': shape[%d] must be a non-negative integer below 2^31", e->name, i);
        e->shape.d[i] = (int)v->u;
    }
    return 0;
}

static int parse_offsets(const st_ctx *c, const jl_doc *d, const jl_value *o, st_entry *e)
{
    const jl_value *b = o && o->type == JL_ARRAY && o->n == 2 ? &d->v[o->first] : NULL;
    const jl_value *x = b ? &d->v[b->next] : NULL;
    if (!b || b->type != JL_NUMBER || !b->is_uint || x->type != JL_NUMBER || !x->is_uint)
        return st_fail(c, "tensor '%.80s': 'data_offsets' must be [begin, end], two non-negative integers", e->name);
    e->begin = b->u;
    e->end = x->u;
    return 0;
}

/* Byte count of numel(shape) elements, or -1 on overflow. */
static int shape_bytes(const nn_shape *s, int dtype_size, uint64_t *bytes)
{
    uint64_t n = 1;
    for (int i = 0; i < s->ndim; i++) {
        uint64_t dim = (uint64_t)s->d[i];
        if (dim && n > UINT64_MAX / dim) return -1;
        n *= dim;
    }
    if (n > UINT64_MAX / (uint64_t)dtype_size || n > SIZE_MAX / sizeof(float)) return -1;
    *bytes = n * (uint64_t)dtype_size;
    return 0;
}

static int check_entry_size(const st_ctx *c, const st_entry *e, uint64_t data_len)
{
    char sb[64];
    uint64_t need;
    if (e->begin > e->end)
        return st_fail(c, "tensor '%.80s': data_offsets [%llu, %llu] begin after end", e->name,
                       (unsigned long long)e->begin, (unsigned long long)e->end);
    if (e->end > data_len)
        return st_fail(c, "tensor '%.80s': data_offsets end %llu is beyond the data buffer (%llu bytes); truncated file?",
                       e->name, (unsigned long long)e->end, (unsigned long long)data_len);
    if (shape_bytes(&e->shape, e->dtype_size, &need))
        return st_fail(c, "tensor '%.80s': shape %s element count overflows", e->name, nn_shape_str(&e->shape, sb, sizeof sb));
    if (e->end - e->begin != need)
        return st_fail(c, "tensor '%.80s': data_offsets [%llu, %llu] hold %llu bytes but shape %s of %s needs %llu",
                       e->name, (unsigned long long)e->begin, (unsigned long long)e->end,
                       (unsigned long long)(e->end - e->begin), nn_shape_str(&e->shape, sb, sizeof sb), e->dtype,
                       (unsigned long long)need);
    return 0;
}

static int parse_entry(const st_ctx *c, const jl_doc *d, const jl_value *v, st_entry *e, uint64_t data_len)
{
    e->name = v->key;
    if (v->type != JL_OBJECT)
        return st_fail(c, "tensor '%.80s': entry must be an object with dtype, shape and data_offsets, got %s", e->name,
                       type_name(v->type));
    for (int k = v->first; k >= 0; k = d->v[k].next) {
        const char *key = d->v[k].key;
        if (strcmp(key, "dtype") && strcmp(key, "shape") && strcmp(key, "data_offsets"))
            return st_fail(c, "tensor '%.80s': unknown field '%.80s' (expected dtype, shape, data_offsets)", e->name, key);
    }
    const jl_value *dt = member(d, v, "dtype"), *sh = member(d, v, "shape"), *off = member(d, v, "data_offsets");
    const char *missing = !dt ? "dtype" : !sh ? "shape" : !off ? "data_offsets" : NULL;
    if (missing) return st_fail(c, "tensor '%.80s': missing '%s'", e->name, missing);
    if (dt->type != JL_STRING) return st_fail(c, "tensor '%.80s': 'dtype' must be a string", e->name);
    int di = find_dtype(dt->str);
    if (di < 0)
        return st_fail(c, "tensor '%.80s': dtype %.40s is not supported (nnrun reads F32, F64, F16, BF16)", e->name, dt->str);
    e->dtype = dtypes[di].name;
    e->dtype_size = dtypes[di].size;
    if (parse_shape(c, d, sh, e) || parse_offsets(c, d, off, e)) return -1;
    return check_entry_size(c, e, data_len);
}

static int parse_entries(const st_ctx *c, nn_st_file *f, uint64_t data_len)
{
    const jl_doc *d = &f->doc;
    const jl_value *root = &d->v[0];
    if (root->type != JL_OBJECT) return st_fail(c, "header must be a JSON object, got %s", type_name(root->type));
    f->t = calloc((size_t)root->n + 1, sizeof *f->t);
    if (!f->t) return st_fail(c, "out of memory");
    for (int k = root->first; k >= 0; k = d->v[k].next) {
        const jl_value *v = &d->v[k];
        if (strcmp(v->key, "__metadata__") == 0) {
            if (parse_metadata(c, f, v)) return -1;
        } else if (parse_entry(c, d, v, &f->t[f->n++], data_len)) {
            return -1;
        }
    }
    return 0;
}

/* ---- layout: the tensors must tile the data buffer exactly ---- */

static int cmp_range(const void *a, const void *b)
{
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int check_layout(const st_ctx *c, nn_st_file *f, uint64_t data_len)
{
    st_entry **by_pos = malloc(((size_t)f->n + 1) * sizeof *by_pos);
    if (!by_pos) return st_fail(c, "out of memory");
    for (int i = 0; i < f->n; i++) by_pos[i] = &f->t[i];
    qsort(by_pos, (size_t)f->n, sizeof *by_pos, cmp_range);
    uint64_t pos = 0;
    int rc = 0;
    for (int i = 0; i < f->n && !rc; i++) {
        const st_entry *e = by_pos[i];
        if (e->begin > pos)
            rc = st_fail(c, "data bytes [%llu, %llu) belong to no tensor (holes are not allowed)", (unsigned long long)pos,
                         (unsigned long long)e->begin);
        else if (e->begin < pos)
            rc = st_fail(c, "tensor '%.80s' [%llu, %llu] overlaps tensor '%.80s' ending at %llu", e->name,
                         (unsigned long long)e->begin, (unsigned long long)e->end, by_pos[i - 1]->name,
                         (unsigned long long)pos);
        pos = e->end;
    }
    if (!rc && pos != data_len)
        rc = st_fail(c, "the last %llu bytes of the data buffer belong to no tensor (holes are not allowed)",
                     (unsigned long long)(data_len - pos));
    free(by_pos);
    return rc;
}

/* ---- data: point into the file where possible, else convert ---- */

static int attach_data(const st_ctx *c, nn_st_file *f, const unsigned char *buf)
{
    int le = host_is_little_endian();
    for (int i = 0; i < f->n; i++) {
        st_entry *e = &f->t[i];
        const unsigned char *src = buf + e->begin;
        size_t numel = (size_t)((e->end - e->begin) / (uint64_t)e->dtype_size);
        if (le && e->dtype_size == 4 && (uintptr_t)src % _Alignof(float) == 0) {
            e->data = (const float *)(const void *)src;
            continue;
        }
        st_dtype dt = dtypes[find_dtype(e->dtype)].id;
        e->owned = malloc(numel ? numel * sizeof(float) : sizeof(float));
        if (!e->owned) return st_fail(c, "out of memory converting tensor '%.80s' (%zu elements)", e->name, numel);
        for (size_t k = 0; k < numel; k++) e->owned[k] = load_element(src + k * (size_t)e->dtype_size, dt);
        e->data = e->owned;
    }
    return 0;
}

nn_st_file *nn_st_open(const char *path, char *err, size_t errlen)
{
    st_ctx c = {path ? path : "(null path)", err, errlen};
    if (!path) return st_fail(&c, "no path given"), NULL;
    nn_st_file *f = calloc(1, sizeof *f);
    if (!f) return st_fail(&c, "out of memory"), NULL;
    uint64_t hlen = 0;
    if (read_whole_file(&c, &f->raw, &f->raw_len) || check_prefix(&c, f->raw_len, &hlen, f->raw)) goto fail;
    char jerr[300];
    if (jl_parse(&f->doc, (const char *)f->raw + 8, (size_t)hlen, jerr, sizeof jerr)) {
        st_fail(&c, "header (%llu bytes at offset 8): %s", (unsigned long long)hlen, jerr);
        goto fail;
    }
    uint64_t data_len = f->raw_len - 8 - hlen;
    if (parse_entries(&c, f, data_len) || check_layout(&c, f, data_len) || attach_data(&c, f, f->raw + 8 + hlen))
        goto fail;
    return f;
fail:
    nn_st_close(f);
    return NULL;
}

void nn_st_close(nn_st_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->t[i].owned);
    free(f->t);
    free(f->meta);
    jl_free(&f->doc);
    free(f->raw);
    free(f);
}

/* ---- accessors ---- */

static int in_range(const nn_st_file *f, int i) { return f && i >= 0 && i < f->n; }

int nn_st_count(const nn_st_file *f) { return f ? f->n : 0; }
const char *nn_st_name(const nn_st_file *f, int i) { return in_range(f, i) ? f->t[i].name : NULL; }
nn_shape nn_st_shape(const nn_st_file *f, int i) { return in_range(f, i) ? f->t[i].shape : (nn_shape){0}; }
const char *nn_st_dtype(const nn_st_file *f, int i) { return in_range(f, i) ? f->t[i].dtype : NULL; }
const float *nn_st_data(const nn_st_file *f, int i) { return in_range(f, i) ? f->t[i].data : NULL; }

int nn_st_find(const nn_st_file *f, const char *name)
{
    for (int i = 0; f && name && i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return i;
    return -1;
}

const char *nn_st_meta_get(const nn_st_file *f, const char *key)
{
    for (int i = 0; f && key && i < f->n_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

int nn_st_meta_count(const nn_st_file *f) { return f ? f->n_meta : 0; }
nn_st_meta nn_st_meta_at(const nn_st_file *f, int i)
{
    return f && i >= 0 && i < f->n_meta ? f->meta[i] : (nn_st_meta){NULL, NULL};
}
