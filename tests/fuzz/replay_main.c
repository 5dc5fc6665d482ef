/* The main of a fuzz harness built without libFuzzer (gcc, `make test`): feeds each file given,
 * and each regular file of each directory given (in name order, dot files skipped), to the harness's
 * LLVMFuzzerTestOneInput as libFuzzer would, so inputs that once crashed stay fixed on any
 * build. Prints one line per file; a crash or a broken promise aborts with that line last. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* The whole file in a buffer of exactly its size (so a read past the end is ASan's), or NULL. */
static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(n ? (size_t)n : 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int replay_file(const char *path)
{
    size_t len;
    uint8_t *buf = read_all(path, &len);
    if (!buf) {
        perror(path);
        return -1;
    }
    printf("  %s (%zu bytes)\n", path, len);
    fflush(stdout);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int skip_dot(const struct dirent *e) { return e->d_name[0] != '.'; }

/* Each file of dir; -1 if it cannot be read. */
static int replay_dir(const char *dir, int *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, skip_dot, alphasort), rc = n < 0 ? -1 : 0;
    if (n < 0) perror(dir);
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = replay_file(path);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    int count = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) rc |= replay_dir(argv[i], &count);
        else {
            rc |= replay_file(argv[i]);
            count++;
        }
    }
    printf("%s: %d input%s replayed%s\n", argv[0], count, count == 1 ? "" : "s", rc ? ", some unreadable" : "");
    return rc ? 1 : 0;
}
