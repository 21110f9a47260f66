/*
 * Frame allocator: hands out 4 KiB pseudo-physical frames (pfns) that
 * minnow owns and has mapped in its direct map.  It knows nothing about
 * Xen; boot and the balloon feed it with frame_free_range().
 *
 * The free frames are a pfn_set (pfn_set.h): one bit per pfn, in chunks
 * of 32768 pfns (128 MiB) so that a sparse or growing pfn space costs only
 * the chunks it touches.  A chunk's bitmap page is the first frame freed
 * into it, so the allocator needs no memory of its own.
 */
#ifndef MINNOW_FRAME_H
#define MINNOW_FRAME_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>

/*
 * Called once before anything else.  limit_pfn bounds every pfn ever freed
 * (clamped to PFN_SET_MAX_PFNS, 1 TiB, with a warning).  Frames given to
 * the allocator must be mapped writable in the direct map.
 */
void frame_allocator_init(xen_pfn_t limit_pfn);

/* Give [start, start + count) to the allocator (pages must be mapped). */
void frame_free_range(xen_pfn_t start, uint64_t count);

/* 0 and *pfn set, or -ENOMEM (no frame left).  The page is not zeroed. */
int frame_alloc(xen_pfn_t *pfn);

/* Return one frame; freeing a frame that is already free is a bug (panic). */
void frame_free(xen_pfn_t pfn);

bool frame_is_free(xen_pfn_t pfn);
uint64_t frame_free_count(void);
/* Frames used for the allocator's own bitmaps. */
uint64_t frame_metadata_count(void);

/*
 * Where the page tables and the p2m take their frames from (pt_init(),
 * p2m_config): frame_alloc() and frame_free() above in the guest; in host
 * tests the Xen model's pool, which checks every frame going out and
 * coming back (tests/unit/sim/xen_model.h).
 */
struct frame_source {
    int (*alloc)(xen_pfn_t *pfn);       /* mapped, writable, not zeroed */
    void (*free)(xen_pfn_t pfn);        /* mapped writable again */
};
extern const struct frame_source frame_allocator;

#endif
