/*
 * The syscalls newlib's libc.a needs, implemented for running the newlib
 * smoke test (smoke.c) as a bare static Linux program on the build host.
 * Nothing here is minnow's: the kernel implements the same names in
 * kernel/syscalls.c.  The set below is exactly what the link of smoke.c
 * asks for (see build/newlib/syscalls-needed.txt) plus _start.
 *
 * The heap is a fixed static arena so that the test can check how much of
 * it malloc used and what happens when it runs out, the way minnow's sbrk
 * will eventually refuse to grow.
 *
 *   arena                              arena + ARENA_SIZE
 *   |<------ used ------>|<-------- free -------->|
 *                        ^ heap_break (sbrk(0))
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINUX_SYS_WRITE      1
#define LINUX_SYS_EXIT_GROUP 231

#define ARENA_SIZE (8u << 20)
static unsigned char arena[ARENA_SIZE] __attribute__((aligned(4096)));
static size_t heap_break;

int main(void);
void smoke_start(void) __attribute__((noreturn, used));
size_t smoke_heap_used(void);
size_t smoke_heap_size(void);

static long linux_syscall3(long nr, long a0, long a1, long a2)
{
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Linux enters with rsp 16-byte aligned and no return address. */
__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    and $-16, %rsp\n"
        "    call smoke_start\n"
        "    hlt\n");

void smoke_start(void)
{
    exit(main()); /* exit() flushes stdout: that is part of the test */
}

void _exit(int status)
{
    for (;;)
        linux_syscall3(LINUX_SYS_EXIT_GROUP, status, 0, 0);
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t count)
{
    long ret = linux_syscall3(LINUX_SYS_WRITE, fd, (long)buf, (long)count);

    if (ret < 0) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

/* There is no input: every read is at end of file. */
_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t count)
{
    if (fd != 0) {
        errno = EBADF;
        return -1;
    }
    return 0;
}

int close(int fd)
{
    return 0;
}

off_t lseek(int fd, off_t offset, int whence)
{
    errno = ESPIPE;
    return -1;
}

/* stdin/stdout/stderr are character devices: stdio line-buffers stdout. */
int fstat(int fd, struct stat *st)
{
    if (fd < 0 || fd > 2) {
        errno = EBADF;
        return -1;
    }
    *st = (struct stat){ .st_mode = S_IFCHR };
    return 0;
}

int isatty(int fd)
{
    if (fd < 0 || fd > 2) {
        errno = EBADF;
        return 0;
    }
    return 1;
}

void *sbrk(ptrdiff_t increment)
{
    if ((increment > 0 && (size_t)increment > ARENA_SIZE - heap_break) ||
        (increment < 0 && (size_t)-increment > heap_break)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    void *old = arena + heap_break;
    heap_break += (size_t)increment;
    return old;
}

/* abort() -> raise(SIGABRT) -> kill(getpid(), SIGABRT); then abort calls
 * _exit(1).  Exit with the conventional 128 + signal status instead. */
pid_t getpid(void)
{
    return 1;
}

int kill(pid_t pid, int sig)
{
    if (pid != 1) {
        errno = ESRCH;
        return -1;
    }
    _exit(128 + sig);
}

size_t smoke_heap_used(void)
{
    return heap_break;
}

size_t smoke_heap_size(void)
{
    return ARENA_SIZE;
}
