#include <errno.h>
#include <minnow/heap.h>
#include <minnow/console.h>
#include <arch/page.h>

static uint64_t heap_base, heap_max, brk, mapped_end;
static const struct heap_ops *ops;

void heap_init(uint64_t base, uint64_t max_bytes, const struct heap_ops *heap_ops)
{
    heap_base = brk = mapped_end = base;
    heap_max = max_bytes;
    ops = heap_ops;
}

uint64_t heap_mapped_bytes(void)
{
    return mapped_end - heap_base;
}

void *heap_sbrk(intptr_t increment)
{
    uint64_t old = brk;
    uint64_t new_brk = brk + increment;

    if (!ops)
        return NULL;
    if (increment < 0 ? (uint64_t)-increment > brk - heap_base
                      : (uint64_t)increment > heap_base + heap_max - brk) {
        printk("heap: sbrk(%ld) outside the heap (%lu of %lu bytes used)\n",
               (long)increment, (unsigned long)(brk - heap_base),
               (unsigned long)heap_max);
        return NULL;
    }

    uint64_t want_end = (new_brk + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint64_t grown_from = mapped_end;

    while (mapped_end < want_end) {
        int rc = ops->map_page(mapped_end);
        if (rc) {
            /* Undo this call's pages: a failed sbrk changes nothing. */
            while (mapped_end > grown_from) {
                mapped_end -= PAGE_SIZE;
                ops->unmap_page(mapped_end);
            }
            printk("heap: out of memory growing to %lu bytes (rc=%d)\n",
                   (unsigned long)(new_brk - heap_base), rc);
            return NULL;
        }
        mapped_end += PAGE_SIZE;
    }
    while (mapped_end > want_end) {
        mapped_end -= PAGE_SIZE;
        ops->unmap_page(mapped_end);
    }
    brk = new_brk;
    return (void *)(uintptr_t)old;
}
