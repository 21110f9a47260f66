/*
 * Suspend and resume (xl save / restore, live migration).
 *
 * The toolstack writes "suspend" to control/shutdown; minnow quiesces
 * everything that talks to Xen, makes its state canonical (no machine
 * addresses the save cannot translate), and calls SCHEDOP_shutdown
 * (SHUTDOWN_suspend).  The call returns in the restored domain (0), or in
 * the same one when the suspend was cancelled (1, `xl save -c`).  Every
 * mfn may have changed; pfns have not.  Each subsystem that talks to Xen
 * registers hooks; resume runs them in registration order, suspend in
 * reverse.
 *
 * A restore ends every grant and every event channel, and Xen reuses
 * their refs and port numbers.  What owners do about it (docs/suspend.md):
 *   grant refs      stay yours: end each with gnttab_end_access() (it
 *                   returns 0 and frees it), then grant afresh (gnttab.h)
 *   event channels  close through a handle, evtchn_close_handle(): one
 *                   from before the restore closes nothing (events.h)
 *   time            monotonic_ns() carries on; deadlines keep (time.h)
 *   xenstore        no transaction spans a restore (xenstore.h)
 */
#ifndef MINNOW_SUSPEND_H
#define MINNOW_SUSPEND_H

#include <stdbool.h>

struct suspend_hooks {
    const char *name;
    int (*suspend)(void);               /* 0, or -errno to abort the suspend */
    void (*resume)(bool cancelled);     /* cancelled: same domain, same mfns */
    struct suspend_hooks *next;
};

void suspend_register(struct suspend_hooks *hooks);
/* 0: resumed in a new domain; 1: suspend cancelled; -errno: not suspended. */
int domain_suspend(void);
unsigned long suspend_count(void);

#endif
