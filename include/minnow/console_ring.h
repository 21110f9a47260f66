#ifndef MINNOW_CONSOLE_RING_H
#define MINNOW_CONSOLE_RING_H

/* Attach the domU console ring from start_info and print through it. */
void console_ring_init(void);

#endif
