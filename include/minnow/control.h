/*
 * control/shutdown: the toolstack's requests to a domU (xl shutdown,
 * reboot, save).  Poweroff and reboot end the domain, suspend runs
 * domain_suspend() (drivers/xen/suspend.c) and carries on.
 */
#ifndef MINNOW_CONTROL_H
#define MINNOW_CONTROL_H

/* Watch control/shutdown and act on poweroff / reboot / suspend (domU only). */
int control_init(void);

/*
 * Run fn just before the domain powers off or reboots at the toolstack's
 * request (in the xenstore watch thread), e.g. to tell a peer domain the
 * service is going.  Up to 4 hooks; -ENOSPC beyond.
 */
int control_on_shutdown(void (*fn)(const char *what));
/*
 * For an application with nothing left to do: block until the toolstack
 * ends the domain.  As dom0 there is no toolstack to wait for, so it
 * returns EXIT_SUCCESS_STATUS at once.
 */
int control_wait_for_toolstack(void);

#endif
