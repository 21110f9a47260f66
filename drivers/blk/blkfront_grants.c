/*
 * Ending blkfront's grants when the backend may still hold them.
 *
 * Xen refuses to end a grant the backend still maps (GTF_reading or
 * GTF_writing), and its page must not be reused: the backend could still
 * read it, or write into it.  Such a grant goes on the deferred list with
 * its frame, and a thread retries once a second until the backend lets
 * go, then frees both (as Linux does since XSA-396; the callers break the
 * device, since a backend that answers and keeps the page is not
 * following the protocol):
 *
 *   deferred --> { ref 9, pfn 0x1234 } --> { ref 12, pfn 0x1300 } --> NULL
 *
 * After a restore the backend is gone with the old domain and the grant
 * table is a new one: the list is dropped and its frames freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <minnow/console.h>
#include <minnow/frame.h>
#include <minnow/gnttab.h>
#include "blkfront_priv.h"

#define RETRY_MS 1000

struct deferred_grant {
    grant_ref_t ref;
    xen_pfn_t frame;
    struct deferred_grant *next;
};

static struct deferred_grant *deferred;
static unsigned int nr_deferred;
static bool retrying;                   /* the retry thread is alive */

unsigned int blk_deferred_count(void)
{
    return nr_deferred;
}

/* End what the backend has let go of since the last try. */
static void retry_deferred(void)
{
    for (struct deferred_grant **p = &deferred; *p;) {
        struct deferred_grant *d = *p;

        if (gnttab_end_access(d->ref)) {
            p = &d->next;
            continue;
        }
        frame_free(d->frame);
        *p = d->next;
        free(d);
        nr_deferred--;
    }
}

static void retry_thread(void *unused)
{
    while (deferred) {
        msleep(RETRY_MS);
        retry_deferred();
    }
    retrying = false;
}

int blk_end_grant(struct blkfront_dev *dev, grant_ref_t ref, xen_pfn_t frame)
{
    int rc = gnttab_end_access(ref);

    if (rc != -EBUSY)
        return rc;
    dev->stats.held_grants++;
    struct deferred_grant *d = malloc(sizeof(*d));
    if (!d) {
        printk("blkfront: %s: grant %u still mapped by the backend, and no memory to "
               "defer it: frame %#lx is lost for good\n", dev->name, ref, (unsigned long)frame);
        return rc;
    }
    *d = (struct deferred_grant){ .ref = ref, .frame = frame, .next = deferred };
    deferred = d;
    nr_deferred++;
    printk("blkfront: %s: grant %u (frame %#lx) still mapped by the backend: ended once it "
           "lets go (%u waiting)\n", dev->name, ref, (unsigned long)frame, nr_deferred);
    if (!retrying) {
        retrying = thread_create("blkfront-grants", retry_thread, NULL) != NULL;
        if (!retrying)
            printk("blkfront: no thread to retry deferred grants: retried when the next grant is deferred\n");
    }
    return rc;
}

/* The refs went with the old grant table (gnttab's resume frees them all). */
void blk_forget_deferred(void)
{
    if (nr_deferred)
        printk("blkfront: restored: %u grants the old backend held are gone, their frames "
               "free\n", nr_deferred);
    while (deferred) {
        struct deferred_grant *d = deferred;

        deferred = d->next;
        gnttab_end_access(d->ref);      /* pre-restore: gives the ref back */
        frame_free(d->frame);
        free(d);
    }
    nr_deferred = 0;
}
