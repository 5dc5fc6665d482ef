/* fuzz_util.h — what the harnesses of tests/fuzz/ share: a scratch directory for the readers that
 * take a path (a harness writes its input there and hands the reader the file, so the opener is
 * fuzzed too), and the check that stops a run on a broken promise.
 *
 * The scratch directory is $TMPDIR (else /tmp)/nnrun-fuzz-XXXXXX, made on first use and removed
 * at exit; scripts/fuzz.sh points TMPDIR at a tmpfs so the writes cost no disk. */
#ifndef NNRUN_FUZZ_UTIL_H
#define NNRUN_FUZZ_UTIL_H
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A promise of the API broken by this input: libFuzzer keeps the input as a crash. */
#define FUZZ_ASSERT(cond)                                                                  \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static char fuzz_scratch[256];

/* The scratch directory is flat: its files, then itself. */
static void fuzz_scratch_remove(void)
{
    DIR *dir = opendir(fuzz_scratch);
    struct dirent *e;
    char path[512];
    while (dir && (e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", fuzz_scratch, e->d_name);
            unlink(path);
        }
    if (dir) closedir(dir);
    rmdir(fuzz_scratch);
}

/* The scratch directory, made on the first call. */
static inline const char *fuzz_scratch_dir(void)
{
    if (fuzz_scratch[0]) return fuzz_scratch;
    const char *base = getenv("TMPDIR");
    snprintf(fuzz_scratch, sizeof fuzz_scratch, "%s/nnrun-fuzz-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(fuzz_scratch)) {
        perror(fuzz_scratch);
        exit(1);
    }
    atexit(fuzz_scratch_remove);
    return fuzz_scratch;
}

/* The path of name in the scratch directory, written into buf (FUZZ_PATH_LEN bytes). */
#define FUZZ_PATH_LEN 320
static inline char *fuzz_path(const char *name, char *buf)
{
    snprintf(buf, FUZZ_PATH_LEN, "%s/%s", fuzz_scratch_dir(), name);
    return buf;
}

/* Writes data[0..size) to path, replacing it; a failure to write ends the run (it is the
 * machine's, not the input's). */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* The little-endian u32 at p. */
static inline uint32_t fuzz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The harness's entry point, called by libFuzzer or by replay_main.c. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
