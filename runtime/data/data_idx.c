/* IDX reader (the MNIST file format), raw or gzip-compressed.
 *
 * An IDX file is: 2 zero bytes, a type byte (0x08 = unsigned byte), a dimension count, then one
 * big-endian uint32 per dimension, then the elements in row-major order. zlib's gzread reads
 * raw files unchanged (it looks at the gzip magic bytes), so one code path serves both. */
#include "nn/data.h"
#include "nn/regular_file.h"
#include "data_util.h"
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_UBYTE 0x08
#define IDX_CHUNK (1u << 16)        /* bytes per gzread */

typedef struct {
    gzFile f;
    char path[4096];                /* the file actually opened (PATH or PATH.gz) */
    uint32_t dims[3];
    int ndim;
    size_t header_bytes;
} idx_file;

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Opens path, or path.gz when path does not exist. */
static int idx_open(idx_file *f, const char *path, char *err, size_t errlen)
{
    snprintf(f->path, sizeof f->path, "%s", path);
    if (!file_exists(f->path)) {
        snprintf(f->path, sizeof f->path, "%s.gz", path);
        if (!file_exists(f->path))
            return nn_fail(err, errlen, "%s: no such file (nor %s.gz); %s", path, path, NN_DATA_HINT);
    }
    char why[NN_WHY_LEN];
    int fd = nn_open_regular(f->path, why, sizeof why);
    if (fd < 0) return nn_fail(err, errlen, "%s: %s", f->path, why);
    f->f = gzdopen(fd, "rb");
    if (!f->f) {
        close(fd);
        return nn_fail(err, errlen, "%s: cannot open: out of memory", f->path);
    }
    gzbuffer(f->f, 1u << 17);
    return 0;
}

/* Reads up to len bytes; returns the count read (short at end of file) or -1 on a stream
 * error such as corrupt gzip data (message in err). */
static long long idx_read(idx_file *f, void *buf, size_t len, char *err, size_t errlen)
{
    size_t got = 0;
    while (got < len) {
        unsigned want = len - got > IDX_CHUNK ? IDX_CHUNK : (unsigned)(len - got);
        int r = gzread(f->f, (unsigned char *)buf + got, want);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(f->f, &zerr);
            return nn_fail(err, errlen, "%s: read error: %s", f->path, msg);
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long long)got;
}

static const char *idx_role(int ndim) { return ndim == 3 ? "images" : "labels"; }

/* Reads and checks the magic and dimensions; want_ndim is 3 for images, 1 for labels. */
static int idx_read_header(idx_file *f, int want_ndim, char *err, size_t errlen)
{
    unsigned char m[4];
    long long r = idx_read(f, m, 4, err, errlen);
    if (r < 0) return -1;
    if (r < 4) return nn_fail(err, errlen, "%s: file too short for an IDX header (%lld bytes)", f->path, r);
    if (m[0] != 0 || m[1] != 0)
        return nn_fail(err, errlen, "%s: not an IDX file (magic bytes %02x %02x %02x %02x)", f->path,
                            m[0], m[1], m[2], m[3]);
    if (m[2] != IDX_UBYTE)
        return nn_fail(err, errlen, "%s: IDX element type 0x%02x is not supported (expected 0x08, unsigned byte)",
                            f->path, m[2]);
    if (m[3] != want_ndim)
        return nn_fail(err, errlen, "%s: IDX file has %d dimensions; an %s file needs %d (images and labels "
                            "swapped?)", f->path, m[3], idx_role(want_ndim), want_ndim);
    unsigned char b[12];
    r = idx_read(f, b, 4u * (unsigned)want_ndim, err, errlen);
    if (r < 0) return -1;
    if (r < 4 * want_ndim) return nn_fail(err, errlen, "%s: truncated IDX header", f->path);
    f->ndim = want_ndim;
    for (int i = 0; i < want_ndim; i++) {
        const unsigned char *p = b + 4 * i;
        f->dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (f->dims[i] == 0 || f->dims[i] > INT_MAX)
            return nn_fail(err, errlen, "%s: IDX dimension %d is %u", f->path, i, (unsigned)f->dims[i]);
    }
    if (want_ndim == 3 && (uint64_t)f->dims[1] * f->dims[2] > (1u << 24))
        return nn_fail(err, errlen, "%s: images of %ux%u pixels are too large", f->path,
                            (unsigned)f->dims[1], (unsigned)f->dims[2]);
    f->header_bytes = 4 + 4 * (size_t)want_ndim;
    return 0;
}

/* Deflate's best ratio: no stream expands more than 1032 times. */
#define IDX_GZIP_MAX_RATIO 1032

/* The header's promise against the file's size, before allocating what it promises: an
 * uncompressed file must hold exactly that many bytes; a gzip file cannot hold more than its
 * size times deflate's best ratio (a header of 2^40 pixels in a 50-byte file). */
static int idx_check_size(idx_file *f, size_t body, char *err, size_t errlen)
{
    struct stat st;
    if (stat(f->path, &st) != 0) return 0;
    size_t want = f->header_bytes + body;
    if (!gzdirect(f->f)) {
        if ((uint64_t)body / IDX_GZIP_MAX_RATIO <= (uint64_t)st.st_size) return 0;
        return nn_fail(err, errlen, "%s: truncated: the header promises %zu bytes of data, more than a gzip file of %lld "
                       "bytes can hold (re-run 'make data')", f->path, body, (long long)st.st_size);
    }
    if ((uint64_t)st.st_size < want)
        return nn_fail(err, errlen, "%s: truncated: the header promises %zu bytes of data but the file has %lld "
                            "(re-run 'make data')", f->path, body, (long long)st.st_size - (long long)f->header_bytes);
    if ((uint64_t)st.st_size > want)
        return nn_fail(err, errlen, "%s: %lld unexpected bytes after the %zu bytes the header declares", f->path,
                            (long long)st.st_size - (long long)want, body);
    return 0;
}

/* Reads body bytes and hands them to sink chunk by chunk; then requires end of file. */
static int idx_read_body(idx_file *f, size_t body, void (*sink)(const unsigned char *, size_t, size_t, void *),
                         void *ctx, char *err, size_t errlen)
{
    unsigned char *buf = malloc(IDX_CHUNK);
    if (!buf) return nn_fail(err, errlen, "%s: out of memory", f->path);
    size_t done = 0;
    while (done < body) {
        size_t want = body - done > IDX_CHUNK ? IDX_CHUNK : body - done;
        long long r = idx_read(f, buf, want, err, errlen);
        if (r < 0) break;
        sink(buf, (size_t)r, done, ctx);
        done += (size_t)r;
        if ((size_t)r < want) {
            nn_fail(err, errlen, "%s: truncated: expected %zu bytes of %s after the header, found %zu "
                         "(re-run 'make data')", f->path, body, idx_role(f->ndim), done);
            break;
        }
    }
    unsigned char extra;
    int rc = done == body ? 0 : -1;
    if (rc == 0) {
        long long r = idx_read(f, &extra, 1, err, errlen);
        if (r < 0) rc = -1;
        else if (r > 0)
            rc = nn_fail(err, errlen, "%s: unexpected data after the %zu bytes the header declares", f->path, body);
    }
    free(buf);
    return rc;
}

static void sink_pixels(const unsigned char *b, size_t n, size_t at, void *ctx)
{
    float *x = (float *)ctx + at;
    for (size_t i = 0; i < n; i++) x[i] = b[i] * (1.0f / 255.0f);
}

static void sink_labels(const unsigned char *b, size_t n, size_t at, void *ctx)
{
    float *y = (float *)ctx + at;
    for (size_t i = 0; i < n; i++) y[i] = b[i];
}

static void idx_close(idx_file *f)
{
    if (f->f) gzclose(f->f);
    f->f = NULL;
}

static int load_images(const char *path, int with_labels, nn_dataset *out, char *err, size_t errlen)
{
    idx_file f = {0};
    if (idx_open(&f, path, err, errlen) < 0) return -1;
    int rc = idx_read_header(&f, 3, err, errlen);
    size_t body = (size_t)f.dims[0] * f.dims[1] * f.dims[2];
    if (rc == 0) rc = idx_check_size(&f, body, err, errlen);
    if (rc == 0)
        rc = nn_dataset_alloc(out, (int)f.dims[0], nn_shape3(1, (int)f.dims[1], (int)f.dims[2]), with_labels,
                              err, errlen);
    if (rc == 0) rc = idx_read_body(&f, body, sink_pixels, out->x, err, errlen);
    idx_close(&f);
    return rc;
}

static int load_labels(const char *path, const char *images, nn_dataset *out, char *err, size_t errlen)
{
    idx_file f = {0};
    if (idx_open(&f, path, err, errlen) < 0) return -1;
    int rc = idx_read_header(&f, 1, err, errlen);
    if (rc == 0 && f.dims[0] != (uint32_t)out->n)
        rc = nn_fail(err, errlen, "%s has %u labels but %s has %d images", f.path, (unsigned)f.dims[0], images,
                          out->n);
    if (rc == 0) rc = idx_check_size(&f, f.dims[0], err, errlen);
    if (rc == 0) rc = idx_read_body(&f, f.dims[0], sink_labels, out->y, err, errlen);
    idx_close(&f);
    if (rc < 0) return -1;
    int max = 0;
    for (int i = 0; i < out->n; i++)
        if (out->y[i] > max) max = (int)out->y[i];
    out->n_classes = max + 1;
    return 0;
}

int nn_load_idx(const char *images, const char *labels, nn_dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!images) return nn_fail(err, errlen, "no IDX images file given");
    if (load_images(images, labels != NULL, out, err, errlen) < 0 ||
        (labels && load_labels(labels, images, out, err, errlen) < 0)) {
        nn_dataset_free(out);
        return -1;
    }
    return 0;
}
