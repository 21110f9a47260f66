/*
 * Ending the run.  As dom0 under QEMU minnow writes a status byte to QEMU's
 * isa-debug-exit port, so the harness gets a real exit code ((status << 1) | 1);
 * as a domU it asks Xen to power off (or crash, for failures).
 */
#ifndef MINNOW_EXIT_H
#define MINNOW_EXIT_H

enum exit_status {
    EXIT_SUCCESS_STATUS = 0x10,   /* QEMU exits 33 */
    EXIT_FAILURE_STATUS = 0x11,   /* 35 */
    EXIT_ERROR_STATUS   = 0x12,   /* 37 */
    EXIT_SKIP_STATUS    = 0x13,   /* 39 */
    EXIT_PANIC          = 0x1f,   /* 63 */
};

void minnow_exit(enum exit_status status) __attribute__((noreturn));

#endif
