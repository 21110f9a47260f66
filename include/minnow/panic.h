#ifndef MINNOW_PANIC_H
#define MINNOW_PANIC_H

/* Print the reason and a stack trace, then end the run as a failure. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define BUG_ON(cond)                                                        \
    do {                                                                    \
        if (__builtin_expect(!!(cond), 0))                                  \
            panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);        \
    } while (0)

#endif
