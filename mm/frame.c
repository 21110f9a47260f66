/*
 * The frame allocator (include/minnow/frame.h): the free frames are a
 * pfn_set whose chunk pages are frames freed into it.
 *
 * Allocation takes the lowest free frame from a cursor on (the chunk of
 * the last allocation), wrapping around once; the set skips empty chunks
 * in one step.  Frames that hold bitmaps are never handed out.
 */
#include <errno.h>
#include <minnow/frame.h>
#include <minnow/panic.h>
#include <minnow/pfn_set.h>
#include <minnow/console.h>
#include <minnow/xen_mm.h>

static struct pfn_set free_frames;
static xen_pfn_t limit;
static xen_pfn_t cursor;

void frame_allocator_init(xen_pfn_t limit_pfn)
{
    pfn_set_init(&free_frames);
    if (limit_pfn > PFN_SET_MAX_PFNS) {
        printk("frame: limit %#lx pfns clamped to %#lx (1 TiB)\n",
               (unsigned long)limit_pfn, (unsigned long)PFN_SET_MAX_PFNS);
        limit_pfn = PFN_SET_MAX_PFNS;
    }
    limit = limit_pfn;
    cursor = 0;
}

void frame_free_range(xen_pfn_t start, uint64_t count)
{
    if (start >= limit || count > limit - start)
        panic("frame: range %#lx+%#lx beyond limit %#lx",
              (unsigned long)start, (unsigned long)count, (unsigned long)limit);
    for (xen_pfn_t pfn = start; pfn < start + count; pfn++) {
        /* The first frame freed into a chunk becomes its bitmap. */
        if (!pfn_set_has_page(&free_frames, pfn))
            pfn_set_give_page(&free_frames, pfn, pfn);
        else if (!pfn_set_add(&free_frames, pfn))
            panic("frame: double free of pfn %#lx", (unsigned long)pfn);
    }
}

void frame_free(xen_pfn_t pfn)
{
    frame_free_range(pfn, 1);
}

bool frame_is_free(xen_pfn_t pfn)
{
    return pfn < limit && pfn_set_contains(&free_frames, pfn);
}

int frame_alloc(xen_pfn_t *pfn)
{
    if (free_frames.members == 0)
        return -ENOMEM;
    if (!pfn_set_collect(&free_frames, cursor, pfn, 1) &&
        !pfn_set_collect(&free_frames, 0, pfn, 1))
        panic("frame: %lu free frames counted but none found",
              (unsigned long)free_frames.members);
    pfn_set_remove(&free_frames, *pfn);
    cursor = *pfn - *pfn % PFN_SET_CHUNK_PFNS;
    return 0;
}

uint64_t frame_free_count(void)
{
    return free_frames.members;
}

uint64_t frame_metadata_count(void)
{
    return free_frames.pages;
}

const struct frame_source frame_allocator = { frame_alloc, frame_free };
