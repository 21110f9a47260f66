/*
 * The application's entry point.  start_kernel() calls app_main() once
 * the whole system is up (memory, events, threads, grant tables, and as a
 * domU xenstore, the balloon and the disks); its return value is the exit
 * status (include/minnow/exit.h).  Returning ends the domain, so a
 * long-running application never returns: it may block in
 * control_wait_for_toolstack() and let xl shut it down.
 *
 * Link: build/minnow is libminnow.a with the default app_main() of
 * kernel/boot/app.c; a stub domain links its own objects first:
 *     ld -T linker.ld -o myapp app.o build/libminnow.a <newlib, libgcc>
 * (`make app APP_OBJS=...`, see README).
 */
#ifndef MINNOW_APP_H
#define MINNOW_APP_H

int app_main(void);

#endif
