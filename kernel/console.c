/*
 * Console output.  printk formats with newlib's vsnprintf into a bounded
 * buffer (no heap, so it works from the first instruction of C and inside
 * trap handlers) and hands the bytes to every registered backend.
 */
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <minnow/console.h>
#include <minnow/events.h>
#include <arch/hypercall.h>

/* PV equivalent of writing to a UART: Xen prints it (dom0, or debug Xen). */
static void hypercall_console_write(const char *buf, size_t len)
{
    while (len > 0) {
        long rc = hypercall_console_io(CONSOLEIO_write, len, buf);
        if (rc < 0)
            return;             /* nowhere left to report it */
        if (rc == 0)
            rc = len;           /* older Xen returns 0 for "all written" */
        buf += rc;
        len -= rc;
    }
}

static struct console_backend hypercall_backend = {
    .name = "xen-consoleio",
    .write = hypercall_console_write,
};

static struct console_backend *backends = &hypercall_backend;

void console_register(struct console_backend *be)
{
    be->next = backends;
    backends = be;
}

void console_unregister(struct console_backend *be)
{
    for (struct console_backend **p = &backends; *p; p = &(*p)->next) {
        if (*p == be) {
            *p = be->next;
            return;
        }
    }
}

/*
 * Until a domU has its console ring, what it prints goes nowhere visible:
 * keep the first few KiB so the ring can replay the boot messages.
 */
static char early_log[16384];
static size_t early_len;
static bool early_capture = true;

void console_replay_early(struct console_backend *be)  /* be may be NULL */
{
    if (be && early_capture && early_len)
        be->write(early_log, early_len);
    early_capture = false;
}

/*
 * Backends are not re-entrant (a ring backend reads its producer index,
 * copies, then publishes it), and event handlers print too.  Events stay
 * masked while a message is written, so a handler's message comes after
 * the thread's, not inside it; the upcall itself runs masked already.
 */
void console_write(const char *buf, size_t len)
{
    unsigned long flags = local_events_save();

    if (early_capture) {
        size_t n = len < sizeof(early_log) - early_len ? len : sizeof(early_log) - early_len;
        memcpy(early_log + early_len, buf, n);
        early_len += n;
    }
    for (struct console_backend *be = backends; be; be = be->next)
        be->write(buf, len);
    local_events_restore(flags);
}

int vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n < 0)
        return n;
    if ((size_t)n >= sizeof(buf)) {
        n = sizeof(buf) - 1;
        memcpy(buf + n - 4, "...\n", 4);
    }
    console_write(buf, n);
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
