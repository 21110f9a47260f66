/*
 * The heap behind malloc: one virtually contiguous region that grows and
 * shrinks by whole pages (newlib's malloc calls sbrk).  Backing frames come
 * from the frame allocator, mapped one page at a time by the callbacks the
 * boot code installs, so the heap logic itself is host-testable.
 *
 *   heap_base            brk (rounded up)            heap_base + max
 *   |####### mapped #######|..... unmapped, reserved VA ....|
 */
#ifndef MINNOW_HEAP_H
#define MINNOW_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct heap_ops {
    int (*map_page)(uint64_t va);     /* back va with a fresh frame: 0 or -errno */
    void (*unmap_page)(uint64_t va);  /* release va's frame */
};

void heap_init(uint64_t base, uint64_t max_bytes, const struct heap_ops *ops);
/* sbrk semantics: returns the old break, or NULL (nothing changed) on failure. */
void *heap_sbrk(intptr_t increment);
uint64_t heap_mapped_bytes(void);

#endif
