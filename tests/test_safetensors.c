/* Safetensors checkpoints: round trips, byte layout, Python interop, a corpus of hostile files,
 * atomic writes under failure, and a seeded random-corruption run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nn/rng.h"
#include "nn/safetensors.h"

static char g_dir[64];

static int make_dir(void **state)
{
    (void)state;
    strcpy(g_dir, "/tmp/nn_st_test_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int remove_dir(void **state)
{
    (void)state;
    remove_tree(g_dir);
    return 0;
}

static const char *tmp_path(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", g_dir, name);
    return p[k];
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 1);
    assert_int_equal(fread(b, 1, *n, fp), *n);
    fclose(fp);
    return b;
}

/* A safetensors file from a header text and a data buffer (no padding: readers must not need it). */
static unsigned char *make_st(const char *header, const void *data, size_t dlen, size_t *len)
{
    size_t h = strlen(header);
    *len = 8 + h + dlen;
    unsigned char *b = malloc(*len);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (dlen) memcpy(b + 8 + h, data, dlen);
    return b;
}

/* Count of directory entries whose name contains part. */
static int count_files_with(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, part)) n++;
    closedir(d);
    return n;
}

/* ---- a reference set of tensors ---- */

enum { N_REF = 5 };
static float ref_data[N_REF][120];
static const char *ref_names[N_REF] = {
    "enc.0.weight",
    "say \"hi\"\\path/ok",
    "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",   /* café 日本 😀 */
    "tab\there\nnewline\x01" "ctl",
    "scalar",
};
static const nn_shape *ref_shapes(void)
{
    static nn_shape s[N_REF];
    s[0] = nn_shape1(7);
    s[1] = nn_shape2(3, 4);
    s[2] = nn_shape3(2, 3, 4);
    s[3] = nn_shape4(2, 3, 4, 5);
    s[4] = (nn_shape){0, {0}};
    return s;
}
static const nn_st_meta ref_meta[] = {
    {"format", "pt"},
    {"note", "quote \" backslash \\ slash / newline \n tab \t \xe2\x82\xac"},
    {"epoch", "12"},
};

static void make_ref_tensors(nn_st_tensor *t)
{
    const nn_shape *s = ref_shapes();
    nn_rng r;
    nn_rng_seed(&r, 42);
    for (int i = 0; i < N_REF; i++) {
        for (int k = 0; k < 120; k++) ref_data[i][k] = nn_rng_normal(&r);
        t[i] = (nn_st_tensor){ref_names[i], s[i], ref_data[i]};
    }
}

static const char *write_ref(const char *name)
{
    nn_st_tensor t[N_REF];
    make_ref_tensors(t);
    char err[NN_ERR_LEN];
    const char *p = tmp_path(name);
    if (nn_st_write(p, t, N_REF, ref_meta, 3, err, sizeof err)) fail_msg("%s", err);
    return p;
}

/* ---- round trip ---- */

static void test_round_trip_keeps_names_shapes_data_and_metadata(void **state)
{
    (void)state;
    const char *p = write_ref("ref.safetensors");
    char err[NN_ERR_LEN];
    nn_st_file *f = nn_st_open(p, err, sizeof err);
    if (!f) fail_msg("%s", err);
    const nn_shape *s = ref_shapes();
    assert_int_equal(nn_st_count(f), N_REF);
    for (int i = 0; i < N_REF; i++) {
        assert_string_equal(nn_st_name(f, i), ref_names[i]);
        assert_int_equal(nn_st_find(f, ref_names[i]), i);
        assert_string_equal(nn_st_dtype(f, i), "F32");
        nn_shape got = nn_st_shape(f, i), want = s[i].ndim ? s[i] : nn_shape1(1);
        assert_true(nn_shape_eq(&got, &want));
        assert_memory_equal(nn_st_data(f, i), ref_data[i], nn_shape_numel(&want) * sizeof(float));
    }
    assert_int_equal(nn_st_find(f, "missing"), -1);
    assert_int_equal(nn_st_meta_count(f), 3);
    for (int i = 0; i < 3; i++) assert_string_equal(nn_st_meta_get(f, ref_meta[i].key), ref_meta[i].value);
    assert_null(nn_st_meta_get(f, "absent"));
    nn_st_close(f);
}

static void test_empty_checkpoint_round_trips(void **state)
{
    (void)state;
    char err[NN_ERR_LEN];
    const char *p = tmp_path("empty.safetensors");
    assert_int_equal(nn_st_write(p, NULL, 0, NULL, 0, err, sizeof err), 0);
    nn_st_file *f = nn_st_open(p, err, sizeof err);
    if (!f) fail_msg("%s", err);
    assert_int_equal(nn_st_count(f), 0);
    assert_int_equal(nn_st_meta_count(f), 0);
    nn_st_close(f);
}

/* ---- byte layout ---- */

static void test_file_has_length_prefix_padded_header_and_packed_data(void **state)
{
    (void)state;
    const char *p = write_ref("layout.safetensors");
    size_t n;
    unsigned char *b = read_bytes(p, &n);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | b[i];
    assert_int_equal(h % 8, 0);
    assert_true(h + 8 < n);
    assert_int_equal(b[8], '{');
    size_t last = 8 + (size_t)h - 1;
    while (b[last] == ' ') last--;
    assert_int_equal(b[last], '}');
    assert_true(8 + (size_t)h - 1 - last < 8);   /* padding is spaces, fewer than 8 */
    /* Data: tensors back to back in the given order, little-endian F32. */
    const nn_shape *s = ref_shapes();
    size_t off = 8 + (size_t)h;
    for (int i = 0; i < N_REF; i++) {
        size_t numel = nn_shape_numel(&s[i]);
        for (size_t k = 0; k < numel; k++) {
            uint32_t u;
            memcpy(&u, &ref_data[i][k], 4);
            for (int j = 0; j < 4; j++) assert_int_equal(b[off + 4 * k + (size_t)j], (u >> (8 * j)) & 0xFF);
        }
        off += numel * 4;
    }
    assert_int_equal(off, n);
    /* The offsets written in the header are the ones the layout above implies. */
    char *hdr = strndup((char *)b + 8, (size_t)h);
    assert_non_null(strstr(hdr, "\"enc.0.weight\":{\"dtype\":\"F32\",\"shape\":[7],\"data_offsets\":[0,28]}"));
    assert_non_null(strstr(hdr, "\"shape\":[3,4],\"data_offsets\":[28,76]"));
    assert_non_null(strstr(hdr, "\"say \\\"hi\\\"\\\\path/ok\""));
    assert_non_null(strstr(hdr, "\"tab\\there\\nnewline\\u0001ctl\""));
    assert_non_null(strstr(hdr, "\"scalar\":{\"dtype\":\"F32\",\"shape\":[]"));
    free(hdr);
    free(b);
}

/* Python's json module parses the header and numpy reads every tensor; we compare the names
 * (as UTF-8 hex), shapes and sums it prints with ours. Skipped without python3 + numpy. */
static void test_python_json_and_numpy_read_the_file(void **state)
{
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0 || system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
        skip();
        return;
    }
    const char *p = write_ref("py.safetensors");
    const char *script = tmp_path("check.py");
    FILE *fp = fopen(script, "w");
    assert_non_null(fp);
    fputs("import json, struct, sys\nimport numpy as np\n"
          "b = open(sys.argv[1], 'rb').read()\n"
          "n = struct.unpack('<Q', b[:8])[0]\n"
          "assert n % 8 == 0\n"
          "h = json.loads(b[8:8 + n].decode('utf-8'))\n"
          "data = b[8 + n:]\n"
          "for k, v in h.get('__metadata__', {}).items():\n"
          "    print('meta', k.encode().hex(), v.encode().hex())\n"
          "for k, v in h.items():\n"
          "    if k == '__metadata__': continue\n"
          "    s, e = v['data_offsets']\n"
          "    a = np.frombuffer(data[s:e], dtype='<f4').reshape(v['shape'])\n"
          "    print('tensor', k.encode().hex(), v['dtype'], a.size, repr(float(a.astype(np.float64).sum())))\n",
          fp);
    fclose(fp);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'", script, p);
    FILE *py = popen(cmd, "r");
    assert_non_null(py);
    char line[2048];
    int n_tensor = 0, n_meta = 0;
    const nn_shape *s = ref_shapes();
    while (fgets(line, sizeof line, py)) {
        char kind[16], hex[1024], val[1024];
        if (sscanf(line, "%15s %1023s %1023s", kind, hex, val) != 3) fail_msg("bad python line: %s", line);
        char want[1024] = "";
        if (!strcmp(kind, "meta")) {
            const nn_st_meta *m = &ref_meta[n_meta++];
            for (const unsigned char *c = (const unsigned char *)m->key; *c; c++) sprintf(want + strlen(want), "%02x", *c);
            assert_string_equal(hex, want);
            want[0] = 0;
            for (const unsigned char *c = (const unsigned char *)m->value; *c; c++) sprintf(want + strlen(want), "%02x", *c);
            assert_string_equal(val, want);
        } else {
            int i = n_tensor++;
            for (const unsigned char *c = (const unsigned char *)ref_names[i]; *c; c++) sprintf(want + strlen(want), "%02x", *c);
            assert_string_equal(hex, want);
            assert_string_equal(val, "F32");
            size_t size;
            double sum;
            assert_int_equal(sscanf(line, "%*s %*s %*s %zu %lf", &size, &sum), 2);
            assert_int_equal(size, nn_shape_numel(&s[i]));
            double ours = 0;
            for (size_t k = 0; k < size; k++) ours += ref_data[i][k];
            assert_true(fabs(ours - sum) < 1e-9 * (1 + fabs(ours)));
        }
    }
    assert_int_equal(pclose(py), 0);
    assert_int_equal(n_tensor, N_REF);
    assert_int_equal(n_meta, 3);
}

/* ---- reading what other writers produce ---- */

static void test_json_escapes_and_surrogate_pairs_decode_in_names(void **state)
{
    (void)state;
    float x = 1.5f;
    size_t len;
    unsigned char *b = make_st("{\"q\\\"b\\\\s\\/f\\bg\\fn\\nr\\rt\\t\\u00e9\\ud83d\\ude00\":"
                               "{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
                               &x, 4, &len);
    const char *p = tmp_path("esc.safetensors");
    write_bytes(p, b, len);
    free(b);
    char err[NN_ERR_LEN];
    nn_st_file *f = nn_st_open(p, err, sizeof err);
    if (!f) fail_msg("%s", err);
    assert_string_equal(nn_st_name(f, 0), "q\"b\\s/f\bg\fn\nr\rt\t\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(nn_st_shape(f, 0).ndim, 1);
    assert_int_equal(nn_st_shape(f, 0).d[0], 1);
    assert_true(nn_st_data(f, 0)[0] == 1.5f);
    nn_st_close(f);
}

static void put_le(unsigned char *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) b[i] = (unsigned char)(v >> (8 * i));
}

static void test_f64_f16_bf16_convert_to_float(void **state)
{
    (void)state;
    unsigned char d[8 * 3 + 2 * 6 + 2 * 3];
    double f64[3] = {0.25, -1e300, 3.0};
    for (int i = 0; i < 3; i++) {
        uint64_t u;
        memcpy(&u, &f64[i], 8);
        put_le(d + 8 * i, u, 8);
    }
    /* F16: 1.0, -2.0, 65504 (max), smallest subnormal 2^-24, +inf, 0.5 */
    uint16_t f16[6] = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x3800};
    for (int i = 0; i < 6; i++) put_le(d + 24 + 2 * i, f16[i], 2);
    /* BF16: 1.0, -3.0, 0.15625 */
    uint16_t bf16[3] = {0x3F80, 0xC040, 0x3E20};
    for (int i = 0; i < 3; i++) put_le(d + 36 + 2 * i, bf16[i], 2);
    size_t len;
    unsigned char *b = make_st("{\"a\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,24]},"
                               "\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[24,36]},"
                               "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[36,42]}}",
                               d, sizeof d, &len);
    const char *p = tmp_path("dtypes.safetensors");
    write_bytes(p, b, len);
    free(b);
    char err[NN_ERR_LEN];
    nn_st_file *f = nn_st_open(p, err, sizeof err);
    if (!f) fail_msg("%s", err);
    const float *a = nn_st_data(f, nn_st_find(f, "a"));
    assert_true(a[0] == 0.25f && isinf(a[1]) && a[1] < 0 && a[2] == 3.0f);
    const float *h = nn_st_data(f, nn_st_find(f, "h"));
    assert_true(h[0] == 1.0f && h[1] == -2.0f && h[2] == 65504.0f && h[3] == 0x1p-24f && isinf(h[4]) && h[5] == 0.5f);
    const float *bf = nn_st_data(f, nn_st_find(f, "b"));
    assert_true(bf[0] == 1.0f && bf[1] == -3.0f && bf[2] == 0.15625f);
    assert_string_equal(nn_st_dtype(f, nn_st_find(f, "h")), "F16");
    nn_st_close(f);
}

/* A header whose length is not a multiple of 4 leaves F32 data unaligned; it must still load. */
static void test_unaligned_f32_data_loads(void **state)
{
    (void)state;
    float x[3] = {1.0f, -2.5f, 1e-3f};
    const char *hdr = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}";
    assert_true(strlen(hdr) % 4 != 0);
    size_t len;
    unsigned char *b = make_st(hdr, x, sizeof x, &len);
    const char *p = tmp_path("unaligned.safetensors");
    write_bytes(p, b, len);
    free(b);
    char err[NN_ERR_LEN];
    nn_st_file *f = nn_st_open(p, err, sizeof err);
    if (!f) fail_msg("%s", err);
    assert_memory_equal(nn_st_data(f, 0), x, sizeof x);
    nn_st_close(f);
}

/* ---- hostile files ---- */

typedef struct {
    const char *header;
    size_t data_len;
    const char *expect;
} bad_case;

static void expect_rejected(const char *p, const char *expect)
{
    char err[NN_ERR_LEN] = "";
    nn_st_file *f = nn_st_open(p, err, sizeof err);
    if (f) {
        nn_st_close(f);
        fail_msg("accepted a file that should fail with '%s'", expect);
    }
    if (!strstr(err, expect)) fail_msg("expected '%s' in: %s", expect, err);
    if (!strstr(err, p)) fail_msg("message does not name the file: %s", err);
}

#define T(dt, shape, off) "{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":" off "}"

static void test_malformed_headers_are_rejected_with_the_reason(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"{\"a\":", 0, "invalid JSON"},
        {"[1, 2]", 0, "must be a JSON object"},
        {"{} x", 0, "unexpected text after"},
        {"{\"a\":" T("F32", "[1]", "[0,4]") ",}", 4, "expected a quoted key"},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "missing 'dtype'"},
        {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "missing 'shape'"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "missing 'data_offsets'"},
        {"{\"a\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'dtype' must be a string"},
        {"{\"a\":" T("F32", "\"1\"", "[0,4]") "}", 4, "'shape' must be an array"},
        {"{\"a\":" T("F32", "[-1]", "[0,4]") "}", 4, "shape[0] must be a non-negative integer"},
        {"{\"a\":" T("F32", "[1.5]", "[0,4]") "}", 4, "shape[0] must be a non-negative integer"},
        {"{\"a\":" T("F32", "[1]", "[0,4,8]") "}", 4, "'data_offsets' must be [begin, end]"},
        {"{\"a\":" T("F32", "[1]", "[0,4.0]") "}", 4, "'data_offsets' must be [begin, end]"},
        {"{\"a\":" T("F32", "[1]", "[0,04]") "}", 4, "leading zeros"},
        {"{\"a\":" T("F32", "[1]", "[0,\"4\"]") "}", 4, "'data_offsets' must be [begin, end]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4, "unknown field 'extra'"},
        {"{\"a\":[1]}", 4, "entry must be an object"},
        {"{\"a\":" T("I64", "[1]", "[0,8]") "}", 8, "dtype I64 is not supported"},
        {"{\"a\":" T("F32", "[1,1,1,1,1]", "[0,4]") "}", 4, "shape has 5 dims"},
        {"{\"a\":" T("F32", "[2147483647,2147483647,2147483647,2147483647]", "[0,4]") "}", 4, "overflows"},
        {"{\"a\":" T("F32", "[2]", "[0,4]") "}", 4, "hold 4 bytes but shape [2] of F32 needs 8"},
        {"{\"a\":" T("F64", "[1]", "[0,4]") "}", 4, "needs 8"},
        {"{\"a\":" T("F32", "[1]", "[8,4]") "}", 8, "begin after end"},
        {"{\"a\":" T("F32", "[1]", "[0,4]") ",\"b\":" T("F32", "[1]", "[100,104]") "}", 8, "beyond the data buffer"},
        {"{\"a\":" T("F32", "[1]", "[0,18446744073709551615]") "}", 4, "beyond the data buffer"},
        {"{\"a\":" T("F32", "[1]", "[0,99999999999999999999999]") "}", 4, "'data_offsets' must be [begin, end]"},
        {"{\"a\":" T("F32", "[2]", "[0,8]") ",\"b\":" T("F32", "[2]", "[4,12]") "}", 12, "overlaps"},
        {"{\"a\":" T("F32", "[1]", "[0,4]") ",\"b\":" T("F32", "[1]", "[8,12]") "}", 12, "data bytes [4, 8) belong to no tensor"},
        {"{\"a\":" T("F32", "[1]", "[4,8]") "}", 8, "data bytes [0, 4) belong to no tensor"},
        {"{\"a\":" T("F32", "[1]", "[0,4]") "}", 8, "last 4 bytes of the data buffer belong to no tensor"},
        {"{\"w\":" T("F32", "[1]", "[0,4]") ",\"w\":" T("F32", "[1]", "[4,8]") "}", 8, "duplicate key \"w\""},
        {"{\"__metadata__\":{\"epoch\":3}}", 0, "metadata 'epoch' must be a string, got a number"},
        {"{\"__metadata__\":[\"x\"]}", 0, "__metadata__ must be an object"},
        {"{\"a\\ud800\":" T("F32", "[1]", "[0,4]") "}", 4, "high surrogate"},
        {"{\"a\\udc00\":" T("F32", "[1]", "[0,4]") "}", 4, "lone low surrogate"},
        {"{\"a\\u0000b\":" T("F32", "[1]", "[0,4]") "}", 4, "\\u0000 is not allowed"},
        {"{\"a\\x\":" T("F32", "[1]", "[0,4]") "}", 4, "unknown escape"},
        {"{\"\xc3\x28\":" T("F32", "[1]", "[0,4]") "}", 4, "invalid UTF-8"},
        {"{\"\xed\xa0\x80\":" T("F32", "[1]", "[0,4]") "}", 4, "invalid UTF-8"},    /* encoded surrogate */
        {"{\"\xc0\xaf\":" T("F32", "[1]", "[0,4]") "}", 4, "invalid UTF-8"},        /* overlong '/' */
        {"{\"a\tb\":" T("F32", "[1]", "[0,4]") "}", 4, "raw control character"},
        {"{\"a\":nul}", 0, "unexpected character"},
    };
    static const unsigned char zeros[128];
    const char *p = tmp_path("bad.safetensors");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        unsigned char *b = make_st(cases[i].header, zeros, cases[i].data_len, &len);
        write_bytes(p, b, len);
        free(b);
        expect_rejected(p, cases[i].expect);
    }
}

static void test_deep_nesting_is_rejected_at_a_depth_limit(void **state)
{
    (void)state;
    size_t depth = 100000;
    char *h = malloc(depth + 8);
    strcpy(h, "{\"a\":");
    memset(h + 5, '[', depth);
    h[5 + depth] = 0;
    size_t len;
    unsigned char *b = make_st(h, NULL, 0, &len);
    const char *p = tmp_path("deep.safetensors");
    write_bytes(p, b, len);
    free(b);
    free(h);
    expect_rejected(p, "nested deeper than");
}

static void test_bad_length_prefix_and_truncation_are_rejected(void **state)
{
    (void)state;
    const char *p = tmp_path("prefix.safetensors");
    write_bytes(p, "", 0);
    expect_rejected(p, "shorter than the 8-byte header length");
    write_bytes(p, "\x10\0\0\0\0", 5);
    expect_rejected(p, "shorter than the 8-byte header length");
    write_bytes(p, "\0\0\0\0\0\0\0\0{}", 10);
    expect_rejected(p, "header length is 0");
    write_bytes(p, "\xff\xff\xff\xff\xff\xff\xff\xff{}", 10);
    expect_rejected(p, "exceeds the 100000000-byte limit");
    write_bytes(p, "\x00\xe1\xf5\x05\0\0\0\0{}", 10);   /* exactly the limit: allowed, then too long */
    expect_rejected(p, "larger than");
    write_bytes(p, "\x00\xe2\xf5\x05\0\0\0\0{}", 10);   /* 100,000,256: over the limit */
    expect_rejected(p, "exceeds");
    write_bytes(p, "\x40\0\0\0\0\0\0\0{}", 10);
    expect_rejected(p, "larger than the 2 bytes after it");

    /* A valid file cut short at several points. */
    const char *ref = write_ref("trunc_src.safetensors");
    size_t n;
    unsigned char *b = read_bytes(ref, &n);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | b[i];
    struct { size_t len; const char *expect; } cuts[] = {
        {3, "shorter than"}, {8, "larger than"}, {8 + (size_t)h / 2, "larger than"},
        {8 + (size_t)h, "beyond the data buffer"}, {n - 1, "beyond the data buffer"},
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_bytes(p, b, cuts[i].len);
        expect_rejected(p, cuts[i].expect);
    }
    free(b);
}

static void test_missing_file_directory_and_fifo_are_rejected(void **state)
{
    (void)state;
    expect_rejected(tmp_path("does_not_exist.safetensors"), "cannot open");
    expect_rejected(g_dir, "is a directory, not a regular file");
    /* a FIFO would block the read until a writer comes: refused before (the alarm fails the
     * test instead of hanging it) */
    const char *fifo = tmp_path("pipe.safetensors");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(10);
    expect_rejected(fifo, "is a FIFO, not a regular file");
    alarm(0);
    unlink(fifo);
    char err[NN_ERR_LEN];
    assert_null(nn_st_open(NULL, err, sizeof err));
    assert_non_null(strstr(err, "no path given"));
}

/* ---- writing ---- */

static void test_write_rejects_bad_arguments_before_touching_disk(void **state)
{
    (void)state;
    float x[4] = {0};
    const char *p = tmp_path("args.safetensors");
    char err[NN_ERR_LEN];
    struct { nn_st_tensor t[2]; int n; nn_st_meta m[2]; int nm; const char *expect; } cases[] = {
        {{{"w", nn_shape1(4), x}, {"w", nn_shape1(4), x}}, 2, {{0}}, 0, "tensor name 'w' appears twice"},
        {{{"__metadata__", nn_shape1(4), x}}, 1, {{0}}, 0, "reserved"},
        {{{"w", {5, {1, 1, 1, 1}}, x}}, 1, {{0}}, 0, "5 dims"},
        {{{"w", nn_shape2(2, -2), x}}, 1, {{0}}, 0, "negative dim -2"},
        {{{"w", nn_shape4(1 << 30, 1 << 30, 1 << 30, 4), x}}, 1, {{0}}, 0, "element count overflows"},
        {{{"bad\xff", nn_shape1(4), x}}, 1, {{0}}, 0, "not valid UTF-8"},
        {{{NULL, nn_shape1(4), x}}, 1, {{0}}, 0, "has no name"},
        {{{"w", nn_shape1(4), NULL}}, 1, {{0}}, 0, "has no data"},
        {{{"w", nn_shape1(4), x}}, 1, {{"k", "1"}, {"k", "2"}}, 2, "metadata key 'k' appears twice"},
        {{{"w", nn_shape1(4), x}}, 1, {{"k", NULL}}, 1, "no key or no value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = 0;
        assert_int_equal(nn_st_write(p, cases[i].t, cases[i].n, cases[i].m, cases[i].nm, err, sizeof err), -1);
        if (!strstr(err, cases[i].expect)) fail_msg("expected '%s' in: %s", cases[i].expect, err);
        assert_int_not_equal(access(p, F_OK), 0);
    }
    assert_int_equal(count_files_with(g_dir, "args.safetensors"), 0);
}

static void test_write_into_missing_directory_fails_cleanly(void **state)
{
    (void)state;
    float x[2] = {1, 2};
    nn_st_tensor t = {"w", nn_shape1(2), x};
    char err[NN_ERR_LEN];
    const char *p = tmp_path("no_such_dir/model.safetensors");
    assert_int_equal(nn_st_write(p, &t, 1, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "does the directory exist"));
    /* A regular file where a directory should be. */
    write_bytes(tmp_path("plainfile"), "x", 1);
    p = tmp_path("plainfile/model.safetensors");
    assert_int_equal(nn_st_write(p, &t, 1, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "Not a directory"));
}

static void load_one(const char *p, const char *name, float *out, size_t n)
{
    char err[NN_ERR_LEN];
    nn_st_file *f = nn_st_open(p, err, sizeof err);
    if (!f) fail_msg("%s", err);
    int i = nn_st_find(f, name);
    assert_true(i >= 0);
    assert_int_equal(nn_shape_numel((nn_shape[]){nn_st_shape(f, i)}), n);
    memcpy(out, nn_st_data(f, i), n * sizeof *out);
    nn_st_close(f);
}

/* A real I/O failure in the middle of the data: the file size limit makes write() fail
 * with EFBIG, as a full disk would with ENOSPC. */
static void test_failed_write_keeps_previous_file_and_removes_temp(void **state)
{
    (void)state;
    const char *p = tmp_path("keep.safetensors");
    float old[3] = {1, 2, 3};
    nn_st_tensor t = {"w", nn_shape1(3), old};
    char err[NN_ERR_LEN];
    assert_int_equal(nn_st_write(p, &t, 1, NULL, 0, err, sizeof err), 0);

    size_t big_n = 1 << 18;   /* 1 MB of floats, far over the limit below */
    float *big = calloc(big_n, sizeof *big);
    nn_st_tensor tb = {"w", nn_shape1((int)big_n), big};
    struct rlimit saved, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    lim = saved;
    lim.rlim_cur = 64 * 1024;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = nn_st_write(p, &tb, 1, NULL, 0, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, prev);
    free(big);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "File too large"));
    assert_non_null(strstr(err, "previous file is unchanged"));

    float got[3];
    load_one(p, "w", got, 3);
    assert_memory_equal(got, old, sizeof old);
    assert_int_equal(count_files_with(g_dir, "keep.safetensors.tmp-"), 0);

    /* Rename failure: the target is a directory. The temp file must not remain. */
    const char *d = tmp_path("adir");
    assert_int_equal(mkdir(d, 0755), 0);
    assert_int_equal(nn_st_write(d, &t, 1, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "rename"));
    assert_int_equal(count_files_with(g_dir, "adir.tmp-"), 0);
}

static void test_overwrite_replaces_file_and_leaves_no_temp(void **state)
{
    (void)state;
    const char *p = tmp_path("over.safetensors");
    float a[2] = {1, 2}, b[2] = {3, 4};
    char err[NN_ERR_LEN];
    assert_int_equal(nn_st_write(p, &(nn_st_tensor){"w", nn_shape1(2), a}, 1, NULL, 0, err, sizeof err), 0);
    assert_int_equal(nn_st_write(p, &(nn_st_tensor){"w", nn_shape1(2), b}, 1, NULL, 0, err, sizeof err), 0);
    float got[2];
    load_one(p, "w", got, 2);
    assert_memory_equal(got, b, sizeof b);
    assert_int_equal(count_files_with(g_dir, ".tmp-"), 0);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

/* ---- random corruption ---- */

static void check_consistent(nn_st_file *f)
{
    for (int i = 0; i < nn_st_count(f); i++) {
        assert_non_null(nn_st_name(f, i));
        nn_shape s = nn_st_shape(f, i);
        assert_true(s.ndim >= 1 && s.ndim <= NN_MAX_DIMS);
        const float *d = nn_st_data(f, i);
        assert_non_null(d);
        volatile float sink = 0;
        for (size_t k = 0; k < nn_shape_numel(&s); k++) sink += d[k];   /* ASan checks every read */
        (void)sink;
        assert_int_equal(nn_st_find(f, nn_st_name(f, i)) >= 0, 1);
    }
}

static void test_random_corruption_fails_cleanly_or_loads_consistently(void **state)
{
    (void)state;
    const char *src = write_ref("fuzz_src.safetensors");
    size_t n;
    unsigned char *good = read_bytes(src, &n);
    unsigned char *b = malloc(n);
    const char *p = tmp_path("fuzz.safetensors");
    nn_rng r;
    nn_rng_seed(&r, 1234);
    int opened = 0, rejected = 0;
    size_t header_end = 8 + (size_t)good[0] + ((size_t)good[1] << 8);
    for (int it = 0; it < 500; it++) {
        memcpy(b, good, n);
        size_t len = n;
        uint32_t kind = nn_rng_below(&r, 4);
        if (kind != 1) {   /* flip bytes, mostly inside the prefix and header */
            int flips = 1 + (int)nn_rng_below(&r, 4);
            for (int k = 0; k < flips; k++) {
                size_t at = nn_rng_below(&r, 8) ? nn_rng_below(&r, (uint32_t)header_end) : nn_rng_below(&r, (uint32_t)n);
                b[at] ^= (unsigned char)(1u << nn_rng_below(&r, 8));
            }
        }
        if (kind >= 1) len = nn_rng_below(&r, (uint32_t)n + 1);   /* truncate */
        write_bytes(p, b, len);
        char err[NN_ERR_LEN] = "";
        nn_st_file *f = nn_st_open(p, err, sizeof err);
        if (f) {
            check_consistent(f);
            nn_st_close(f);
            opened++;
        } else {
            if (!strstr(err, p)) fail_msg("iteration %d: message does not name the file: '%s'", it, err);
            rejected++;
        }
    }
    free(b);
    free(good);
    assert_true(opened > 0);
    assert_true(rejected > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_keeps_names_shapes_data_and_metadata),
        cmocka_unit_test(test_empty_checkpoint_round_trips),
        cmocka_unit_test(test_file_has_length_prefix_padded_header_and_packed_data),
        cmocka_unit_test(test_python_json_and_numpy_read_the_file),
        cmocka_unit_test(test_json_escapes_and_surrogate_pairs_decode_in_names),
        cmocka_unit_test(test_f64_f16_bf16_convert_to_float),
        cmocka_unit_test(test_unaligned_f32_data_loads),
        cmocka_unit_test(test_malformed_headers_are_rejected_with_the_reason),
        cmocka_unit_test(test_deep_nesting_is_rejected_at_a_depth_limit),
        cmocka_unit_test(test_bad_length_prefix_and_truncation_are_rejected),
        cmocka_unit_test(test_missing_file_directory_and_fifo_are_rejected),
        cmocka_unit_test(test_write_rejects_bad_arguments_before_touching_disk),
        cmocka_unit_test(test_write_into_missing_directory_fails_cleanly),
        cmocka_unit_test(test_failed_write_keeps_previous_file_and_removes_temp),
        cmocka_unit_test(test_overwrite_replaces_file_and_leaves_no_temp),
        cmocka_unit_test(test_random_corruption_fails_cleanly_or_loads_consistently),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
