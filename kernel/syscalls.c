/*
 * The system-call layer newlib expects.  newlib has no port for a bare
 * x86_64-elf target, so it calls these plain POSIX names directly.  There
 * are no processes and no files: stdout/stderr go to the console, the heap
 * grows with sbrk, and exit ends the domain.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <minnow/console.h>
#include <minnow/exit.h>
#include <minnow/heap.h>

#undef errno
extern int errno;

void *sbrk(ptrdiff_t increment)
{
    void *old = heap_sbrk(increment);
    if (!old) {
        errno = ENOMEM;
        return (void *)-1;
    }
    return old;
}

int write(int fd, const void *buf, size_t len)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    console_write(buf, len);
    return len;
}

int read(int fd, void *buf, size_t len)
{
    errno = EBADF;
    return -1;
}

int open(const char *path, int flags, ...)
{
    errno = ENOENT;
    return -1;
}

int close(int fd)
{
    errno = EBADF;
    return -1;
}

off_t lseek(int fd, off_t off, int whence)
{
    errno = ESPIPE;
    return -1;
}

int fstat(int fd, struct stat *st)
{
    if (fd < 0 || fd > 2) {
        errno = EBADF;
        return -1;
    }
    st->st_mode = S_IFCHR;     /* the console: unbuffered-ish, line mode */
    return 0;
}

int isatty(int fd)
{
    return fd >= 0 && fd <= 2;
}

int getpid(void)
{
    return 1;
}

int kill(int pid, int sig)
{
    printk("minnow: kill(%d, %d): ending the run\n", pid, sig);
    minnow_exit(EXIT_PANIC);
}

void _exit(int code)
{
    minnow_exit(code == 0 ? EXIT_SUCCESS_STATUS : EXIT_FAILURE_STATUS);
}
