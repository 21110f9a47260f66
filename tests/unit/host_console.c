#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minnow/console.h>
#include <minnow/panic.h>
#include "host_console.h"

jmp_buf *host_panic_jmp;
char host_last_panic[256];
static char out[1 << 16];
static size_t out_len;

const char *host_console_output(void)
{
    return out;
}

void host_console_reset(void)
{
    out_len = 0;
    out[0] = '\0';
}

bool host_console_contains(const char *needle)
{
    return strstr(out, needle) != NULL;
}

int vprintk(const char *fmt, va_list ap)
{
    char buf[1024];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n > 0) {
        size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
        if (out_len + len >= sizeof(out))
            out_len = 0;              /* keep the most recent output */
        memcpy(out + out_len, buf, len);
        out_len += len;
        out[out_len] = '\0';
        if (getenv("MINNOW_TEST_VERBOSE"))
            fputs(buf, stderr);
    }
    return n;
}

int printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintk(fmt, ap);
    va_end(ap);
    return n;
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(host_last_panic, sizeof(host_last_panic), fmt, ap);
    va_end(ap);
    if (host_panic_jmp) {
        jmp_buf *jb = host_panic_jmp;
        host_panic_jmp = NULL;
        longjmp(*jb, 1);
    }
    fprintf(stderr, "PANIC: %s\n", host_last_panic);
    abort();
}
