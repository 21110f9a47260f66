#include <stdarg.h>
#include <minnow/console.h>
#include <minnow/panic.h>
#include <minnow/exit.h>
#include <arch/traps.h>

void panic(const char *fmt, ...)
{
    va_list ap;

    printk("\nPANIC: ");
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk("\n");
    print_stack_trace((uint64_t)__builtin_return_address(0),
                      (uint64_t)__builtin_frame_address(0));
    if (fatal_trap_hook)
        fatal_trap_hook(NULL, 0);
    minnow_exit(EXIT_PANIC);
}
