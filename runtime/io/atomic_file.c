/* Writing a file atomically (nn/atomic_file.h): a temporary file next to the destination,
 * written through a stdio stream (fopencookie) whose write callback remembers the first
 * failed write() and its errno, then flush, fsync, close, rename, fsync of the directory.
 * Several files commit as one unit by doing every step but the rename for all of them first. */
#define _GNU_SOURCE   /* fopencookie */
#include "nn/atomic_file.h"
#include "atomic_file_fault.h"
#include "../core/fail.h"
#include <dirent.h>
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

/* The fault nn_atomic_fail_next armed, for the next handle opened on a path ending in suffix. */
static struct {
    char suffix[256];
    nn_atomic_step step;
    int err_no;
} next_fault;

void nn_atomic_fail_next(const char *path_suffix, nn_atomic_step step, int err_no)
{
    snprintf(next_fault.suffix, sizeof next_fault.suffix, "%s", path_suffix ? path_suffix : "");
    next_fault.step = path_suffix ? step : NN_ATOMIC_OK;
    next_fault.err_no = err_no;
}

static void arm_next_fault(nn_atomic_file *af)
{
    size_t n = strlen(af->path), k = strlen(next_fault.suffix);
    if (next_fault.step == NN_ATOMIC_OK || k > n || strcmp(af->path + n - k, next_fault.suffix) != 0) return;
    nn_atomic_fail_at(af, next_fault.step, next_fault.err_no);
    next_fault.step = NN_ATOMIC_OK;
}

/* -1 with errno set when a test asked this step to fail, else 0. */
static int injected(const nn_atomic_file *af, nn_atomic_step step)
{
    if (af->fault != step) return 0;
    errno = af->fault_errno;
    return -1;
}

/* What to check after error e in directory dir, as " (...)" into buf. */
static const char *hint_for(int e, const char *dir, char *buf, size_t len)
{
    switch (e) {
    case ENOENT: return " (does the directory exist?)";
    case EACCES: case EPERM: case EROFS: return " (is the directory writable?)";
    case ENOSPC: case EDQUOT:
        snprintf(buf, len, " (disk full or quota reached: the file system holding %s)", dir);
        return buf;
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
        char hint[1100];
        nn_fail(err, errlen, "%s: cannot create a temporary file in %s: %s%s", path, af->dir, strerror(e),
                hint_for(e, af->dir, hint, sizeof hint));
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
    arm_next_fault(af);
    return af;
}

FILE *nn_atomic_stream(nn_atomic_file *af) { return af ? af->f : NULL; }

const char *nn_atomic_path(const nn_atomic_file *af) { return af ? af->path : NULL; }

/* ---- commit ---- */

/* Closes the stream if still open and removes the temporary file. */
static void discard(nn_atomic_file *af)
{
    if (af->f) fclose(af->f);
    af->f = NULL;
    unlink(af->tmp);
}

/* Flush, fsync, close: the content on disk under the temporary name. Returns the name of the
 * step that failed, with its errno in *e, or NULL. */
static const char *write_out(nn_atomic_file *af, int *e)
{
    int wrote_badly = ferror(af->f);
    if (fflush(af->f) != 0 || wrote_badly || ferror(af->f))
        return *e = af->io_errno ? af->io_errno : EIO, wrote_badly ? "write" : "flush";
    if (injected(af, NN_ATOMIC_FSYNC) || fsync(af->fd) != 0) return *e = errno, "fsync";
    FILE *f = af->f;
    af->f = NULL;
    if (fclose(f) != 0) return *e = af->io_errno ? af->io_errno : errno, "close";
    return NULL;
}

static const char *put_in_place(nn_atomic_file *af, int *e)
{
    if (injected(af, NN_ATOMIC_RENAME) || rename(af->tmp, af->path) != 0) return *e = errno, "rename";
    return NULL;
}

/* fsync the directory so that the rename itself survives a crash. */
static int sync_dir(const char *dir, const nn_atomic_file *af)
{
    if (af && injected(af, NN_ATOMIC_DIRSYNC)) return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    if (rc && (errno == EINVAL || errno == EROFS)) rc = 0;   /* file systems without directory sync */
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* The message of a step that failed before anything of the unit was replaced. */
static int fail_before_rename(const nn_atomic_file *af, const char *step, int e, int n, char *err, size_t errlen)
{
    char hint[1100], kept[96] = "the previous file is unchanged";
    if (n > 1) snprintf(kept, sizeof kept, "the previous files are unchanged (none of the %d written together was replaced)", n);
    return nn_fail(err, errlen, "%s: %s of the temporary file failed: %s%s; %s", af->path, step, strerror(e),
                   hint_for(e, af->dir, hint, sizeof hint), kept);
}

/* Releases the n handles, removing their temporary files first when remove_temps. */
static void end_all(nn_atomic_file *const *af, int n, int remove_temps)
{
    for (int k = 0; k < n; k++) {
        if (af[k] && remove_temps) discard(af[k]);
        release(af[k]);
    }
}

int nn_atomic_commit_all(nn_atomic_file *const *af, int n, char *err, size_t errlen)
{
    int missing = n < 1, e = 0, i, rc;
    for (i = 0; i < n; i++) missing |= !af[i];
    if (missing) {
        end_all(af, n, 1);
        return nn_fail(err, errlen, "no file to commit");
    }
    const char *step = NULL;
    for (i = 0; i < n && !step; i++) step = write_out(af[i], &e);
    if (step) {
        rc = fail_before_rename(af[i - 1], step, e, n, err, errlen);
        end_all(af, n, 1);
        return rc;
    }
    for (i = 0; i < n && !step; i++) step = put_in_place(af[i], &e);
    int renamed = step ? i - 1 : n;
    if (renamed == 0) {
        rc = fail_before_rename(af[0], step, e, n, err, errlen);
        end_all(af, n, 1);
        return rc;
    }
    rc = 0;
    if (step)   /* the unit is half in place: the rest stays whole for a reader to finish */
        rc = nn_fail(err, errlen, "%s: rename of the temporary file failed: %s; written together with %s, which was "
                     "replaced: the new content stays in %s", af[renamed]->path, strerror(e), af[0]->path, af[renamed]->tmp);
    for (int k = 0; k < renamed; k++)   /* the directories of what was renamed */
        if ((k == 0 || strcmp(af[k]->dir, af[k - 1]->dir) != 0) && sync_dir(af[k]->dir, af[k]) != 0 && rc == 0)
            rc = nn_fail(err, errlen, "%s: written, but syncing its directory failed: %s; it may not survive a crash",
                         af[k]->path, strerror(errno));
    end_all(af, n, 0);
    return rc;
}

int nn_atomic_commit(nn_atomic_file *af, char *err, size_t errlen) { return nn_atomic_commit_all(&af, 1, err, errlen); }

void nn_atomic_abort(nn_atomic_file *af)
{
    if (!af) return;
    discard(af);
    release(af);
}

/* ---- what killed writers left ---- */

/* Whether name is a temporary file of base (PATH.tmp-XXXXXX), or of any file when base is NULL. */
static int is_temp_of(const char *name, const char *base)
{
    const char *tag = strstr(name, ".tmp-");
    while (tag && strlen(tag) != sizeof ".tmp-XXXXXX" - 1) tag = strstr(tag + 1, ".tmp-");
    if (!tag || tag == name) return 0;
    for (const char *c = tag + 5; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) return 0;
    return !base || ((size_t)(tag - name) == strlen(base) && strncmp(name, base, (size_t)(tag - name)) == 0);
}

/* Calls fn(dir/name) for each temporary file in dir, of base or (NULL) of any file; stops at
 * the first non-zero return and returns it. */
static int each_temp(const char *dir, const char *base, int (*fn)(const char *tmp, void *ctx), void *ctx)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int rc = 0;
    struct dirent *ent;
    while (rc == 0 && (ent = readdir(d))) {
        if (!is_temp_of(ent->d_name, base)) continue;
        char *tmp = malloc(strlen(dir) + strlen(ent->d_name) + 2);
        if (!tmp) break;
        sprintf(tmp, "%s/%s", dir, ent->d_name);
        rc = fn(tmp, ctx);
        free(tmp);
    }
    closedir(d);
    return rc;
}

int nn_atomic_each_leftover(const char *path, int (*fn)(const char *tmp, void *ctx), void *ctx)
{
    char *dir = dir_of(path);
    const char *slash = strrchr(path, '/');
    int rc = dir ? each_temp(dir, slash ? slash + 1 : path, fn, ctx) : 0;
    free(dir);
    return rc;
}

int nn_atomic_adopt(const char *tmp, const char *path, char *err, size_t errlen)
{
    if (rename(tmp, path) != 0) return nn_fail(err, errlen, "%s: cannot put %s in its place: %s", path, tmp, strerror(errno));
    char *dir = dir_of(path);
    int rc = dir && sync_dir(dir, NULL) != 0
                 ? nn_fail(err, errlen, "%s: put in place, but syncing its directory failed: %s", path, strerror(errno))
                 : 0;
    free(dir);
    return rc;
}

static int remove_one(const char *tmp, void *count)
{
    *(int *)count += unlink(tmp) == 0;
    return 0;
}

int nn_atomic_remove_leftovers(const char *dir)
{
    int count = 0;
    each_temp(dir, NULL, remove_one, &count);
    return count;
}
