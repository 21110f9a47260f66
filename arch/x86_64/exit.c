#include <minnow/exit.h>
#include <minnow/hypervisor.h>
#include <minnow/console.h>
#include <arch/hypercall.h>

#define ISA_DEBUG_EXIT_PORT 0xf4

static void qemu_debug_exit(unsigned char status)
{
    /* PV equivalent of raising IOPL: lets this ring-3 kernel use outb. */
    struct physdev_set_iopl iopl = { .iopl = 1 };
    long rc = hypercall_physdev_op(PHYSDEVOP_set_iopl, &iopl);

    if (rc) {
        printk("exit: PHYSDEVOP_set_iopl failed: rc=%ld\n", rc);
        return;
    }
    asm volatile("outb %0, %1" :: "a"(status), "Nd"((unsigned short)ISA_DEBUG_EXIT_PORT));
}

void minnow_exit(enum exit_status status)
{
    struct sched_shutdown sd = {
        .reason = status == EXIT_SUCCESS_STATUS || status == EXIT_SKIP_STATUS
                  ? SHUTDOWN_poweroff : SHUTDOWN_crash,
    };

    printk("minnow: exit status %#x\n", status);
    if (is_initial_domain())
        qemu_debug_exit(status);
    /* Not under QEMU's debug-exit device (or it did not stop us): ask Xen. */
    hypercall_sched_op(SCHEDOP_shutdown, &sd);
    for (;;)
        hypercall_sched_op(SCHEDOP_yield, NULL);
}
