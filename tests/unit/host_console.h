/*
 * printk and panic for host tests.  printk output is captured into a
 * buffer (and echoed when MINNOW_TEST_VERBOSE is set); panic either jumps
 * back to a test that expects it (HOST_EXPECT_PANIC) or fails the test.
 */
#ifndef HOST_CONSOLE_H
#define HOST_CONSOLE_H

#include <setjmp.h>
#include <stdbool.h>

extern jmp_buf *host_panic_jmp;
extern char host_last_panic[256];

/* True on the first pass; false after the code under test panicked. */
#define HOST_EXPECT_PANIC()                                                  \
    ({                                                                       \
        static jmp_buf jb_;                                                  \
        host_panic_jmp = &jb_;                                               \
        setjmp(jb_) == 0;                                                    \
    })
#define HOST_END_EXPECT_PANIC() (host_panic_jmp = NULL)

/* Everything printk wrote since the last reset. */
const char *host_console_output(void);
void host_console_reset(void);
bool host_console_contains(const char *needle);

#endif
