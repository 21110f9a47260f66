#ifndef MINNOW_XS_PROBE_H
#define MINNOW_XS_PROBE_H

/* The `xenstore_test` round trip the toolstack harness checks (xs_probe.c). */
int xs_probe_start(void);

#endif
