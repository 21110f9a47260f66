/*
 * xenstore client.  Requests go to xenstored (in dom0) over a shared page
 * of two byte rings, one request outstanding at a time; a reader thread
 * takes replies and watch events off the ring, and a watch thread runs
 * watch callbacks (which may issue requests of their own).
 *
 * Every call returns 0 or -errno (xenstored's error names mapped back to
 * errno values); nothing here panics on what the other end says.  Paths
 * without a leading '/' are relative to this domain's home,
 * /local/domain/<domid>.
 */
#ifndef MINNOW_XENSTORE_H
#define MINNOW_XENSTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

typedef uint32_t xs_tx_t;           /* 0: no transaction */
#define XS_NO_TX 0

int xenstore_init(void);
bool xenstore_available(void);

/* *value is malloc'd and NUL-terminated: free() it. */
int xs_read(xs_tx_t tx, const char *path, char **value);
int xs_write(xs_tx_t tx, const char *path, const char *value);
int xs_mkdir(xs_tx_t tx, const char *path);
int xs_rm(xs_tx_t tx, const char *path);
/* *names is one malloc'd block: an array of n pointers, then the strings. */
int xs_directory(xs_tx_t tx, const char *path, char ***names, unsigned int *n);

/*
 * XS_SET_PERMS: perms[0] names the owner and what every domain not listed
 * may do, the rest add one domain each: "n5" (owner 5, others none), "r0"
 * (dom0 may read), "w7", "b3" (read and write).
 */
int xs_set_perms(xs_tx_t tx, const char *path, const char *const perms[], unsigned int n);

/* Read a number (parse_u64: decimal, or 0x hex); -EINVAL if the text is not one. */
int xs_read_u64(xs_tx_t tx, const char *path, uint64_t *value);

/*
 * A suspend waits until every open transaction has ended (and refuses
 * after 10 s); meanwhile xs_transaction_start() waits, and starts on the
 * restored domain's connection.  So a transaction never spans a restore.
 */
int xs_transaction_start(xs_tx_t *tx);
int xs_transaction_end(xs_tx_t tx, bool abort);
/* Run fn inside a transaction, retrying the whole thing on -EAGAIN. */
int xs_transaction_run(int (*fn)(xs_tx_t tx, void *arg), void *arg, unsigned int max_tries);

typedef void (*xs_watch_fn)(const char *path, void *data);
/* The callback runs in the watch thread, once at registration (as
 * xenstored fires every new watch) and on every change under path. */
int xs_watch(const char *path, xs_watch_fn fn, void *data);
/*
 * Remove the watch (path, fn, data): its queued events are dropped, and
 * if its callback is running in the watch thread, this waits until it
 * returns (unless called from that callback).  Afterwards fn is never
 * called with data again, so the caller may free data.
 */
int xs_unwatch(const char *path, xs_watch_fn fn, void *data);

/* Map xenstored's error text ("ENOENT") to -errno; -EIO if unknown. */
int xs_error_to_errno(const char *text);

#endif
