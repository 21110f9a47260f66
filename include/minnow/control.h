#ifndef MINNOW_CONTROL_H
#define MINNOW_CONTROL_H

/* Watch control/shutdown and act on poweroff / reboot (domU only). */
int control_init(void);

#endif
