/* nn/regular_file.h: a regular file opens, for blocking reads; a FIFO (at once, though no one
 * writes to it), a directory, a device, a socket and a symbolic link to a FIFO are refused with
 * what they are; a missing file keeps ENOENT for the caller's hint. Each refusal runs under an
 * alarm, so a reader that blocks fails the test instead of hanging it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "nn/regular_file.h"
#include "tmpdir.h"

static char why[NN_WHY_LEN];

/* nn_open_regular(path) fails at once with why == "is <kind>, not a regular file". */
static void expect_refused(const char *path, const char *kind)
{
    char want[NN_WHY_LEN];
    snprintf(want, sizeof want, "is %s, not a regular file", kind);
    alarm(10);
    errno = 0;
    assert_int_equal(nn_open_regular(path, why, sizeof why), -1);
    assert_int_equal(errno, EINVAL);
    assert_null(nn_fopen_regular(path, why, sizeof why));
    alarm(0);
    assert_string_equal(why, want);
}

static void test_regular_file_opens_for_blocking_reads(void **state)
{
    (void)state;
    write_file("plain.txt", "hello\n");
    int fd = nn_open_regular("plain.txt", why, sizeof why);
    assert_true(fd >= 0);
    int flags = fcntl(fd, F_GETFL);
    assert_int_equal(flags & O_NONBLOCK, 0);   /* cleared after the check */
    assert_int_not_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    close(fd);
    FILE *f = nn_fopen_regular("plain.txt", why, sizeof why);
    assert_non_null(f);
    char line[16];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "hello\n");
    fclose(f);
}

static void test_fifo_is_refused_without_waiting_for_a_writer(void **state)
{
    (void)state;
    assert_int_equal(mkfifo("pipe", 0600), 0);
    expect_refused("pipe", "a FIFO");
    assert_int_equal(symlink("pipe", "link-to-pipe"), 0);   /* the link is followed */
    expect_refused("link-to-pipe", "a FIFO");
}

static void test_directory_device_and_socket_are_refused_by_kind(void **state)
{
    (void)state;
    expect_refused(".", "a directory");
    expect_refused("/dev/null", "a character device");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s/sock", tmpdir_path);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    expect_refused("sock", "a socket");   /* open() itself fails (ENXIO): the kind is still named */
    close(s);
}

static void test_missing_file_keeps_enoent(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(nn_open_regular("nowhere.csv", why, sizeof why), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(why, "cannot open: No such file or directory");
    assert_null(nn_fopen_regular("nowhere.csv", why, sizeof why));
    assert_int_equal(errno, ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_file_opens_for_blocking_reads),
        cmocka_unit_test(test_fifo_is_refused_without_waiting_for_a_writer),
        cmocka_unit_test(test_directory_device_and_socket_are_refused_by_kind),
        cmocka_unit_test(test_missing_file_keeps_enoent),
    };
    return cmocka_run_group_tests(tests, tmpdir_enter, tmpdir_remove);
}
