/* tmpdir.h — cmocka group set-up for tests that write files: each test program works in a
 * fresh directory under /tmp, removed afterwards. */
#ifndef NNRUN_TEST_TMPDIR_H
#define NNRUN_TEST_TMPDIR_H
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmpdir_path[64];

static inline int tmpdir_enter(void **state)
{
    (void)state;
    snprintf(tmpdir_path, sizeof tmpdir_path, "/tmp/nnrun-test-XXXXXX");
    if (!mkdtemp(tmpdir_path) || chdir(tmpdir_path) != 0) return -1;
    return 0;
}

static inline int tmpdir_remove(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir_path);
    return chdir("/") == 0 && system(cmd) == 0 ? 0 : -1;
}

static inline void write_file(const char *name, const char *text)
{
    FILE *f = fopen(name, "w");
    if (!f) {
        perror(name);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

/* The absolute path of a committed fixture (rel: from the repository's top folder, where the
 * tests start), taken before tmpdir_enter moves away; 0, or -1 saying so. */
static inline int fixture_resolve(const char *rel, char *out)
{
    if (realpath(rel, out)) return 0;
    fprintf(stderr, "%s: not found (run the tests from the repository's top folder)\n", rel);
    return -1;
}
#endif
