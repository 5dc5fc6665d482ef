/* make_seeds DIR: writes the seed corpus of every fuzz harness into DIR/<harness>/, small valid
 * inputs the fuzzers start from (scripts/fuzz.sh runs it; the spec harness's seeds are specs/
 * itself). Valid files reach the deep paths of a reader at once; libFuzzer mutates them into
 * the bad ones. Nothing here is committed: every seed is made from this file's tables and the
 * library's own writers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "nn/safetensors.h"
#include "resume_specs.h"

static char seed_dir[256];

static void die(const char *what, const char *why)
{
    fprintf(stderr, "make_seeds: %s: %s\n", what, why);
    exit(1);
}

/* DIR/sub/name into path (4096 bytes), the folder DIR/sub made. */
static char *path_in(const char *sub, const char *name, char *path)
{
    snprintf(path, 4096, "%s/%s", seed_dir, sub);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) die(path, strerror(errno));
    snprintf(path, 4096, "%s/%s/%s", seed_dir, sub, name);
    return path;
}

/* DIR/harness/name holding data[0..size). */
static void put(const char *harness, const char *name, const void *data, size_t size)
{
    char path[4096];
    path_in(harness, name, path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) die(path, "cannot write");
}

static void put_text(const char *harness, const char *name, const char *text) { put(harness, name, text, strlen(text)); }

/* ---- expressions and reviews: tables of texts ---- */
static void seeds_expr(void)
{
    static const char *const texts[] = {
        "x", "1/(1+25*x^2)", "x < 0 ? 5 + sin(x) + sin(2*x) + sin(3*x) : cos(10*x)",
        "pow(x0, 2) + atan2(x1, x2) * max(x3, 1) - min(x0, x1)", "if(x > 0 and not x < 1, log10(abs(x) + 1), -2^-1)",
        "2.5E+4 * .5 + 1e-3 - pi * e", "floor(x) + ceil(x) + round(x) + sign(x) + sigmoid(x)",
        "x || 0 && !x != 1 <= 2 >= 3 == 4 > 5 < 6", "sqrt(exp(log(log2(sinh(cosh(tanh(asin(acos(atan(tan(x)))))))))))",
        "2**3**2 + +x - -x", "((((x))))",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char name[32];
        snprintf(name, sizeof name, "expr_%zu", i);
        put_text("expr", name, texts[i]);
    }
}

static void seeds_reviews_json(void)
{
    put_text("reviews_json", "two", "[{\"t\": \"A great film.<br />Loved it, see http://x.y or www.z.org @me_2\", \"s\": 1},\n"
                                    " {\"t\": \"Bad \\u00e9\\ud83d\\ude00 \\n\\\"q\\\" \\t\\/\\\\ \\b\\f\\r\", \"s\": 0}]");
    put_text("reviews_json", "empty", "[]");
    put_text("reviews_json", "keys_swapped", "[{\"s\":0,\"t\":\"\"},{\"s\":1,\"t\":\"WORDS words Words 123 a_b\"}]");
}

/* ---- CSV: the option byte of fuzz_csv.c, then the file ---- */
static void seeds_csv(void)
{
    static const struct {
        const char *name;
        unsigned char options;
        const char *text;
    } files[] = {
        {"auto_header", 0x02, "label,a,b,c,d\n0,1,2,3,4\n2,0.5,1e-3,-1,7\n1,255,0,0,9\n"},
        {"no_header", 0x00, "5,0,255,128,3\n1,1,2,3,4\n\n0,  7 ,8,9,10\n"},
        {"header_semicolon", 0x41, "y;p;q\n1;2;3\n0;4.5;-6\n"},
        {"regression_last", 0x1e, "a,b,y\n0.5,1,2.25\n-1,3,1e2\n"},
        {"no_label_shaped", 0x84, "1,2,3,4\n5,6,7,8\n"},
        {"model_classes", 0x20, "0,1\n2,3\n1,4\n"},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t n = strlen(files[i].text);
        unsigned char buf[256];
        buf[0] = files[i].options;
        memcpy(buf + 1, files[i].text, n);
        put("csv", files[i].name, buf, n + 1);
    }
}

/* ---- IDX: fuzz_idx.c's layout, raw and gzip ---- */
static size_t gzip_bytes(const unsigned char *in, size_t n, unsigned char *out, size_t room)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("gzip", "deflateInit2");
    z.next_in = (unsigned char *)in, z.avail_in = (uInt)n, z.next_out = out, z.avail_out = (uInt)room;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) die("gzip", "deflate");
    size_t got = z.total_out;
    deflateEnd(&z);
    return got;
}

static void put_idx(const char *name, int flags, const unsigned char *images, size_t ni, const unsigned char *labels,
                    size_t nl)
{
    unsigned char buf[1024];
    buf[0] = (unsigned char)flags;
    for (int b = 0; b < 4; b++) buf[1 + b] = (unsigned char)(ni >> 8 * b);
    memcpy(buf + 5, images, ni);
    if (nl) memcpy(buf + 5 + ni, labels, nl);
    put("idx", name, buf, 5 + ni + nl);
}

static void seeds_idx(void)
{
    /* 3 images of 2 x 2 pixels, their labels */
    static const unsigned char images[] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2,
                                           0, 64, 128, 255, 1, 2, 3, 4, 255, 255, 0, 0};
    static const unsigned char labels[] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 0, 9};
    unsigned char gi[256], gl[256];
    size_t ngi = gzip_bytes(images, sizeof images, gi, sizeof gi), ngl = gzip_bytes(labels, sizeof labels, gl, sizeof gl);
    put_idx("raw_labels", 1, images, sizeof images, labels, sizeof labels);
    put_idx("raw_images_only", 0, images, sizeof images, NULL, 0);
    put_idx("gzip_labels", 1, gi, ngi, gl, ngl);
    put_idx("gzip_found_as_gz", 3, gi, ngi, labels, sizeof labels);
}

/* ---- safetensors: the writer's files, and other dtypes by hand ---- */
static void put_safetensors(const char *name, const nn_st_tensor *t, int n, const nn_st_meta *m, int nm)
{
    char path[4096], err[512];
    if (nn_st_write(path_in("safetensors", name, path), t, n, m, nm, err, sizeof err) < 0) die(path, err);
}

/* u64 header length, the header, then data. */
static void put_raw_safetensors(const char *name, const char *header, const void *data, size_t n)
{
    unsigned char buf[1024];
    size_t h = strlen(header);
    for (int b = 0; b < 8; b++) buf[b] = (unsigned char)((uint64_t)h >> 8 * b);
    memcpy(buf + 8, header, h);
    memcpy(buf + 8 + h, data, n);
    put("safetensors", name, buf, 8 + h + n);
}

static void seeds_safetensors(void)
{
    static const float w[6] = {1, -2, 3.5f, 0, 1e-30f, -1e30f}, b[2] = {0.25f, -0.5f}, s[1] = {42};
    nn_st_tensor t[] = {{"dense_1.weight", {2, {2, 3}}, w}, {"dense_1.bias", {1, {2}}, b}, {"scalar", {0, {0}}, s}};
    nn_st_meta m[] = {{"format", "nnrun-weights-1"}, {"step", "12"}};
    put_safetensors("weights", t, 3, m, 2);
    put_safetensors("one_tensor", t + 1, 1, NULL, 0);
    static const uint16_t half[4] = {0x3c00, 0xc000, 0x7bff, 0x0001};   /* F16 1, -2, max, smallest subnormal */
    put_raw_safetensors("f16", "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}", half, sizeof half);
    put_raw_safetensors("bf16", "{\"__metadata__\":{\"k\":\"v\"},\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}}",
                        half, sizeof half);
    static const double d[2] = {1.5, -1e300};
    put_raw_safetensors("f64", "{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", d, sizeof d);
}

/* ---- resume states: each trainer of resume_specs.h stopped mid-epoch, and at its end ---- */
/* Trains spec k in DIR/work (stopped after step `stop` as by Ctrl-C; 0: to the end) and keeps
 * the state it checkpoints. */
static void put_state(int k, long stop)
{
    char work[300], path[400], name[64], err[1024];
    snprintf(work, sizeof work, "%s/work", seed_dir);
    if (mkdir(work, 0777) != 0 && errno != EEXIST) die(work, strerror(errno));
    spec *s;
    trainer t;
    if (resume_spec_trainer(k, work, &s, &t) < 0) exit(1);
    snprintf(s->out_dir, sizeof s->out_dir, "%s", work);
    t.interrupt_at_step = stop;
    trainer_run(&t, NULL, 0);
    if (trainer_checkpoint(&t, err, sizeof err) < 0) die(work, err);
    snprintf(name, sizeof name, "%.20s_step%ld", resume_specs[k].file, t.step);
    snprintf(path, sizeof path, "%s/state.safetensors", work);
    char to[4096];
    if (rename(path, path_in("resume_state", name, to)) != 0) die(path, strerror(errno));
    trainer_free(&t);
    spec_free(s);
    const char *const left[] = {"model.safetensors", resume_specs[k].file};
    for (size_t i = 0; i < sizeof left / sizeof *left; i++) {
        snprintf(path, sizeof path, "%s/%s", work, left[i]);
        remove(path);
    }
    rmdir(work);
}

static void seeds_resume_state(void)
{
    for (int k = 0; k < N_RESUME_SPECS; k++) {
        put_state(k, 5);
        put_state(k, 0);
    }
}

static const struct {
    const char *harness;
    void (*make)(void);
} makers[] = {
    {"expr", seeds_expr},        {"reviews_json", seeds_reviews_json}, {"csv", seeds_csv},
    {"idx", seeds_idx},          {"safetensors", seeds_safetensors},   {"resume_state", seeds_resume_state},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    if (strlen(argv[1]) >= sizeof seed_dir) die(argv[1], "path too long");
    snprintf(seed_dir, sizeof seed_dir, "%s", argv[1]);
    if (mkdir(seed_dir, 0777) != 0 && errno != EEXIST) die(seed_dir, strerror(errno));
    for (size_t i = 0; i < sizeof makers / sizeof *makers; i++) makers[i].make();
    return 0;
}
