/* Frame allocator and malloc under stress, on the real guest. */
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "../unit/rng.h"
#include <minnow/frame.h>
#include <minnow/heap.h>
#include <arch/layout.h>
#include <arch/page.h>

GUEST_TEST(frame_alloc_all_free_all, 0)
{
    uint64_t n = frame_free_count() > 8192 ? 4096 : frame_free_count() / 2;
    xen_pfn_t *pfns = malloc(n * sizeof(*pfns));
    TEST_ASSERT(pfns, "malloc");
    uint64_t free0 = frame_free_count();    /* after malloc took its pages */

    for (uint64_t i = 0; i < n; i++) {
        TEST_ASSERT(frame_alloc(&pfns[i]) == 0, "alloc %lu failed", (unsigned long)i);
        TEST_ASSERT(!frame_is_free(pfns[i]), "pfn %#lx still free", (unsigned long)pfns[i]);
        /* The frame is ours and mapped: write its own pfn into it. */
        *(volatile uint64_t *)pfn_to_virt(pfns[i]) = pfns[i];
    }
    TEST_ASSERT(frame_free_count() == free0 - n, "count %lu", (unsigned long)frame_free_count());
    for (uint64_t i = 0; i < n; i++)
        TEST_ASSERT(*(volatile uint64_t *)pfn_to_virt(pfns[i]) == pfns[i],
                    "pfn %#lx handed out twice", (unsigned long)pfns[i]);
    for (uint64_t i = 0; i < n; i++)
        frame_free(pfns[i]);
    TEST_ASSERT(frame_free_count() == free0, "count %lu after free", (unsigned long)frame_free_count());
    free(pfns);
    test_detail("%lu frames", (unsigned long)n);
    return TEST_PASS;
}

/* Deterministic "random" sizes. */
static struct rng rng = { 88172645463325252ULL };

enum { SLOTS = 512, ROUNDS = 20000 };
static unsigned char *ptr[SLOTS];
static size_t len[SLOTS];

/*
 * About SLOTS/2 blocks are live at a time: one in eight of up to `big`
 * bytes, the rest of up to 2 KiB.  Their mean size, times 5/2 for peaks
 * and fragmentation (measured: 8.9 MiB mapped for the 256 KiB case's
 * 4.3 MiB mean), is what the heap needs.
 */
static uint64_t heap_need(size_t big)
{
    return SLOTS / 2 * (big / 16 + 1024) * 5 / 2;
}

static enum test_result stress(size_t big)
{
    for (int r = 0; r < ROUNDS; r++) {
        int s = rng_next(&rng) % SLOTS;
        if (ptr[s]) {
            for (size_t i = 0; i < len[s]; i += 97)
                TEST_ASSERT(ptr[s][i] == (unsigned char)(s + i), "slot %d corrupted", s);
            free(ptr[s]);
            ptr[s] = NULL;
        } else {
            len[s] = 1 + rng_next(&rng) % (rng_next(&rng) % 8 == 0 ? big : 2048);
            ptr[s] = malloc(len[s]);
            TEST_ASSERT(ptr[s], "malloc(%zu) failed in round %d", len[s], r);
            for (size_t i = 0; i < len[s]; i += 97)
                ptr[s][i] = s + i;
        }
    }
    return TEST_PASS;
}

/* Big blocks of 256 KiB, or smaller as far as a small domain needs. */
GUEST_TEST(malloc_stress, 0)
{
    uint64_t free_bytes = frame_free_count() * PAGE_SIZE;
    size_t big = 256 * 1024;

    while (big > PAGE_SIZE && heap_need(big) > free_bytes)
        big /= 2;
    TEST_SKIP_UNLESS_FREE(heap_need(big) / PAGE_SIZE, "the heap's live blocks");
    enum test_result r = stress(big);
    uint64_t held = heap_mapped_bytes();
    /* Failed or not: the memory goes back, later tests need it. */
    for (int s = 0; s < SLOTS; s++) {
        free(ptr[s]);
        ptr[s] = NULL;
    }
    if (r == TEST_PASS)
        test_detail("big blocks up to %zu KiB; heap held %lu KiB mapped at the end",
                    big >> 10, (unsigned long)(held >> 10));
    return r;
}

GUEST_TEST(malloc_exhaustion_is_clean, 0)
{
    TEST_SKIP_UNLESS_FREE(256 + 16, "1 MiB of heap and its page tables");
    /* Far more than this guest has: must fail cleanly, and leave the heap usable. */
    void *p = malloc(32UL << 30);
    TEST_ASSERT(p == NULL, "32 GiB malloc succeeded");
    uint64_t free_before = frame_free_count();
    void *q = malloc(1 << 20);
    TEST_ASSERT(q, "1 MiB malloc after a failed one");
    memset(q, 0x5a, 1 << 20);
    free(q);
    TEST_ASSERT(frame_free_count() + 1024 >= free_before, "frames leaked: %lu -> %lu",
                (unsigned long)free_before, (unsigned long)frame_free_count());
    return TEST_PASS;
}
