/* nn/atomic_file.h: the content lands; a failed write — a real one (file size limit: write()
 * fails with EFBIG as a full disk fails with ENOSPC; a directory in the way of the rename) or
 * one injected at each step of the commit — keeps the previous file and leaves no temporary
 * file; the mode follows the umask; a missing directory is named. Several files committed as
 * one unit are all replaced or none; one cut between its renames leaves the rest whole for a
 * reader to find and put in place; the leftovers of killed writers are removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nn/atomic_file.h"
#include "../runtime/io/atomic_file_fault.h"
#include "tmpdir.h"

/* ---- helpers ---- */

static int count_temps(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) n++;
    closedir(d);
    return n;
}

/* The whole file as a string (static buffer), or NULL if it cannot be read. */
static const char *content(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

/* Writes text to path through the helper: nn_atomic_commit's result. */
static int write_text(const char *path, const char *text, char *err, size_t errlen)
{
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    fputs(text, nn_atomic_stream(af));
    return nn_atomic_commit(af, err, errlen);
}

static void assert_contains(const char *s, const char *part)
{
    if (!strstr(s, part)) fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* Writes "header" then n bytes of 'x' to path with the file size limit at limit bytes
 * (SIGXFSZ ignored, so that write() returns EFBIG); nn_atomic_commit's result. Nothing may
 * print while the limit holds. Past stdio's buffer the failure shows in fwrite as stdio's
 * contract says: its error flag, and a count of exactly the bytes that reached the file (a
 * stream callback that returns -1 instead makes glibc copy past the caller's buffer). */
static int write_under_limit(const char *path, rlim_t limit, size_t n, char *err, size_t errlen)
{
    char *text = malloc(n);
    assert_non_null(text);
    memset(text, 'x', n);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    assert_non_null(af);
    FILE *f = nn_atomic_stream(af);
    struct rlimit saved, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    lim = saved;
    lim.rlim_cur = limit;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    fputs("header", f);
    size_t wrote = fwrite(text, 1, n, f);
    int failed_already = ferror(f);
    int rc = nn_atomic_commit(af, err, errlen);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, prev);
    free(text);
    if (n > limit + 2 * BUFSIZ) {
        assert_true(failed_already);
        assert_int_equal(wrote, limit - 6);
    }
    return rc;
}

/* ---- success ---- */

static void test_content_lands_and_replaces_the_previous_file(void **state)
{
    (void)state;
    char err[512] = "";
    assert_int_equal(write_text("a.csv", "epoch,loss\n1,0.5\n", err, sizeof err), 0);
    assert_string_equal(content("a.csv"), "epoch,loss\n1,0.5\n");
    assert_int_equal(write_text("a.csv", "new", err, sizeof err), 0);
    assert_string_equal(content("a.csv"), "new");
    assert_int_equal(mkdir("sub", 0755), 0);
    assert_int_equal(write_text("sub/b.txt", "", err, sizeof err), 0);   /* empty file, in a folder */
    assert_string_equal(content("sub/b.txt"), "");
    assert_int_equal(count_temps("."), 0);
    assert_int_equal(count_temps("sub"), 0);
}

/* Large writes go past stdio's buffer straight to write(); every byte must arrive. */
static void test_a_large_binary_file_arrives_whole(void **state)
{
    (void)state;
    size_t n = 3 << 20;
    unsigned char *data = malloc(n), *back = malloc(n);
    assert_true(data && back);
    for (size_t i = 0; i < n; i++) data[i] = (unsigned char)(i * 2654435761u >> 13);
    char err[512] = "";
    nn_atomic_file *af = nn_atomic_open("big.bin", err, sizeof err);
    assert_non_null(af);
    FILE *f = nn_atomic_stream(af);
    assert_int_equal(fwrite(data, 1, 100, f), 100);
    assert_int_equal(fwrite(data + 100, 1, n - 100, f), n - 100);
    assert_int_equal(nn_atomic_commit(af, err, sizeof err), 0);
    FILE *r = fopen("big.bin", "rb");
    assert_non_null(r);
    assert_int_equal(fread(back, 1, n, r), n);
    assert_int_equal(fgetc(r), EOF);
    fclose(r);
    assert_memory_equal(back, data, n);
    free(data);
    free(back);
}

static void test_mode_is_0644_under_umask_022_and_follows_the_umask(void **state)
{
    (void)state;
    char err[512] = "";
    struct stat st;
    mode_t old = umask(022);
    assert_int_equal(write_text("m.txt", "x", err, sizeof err), 0);
    assert_int_equal(stat("m.txt", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    umask(077);
    assert_int_equal(write_text("p.txt", "x", err, sizeof err), 0);
    assert_int_equal(stat("p.txt", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    umask(old);
}

/* Two handles on one destination at once get two temporary files; the last commit wins. */
static void test_two_writers_of_one_file_do_not_collide(void **state)
{
    (void)state;
    char err[512] = "";
    nn_atomic_file *a = nn_atomic_open("both.txt", err, sizeof err), *b = nn_atomic_open("both.txt", err, sizeof err);
    assert_true(a && b);
    assert_int_equal(count_temps("."), 2);
    fputs("first", nn_atomic_stream(a));
    fputs("second", nn_atomic_stream(b));
    assert_int_equal(nn_atomic_commit(a, err, sizeof err), 0);
    assert_int_equal(nn_atomic_commit(b, err, sizeof err), 0);
    assert_string_equal(content("both.txt"), "second");
    assert_int_equal(count_temps("."), 0);
}

/* ---- failures ---- */

static void test_abort_keeps_the_previous_file(void **state)
{
    (void)state;
    char err[512] = "";
    assert_int_equal(write_text("keep.txt", "old", err, sizeof err), 0);
    nn_atomic_file *af = nn_atomic_open("keep.txt", err, sizeof err);
    assert_non_null(af);
    fputs("half of the new", nn_atomic_stream(af));
    nn_atomic_abort(af);
    nn_atomic_abort(NULL);
    assert_string_equal(content("keep.txt"), "old");
    assert_int_equal(count_temps("."), 0);
}

/* A real write() failure, during the caller's writes (more than stdio buffers) and during
 * the commit's flush (a few bytes, nothing may be written at all). */
static void test_a_failed_write_keeps_the_previous_file(void **state)
{
    (void)state;
    char err[512] = "";
    assert_int_equal(write_text("w.csv", "old", err, sizeof err), 0);
    assert_int_equal(write_under_limit("w.csv", 64 * 1024, 1 << 20, err, sizeof err), -1);
    assert_contains(err, "w.csv: write of the temporary file failed: ");
    assert_contains(err, strerror(EFBIG));
    assert_contains(err, "the previous file is unchanged");
    assert_string_equal(content("w.csv"), "old");
    assert_int_equal(count_temps("."), 0);

    err[0] = 0;
    assert_int_equal(write_under_limit("w.csv", 0, 10, err, sizeof err), -1);
    assert_contains(err, "w.csv: flush of the temporary file failed: ");
    assert_contains(err, strerror(EFBIG));
    assert_string_equal(content("w.csv"), "old");
    assert_int_equal(count_temps("."), 0);
}

/* A real rename failure: a directory holds the name. */
static void test_a_failed_rename_leaves_no_temporary_file(void **state)
{
    (void)state;
    char err[512] = "";
    assert_int_equal(mkdir("adir", 0755), 0);
    assert_int_equal(write_text("adir", "text", err, sizeof err), -1);
    assert_contains(err, "adir: rename of the temporary file failed: ");
    assert_contains(err, strerror(EISDIR));
    struct stat st;
    assert_int_equal(stat("adir", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(count_temps("."), 0);
}

/* Each step of the commit fails in turn (injected): up to the rename the previous file stays;
 * a failed directory sync comes after the rename, so the new content is there but the call
 * still fails. Never a temporary file left. */
static void test_each_step_of_the_commit_fails_cleanly(void **state)
{
    (void)state;
    static const struct {
        nn_atomic_step step;
        int err_no;
        const char *says;
    } cases[] = {
        {NN_ATOMIC_WRITE, ENOSPC, "write of the temporary file failed: No space left on device (disk full"},
        {NN_ATOMIC_FSYNC, EIO, "fsync of the temporary file failed: Input/output error"},
        {NN_ATOMIC_CLOSE, EIO, "close of the temporary file failed: Input/output error"},
        {NN_ATOMIC_RENAME, EXDEV, "rename of the temporary file failed: Invalid cross-device link"},
        {NN_ATOMIC_DIRSYNC, EIO, "written, but syncing its directory failed: Input/output error"},
    };
    static char big[1 << 16];
    char err[512];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(write_text("s.txt", "old", err, sizeof err), 0);
        nn_atomic_file *af = nn_atomic_open("s.txt", err, sizeof err);
        assert_non_null(af);
        fputs("new", nn_atomic_stream(af));
        nn_atomic_fail_at(af, cases[i].step, cases[i].err_no);
        if (cases[i].step == NN_ATOMIC_WRITE) fwrite(big, 1, sizeof big, nn_atomic_stream(af));   /* past the buffer */
        err[0] = 0;
        assert_int_equal(nn_atomic_commit(af, err, sizeof err), -1);
        assert_contains(err, "s.txt: ");
        assert_contains(err, cases[i].says);
        assert_string_equal(content("s.txt"), cases[i].step == NN_ATOMIC_DIRSYNC ? "new" : "old");
        assert_int_equal(count_temps("."), 0);
    }
}

static void test_a_missing_directory_is_named(void **state)
{
    (void)state;
    char err[512] = "";
    assert_null(nn_atomic_open("missing/deeper/out.png", err, sizeof err));
    assert_contains(err, "missing/deeper/out.png: cannot create a temporary file in missing/deeper: ");
    assert_contains(err, strerror(ENOENT));
    assert_contains(err, "does the directory exist?");
    write_file("plain", "x");
    assert_null(nn_atomic_open("plain/out.png", err, sizeof err));
    assert_contains(err, strerror(ENOTDIR));
    assert_null(nn_atomic_open("", err, sizeof err));
    assert_contains(err, "no output path");
    assert_int_equal(nn_atomic_commit(NULL, err, sizeof err), -1);
    assert_int_equal(count_temps("."), 0);
}

/* Three files opened with "new" written to each (the second failing at STEP when asked). */
static void open_unit(nn_atomic_file **af, const char *const *names, nn_atomic_step step, int err_no)
{
    char err[512];
    for (int i = 0; i < 3; i++) {
        af[i] = nn_atomic_open(names[i], err, sizeof err);
        assert_non_null(af[i]);
        fputs("new", nn_atomic_stream(af[i]));
    }
    if (step != NN_ATOMIC_OK) nn_atomic_fail_at(af[1], step, err_no);
}

static void test_a_unit_of_files_is_replaced_whole_or_not_at_all(void **state)
{
    (void)state;
    static const char *const names[] = {"u1.txt", "u2.txt", "u3.txt"};
    static const nn_atomic_step before_rename[] = {NN_ATOMIC_WRITE, NN_ATOMIC_FSYNC, NN_ATOMIC_CLOSE};
    char err[512];
    nn_atomic_file *af[3];
    for (size_t k = 0; k < sizeof before_rename / sizeof *before_rename; k++) {
        for (int i = 0; i < 3; i++) assert_int_equal(write_text(names[i], "old", err, sizeof err), 0);
        open_unit(af, names, before_rename[k], ENOSPC);
        err[0] = 0;
        assert_int_equal(nn_atomic_commit_all(af, 3, err, sizeof err), -1);
        assert_contains(err, "u2.txt: ");
        assert_contains(err, "none of the 3 written together was replaced");
        for (int i = 0; i < 3; i++) assert_string_equal(content(names[i]), "old");
        assert_int_equal(count_temps("."), 0);
    }
    open_unit(af, names, NN_ATOMIC_OK, 0);
    assert_int_equal(nn_atomic_commit_all(af, 3, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) assert_string_equal(content(names[i]), "new");
    assert_int_equal(count_temps("."), 0);
}

static int remember(const char *tmp, void *ctx)
{
    snprintf(ctx, 256, "%s", tmp);
    return 1;
}

/* The second rename fails (as a crash there would stop it): the first file is new, the second
 * and third wait whole in their temporary files, which nn_atomic_each_leftover finds and
 * nn_atomic_adopt puts in place. */
static void test_a_unit_cut_between_its_renames_can_be_finished(void **state)
{
    (void)state;
    static const char *const names[] = {"c1.txt", "c2.txt", "c3.txt"};
    char err[512], tmp[256] = "";
    nn_atomic_file *af[3];
    for (int i = 0; i < 3; i++) assert_int_equal(write_text(names[i], "old", err, sizeof err), 0);
    open_unit(af, names, NN_ATOMIC_RENAME, EIO);
    assert_int_equal(nn_atomic_commit_all(af, 3, err, sizeof err), -1);
    assert_contains(err, "c2.txt: rename of the temporary file failed: ");
    assert_contains(err, "written together with c1.txt, which was replaced: the new content stays in c2.txt.tmp-");
    assert_string_equal(content("c1.txt"), "new");
    assert_string_equal(content("c2.txt"), "old");
    assert_int_equal(count_temps("."), 2);
    for (int i = 1; i < 3; i++) {
        assert_int_equal(nn_atomic_each_leftover(names[i], remember, tmp), 1);
        assert_string_equal(content(tmp), "new");
        assert_int_equal(nn_atomic_adopt(tmp, names[i], err, sizeof err), 0);
        assert_string_equal(content(names[i]), "new");
        assert_int_equal(nn_atomic_each_leftover(names[i], remember, tmp), 0);
    }
    assert_int_equal(count_temps("."), 0);
    assert_int_equal(nn_atomic_adopt("gone.tmp-abcdef", "c1.txt", err, sizeof err), -1);
    assert_contains(err, "c1.txt: cannot put gone.tmp-abcdef in its place: ");
}

/* What writers killed before their rename leave (any destination) goes; other names stay. */
static void test_leftovers_of_killed_writers_are_removed(void **state)
{
    (void)state;
    assert_int_equal(mkdir("run", 0755), 0);
    static const char *const temps[] = {"run/model.safetensors.tmp-a1B2c3", "run/metrics.csv.tmp-zzzzzz",
                                        "run/x.png.tmp-000000"};
    static const char *const kept[] = {"run/notes.tmp-abc", "run/a.tmp-abcdefg", "run/.tmp-abcdef", "run/keep.txt"};
    for (size_t i = 0; i < 3; i++) write_file(temps[i], "half");
    for (size_t i = 0; i < 4; i++) write_file(kept[i], "mine");
    assert_int_equal(nn_atomic_remove_leftovers("run"), 3);
    for (size_t i = 0; i < 3; i++) assert_null(content(temps[i]));
    for (size_t i = 0; i < 4; i++) assert_string_equal(content(kept[i]), "mine");
    assert_int_equal(nn_atomic_remove_leftovers("no/such/dir"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_lands_and_replaces_the_previous_file),
        cmocka_unit_test(test_a_large_binary_file_arrives_whole),
        cmocka_unit_test(test_mode_is_0644_under_umask_022_and_follows_the_umask),
        cmocka_unit_test(test_two_writers_of_one_file_do_not_collide),
        cmocka_unit_test(test_abort_keeps_the_previous_file),
        cmocka_unit_test(test_a_failed_write_keeps_the_previous_file),
        cmocka_unit_test(test_a_failed_rename_leaves_no_temporary_file),
        cmocka_unit_test(test_each_step_of_the_commit_fails_cleanly),
        cmocka_unit_test(test_a_missing_directory_is_named),
        cmocka_unit_test(test_a_unit_of_files_is_replaced_whole_or_not_at_all),
        cmocka_unit_test(test_a_unit_cut_between_its_renames_can_be_finished),
        cmocka_unit_test(test_leftovers_of_killed_writers_are_removed),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
