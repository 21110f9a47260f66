/*
 * The console: where printk() output goes.
 *
 * Early on (and always in dom0) that is CONSOLEIO_write, which Xen prints on
 * its own serial line.  As a domU minnow adds the PV console ring
 * (drivers/console/); the hypercall stays registered too, for a debug Xen
 * that shows a domU's CONSOLEIO_write.
 */
#ifndef MINNOW_CONSOLE_H
#define MINNOW_CONSOLE_H

#include <stddef.h>
#include <stdarg.h>

struct console_backend {
    const char *name;
    void (*write)(const char *buf, size_t len);
    struct console_backend *next;
};

void console_write(const char *buf, size_t len);
void console_register(struct console_backend *be);
void console_unregister(struct console_backend *be);
/* Hand be everything printed so far (boot messages), then stop keeping it. */
void console_replay_early(struct console_backend *be);

int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);

#endif
