/* Writing a file atomically (nn/atomic_file.h): a temporary file next to the destination,
 * written through a stdio stream (fopencookie) whose write callback remembers the first
 * failed write() and its errno, then flush, fsync, close, rename, fsync of the directory. */
#define _GNU_SOURCE   /* fopencookie */
#include "nn/atomic_file.h"
#include "atomic_file_fault.h"
#include "../core/fail.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct nn_atomic_file {
    FILE *f;              /* the stream over fd; NULL once closed */
    int fd;               /* the temporary file; -1 once closed */
    int io_errno;         /* errno of the first failed write() or close() of the stream */
    char *path, *tmp, *dir;
    nn_atomic_step fault; /* a test's injected failure (atomic_file_fault.h) */
    int fault_errno;
};

void nn_atomic_fail_at(nn_atomic_file *af, nn_atomic_step step, int err_no)
{
    af->fault = step;
    af->fault_errno = err_no;
}

/* -1 with errno set when a test asked this step to fail, else 0. */
static int injected(const nn_atomic_file *af, nn_atomic_step step)
{
    if (af->fault != step) return 0;
    errno = af->fault_errno;
    return -1;
}

static const char *hint_for(int e)
{
    switch (e) {
    case ENOENT: return " (does the directory exist?)";
    case EACCES: case EPERM: case EROFS: return " (is the directory writable?)";
    case ENOSPC: case EDQUOT: return " (disk full or quota reached)";
    default: return "";
    }
}

/* ---- the stream: write() until done; after a failure every later write fails too ---- */

/* Returns the bytes written; fewer than n is an error to stdio (never a negative count:
 * glibc would take it for a huge one). */
static ssize_t stream_write(void *cookie, const char *buf, size_t n)
{
    nn_atomic_file *af = cookie;
    size_t done = 0;
    while (done < n && !af->io_errno) {
        ssize_t k = injected(af, NN_ATOMIC_WRITE) ? -1 : write(af->fd, buf + done, n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) af->io_errno = k < 0 ? errno : EIO;
        else done += (size_t)k;
    }
    return (ssize_t)done;
}

static int stream_close(void *cookie)
{
    nn_atomic_file *af = cookie;
    int rc = close(af->fd);
    af->fd = -1;
    if (rc == 0) rc = injected(af, NN_ATOMIC_CLOSE);
    if (rc != 0 && !af->io_errno) af->io_errno = errno;
    return rc;
}

/* ---- open ---- */

static void release(nn_atomic_file *af)
{
    if (!af) return;
    free(af->path);
    free(af->tmp);
    free(af->dir);
    free(af);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* Fills the XXXXXX of af->tmp and creates it with O_EXCL, mode 0644 less the umask (the
 * kernel applies it, as for fopen); a name someone else holds is retried with other letters.
 * Returns the descriptor, or -1 with errno. */
static int create_temp(nn_atomic_file *af)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char *x = af->tmp + strlen(af->tmp) - 6;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 40) ^ (uintptr_t)af;
    for (int attempt = 0; attempt < 100; attempt++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t v = s >> 16;
        for (int i = 0; i < 6; i++, v /= 62) x[i] = letters[v % 62];
        int fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

static nn_atomic_file *alloc_handle(const char *path)
{
    nn_atomic_file *af = calloc(1, sizeof *af);
    if (!af) return NULL;
    size_t n = strlen(path);
    af->fd = -1;
    af->path = strdup(path);
    af->dir = dir_of(path);
    af->tmp = malloc(n + sizeof ".tmp-XXXXXX");
    if (!af->path || !af->dir || !af->tmp) {
        release(af);
        return NULL;
    }
    memcpy(af->tmp, path, n);
    memcpy(af->tmp + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    return af;
}

nn_atomic_file *nn_atomic_open(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) return nn_fail(err, errlen, "no output path given"), NULL;
    nn_atomic_file *af = alloc_handle(path);
    if (!af) return nn_fail(err, errlen, "%s: out of memory", path), NULL;
    af->fd = create_temp(af);
    if (af->fd < 0) {
        int e = errno;
        nn_fail(err, errlen, "%s: cannot create a temporary file in %s: %s%s", path, af->dir, strerror(e), hint_for(e));
        release(af);
        return NULL;
    }
    af->f = fopencookie(af, "w", (cookie_io_functions_t){.write = stream_write, .close = stream_close});
    if (!af->f) {
        int e = errno;
        close(af->fd);
        unlink(af->tmp);
        nn_fail(err, errlen, "%s: %s", path, strerror(e));
        release(af);
        return NULL;
    }
    return af;
}

FILE *nn_atomic_stream(nn_atomic_file *af) { return af ? af->f : NULL; }

/* ---- commit ---- */

/* Closes the stream if still open and removes the temporary file. */
static void discard(nn_atomic_file *af)
{
    if (af->f) fclose(af->f);
    af->f = NULL;
    unlink(af->tmp);
}

/* Flush, fsync, close, rename. Returns the name of the step that failed, with its errno in
 * *e, or NULL when the content is in place. */
static const char *put_in_place(nn_atomic_file *af, int *e)
{
    int wrote_badly = ferror(af->f);
    if (fflush(af->f) != 0 || wrote_badly || ferror(af->f))
        return *e = af->io_errno ? af->io_errno : EIO, wrote_badly ? "write" : "flush";
    if (injected(af, NN_ATOMIC_FSYNC) || fsync(af->fd) != 0) return *e = errno, "fsync";
    FILE *f = af->f;
    af->f = NULL;
    if (fclose(f) != 0) return *e = af->io_errno ? af->io_errno : errno, "close";
    if (injected(af, NN_ATOMIC_RENAME) || rename(af->tmp, af->path) != 0) return *e = errno, "rename";
    return NULL;
}

/* fsync the directory so that the rename itself survives a crash. */
static int sync_dir(const nn_atomic_file *af)
{
    if (injected(af, NN_ATOMIC_DIRSYNC)) return -1;
    int fd = open(af->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    if (rc && (errno == EINVAL || errno == EROFS)) rc = 0;   /* file systems without directory sync */
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int nn_atomic_commit(nn_atomic_file *af, char *err, size_t errlen)
{
    if (!af) return nn_fail(err, errlen, "no file to commit");
    int e = 0, rc = 0;
    const char *step = put_in_place(af, &e);
    if (step) {
        discard(af);
        rc = nn_fail(err, errlen, "%s: %s of the temporary file failed: %s%s; the previous file is unchanged", af->path,
                     step, strerror(e), hint_for(e));
    } else if (sync_dir(af) != 0) {
        rc = nn_fail(err, errlen, "%s: written, but syncing its directory failed: %s; it may not survive a crash", af->path,
                     strerror(errno));
    }
    release(af);
    return rc;
}

void nn_atomic_abort(nn_atomic_file *af)
{
    if (!af) return;
    discard(af);
    release(af);
}
