/* Opening a file for reading only if it is a regular file (nn/regular_file.h): open without
 * blocking, fstat the descriptor, then clear O_NONBLOCK. */
#include "nn/regular_file.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a path is when it is not a regular file, as in "is a FIFO". */
static const char *kind_of(mode_t mode)
{
    static const struct { mode_t type; const char *kind; } kinds[] = {
        {S_IFDIR, "a directory"},        {S_IFIFO, "a FIFO"},         {S_IFSOCK, "a socket"},
        {S_IFCHR, "a character device"}, {S_IFBLK, "a block device"}, {S_IFLNK, "a symbolic link"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if ((mode & S_IFMT) == kinds[i].type) return kinds[i].kind;
    return "of an unknown kind";
}

static int refuse_kind(int fd, mode_t mode, char *why, size_t whylen)
{
    if (fd >= 0) close(fd);
    if (whylen) snprintf(why, whylen, "is %s, not a regular file", kind_of(mode));
    errno = EINVAL;
    return -1;
}

/* Closes fd (when open) and reports errno as the reason; errno is kept for the caller. */
static int refuse_errno(int fd, char *why, size_t whylen)
{
    int e = errno;
    if (fd >= 0) close(fd);
    if (whylen) snprintf(why, whylen, "cannot open: %s", strerror(e));
    errno = e;
    return -1;
}

int nn_open_regular(const char *path, char *why, size_t whylen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        /* A socket cannot be opened at all (ENXIO): say what it is rather than why open failed. */
        int e = errno;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) return refuse_kind(-1, st.st_mode, why, whylen);
        errno = e;
        return refuse_errno(-1, why, whylen);
    }
    if (fstat(fd, &st) != 0) return refuse_errno(fd, why, whylen);
    if (!S_ISREG(st.st_mode)) return refuse_kind(fd, st.st_mode, why, whylen);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) return refuse_errno(fd, why, whylen);
    return fd;
}

FILE *nn_fopen_regular(const char *path, char *why, size_t whylen)
{
    int fd = nn_open_regular(path, why, whylen);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) refuse_errno(fd, why, whylen);
    return f;
}
