/*
 * A set of pfns: a bitmap cut into chunks of 32768 pfns (128 MiB of pfn
 * space), each with a page of bits only while the owner gives it one.
 *
 *   page[c] --> one page of bits; bit i set <=> pfn c*32768 + i is a member
 *   count[c]    members in chunk c
 *
 * The set needs no memory of its own: its owner gives a chunk a page (a
 * mapped frame of its own) before the chunk's first member, and may take
 * it back once the chunk is empty.  A sparse or growing pfn space costs
 * only the chunks it touches.  Two owners: the frame allocator (the free
 * frames, mm/frame.c) and the balloon (the pfns given back to Xen,
 * mm/balloon.c).  Only pfns are kept: a restore changes mfns, never pfns.
 */
#ifndef MINNOW_PFN_SET_H
#define MINNOW_PFN_SET_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <arch/page.h>

#define PFN_SET_CHUNK_PFNS  (PAGE_SIZE * 8)
#define PFN_SET_MAX_CHUNKS  8192UL
#define PFN_SET_MAX_PFNS    (PFN_SET_MAX_CHUNKS * PFN_SET_CHUNK_PFNS)  /* 1 TiB */

struct pfn_set {
    xen_pfn_t page[PFN_SET_MAX_CHUNKS];     /* NO_FRAME: the chunk has none */
    uint32_t count[PFN_SET_MAX_CHUNKS];
    uint64_t members;
    uint64_t pages;                         /* chunks that have a page */
};

/* Empty, no pages. */
void pfn_set_init(struct pfn_set *s);

/* Does pfn's chunk have its page?  (false beyond PFN_SET_MAX_PFNS) */
bool pfn_set_has_page(const struct pfn_set *s, xen_pfn_t pfn);
/* page (a mapped frame) becomes the bitmap of pfn's chunk, zeroed. */
void pfn_set_give_page(struct pfn_set *s, xen_pfn_t pfn, xen_pfn_t page);
/* The page of pfn's chunk if the chunk is empty (the set forgets it),
 * else NO_FRAME. */
xen_pfn_t pfn_set_take_page(struct pfn_set *s, xen_pfn_t pfn);

bool pfn_set_contains(const struct pfn_set *s, xen_pfn_t pfn);
/* Add pfn (its chunk must have a page): false if it was in already. */
bool pfn_set_add(struct pfn_set *s, xen_pfn_t pfn);
/* Remove pfn (the chunk keeps its page): false if it was not in. */
bool pfn_set_remove(struct pfn_set *s, xen_pfn_t pfn);
/* Up to n members, lowest first, from pfn `from` on. */
unsigned int pfn_set_collect(const struct pfn_set *s, xen_pfn_t from,
                             xen_pfn_t *out, unsigned int n);

#endif
