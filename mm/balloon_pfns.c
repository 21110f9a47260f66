/*
 * The balloon's set of ballooned-out pfns: pfns minnow gave back to Xen and
 * will refill first when it balloons up.
 *
 *   set_page[c] --> one page of bits; bit i set <=> pfn c*32768 + i is out
 *   set_count[c]    bits set in chunk c (0: the page goes back)
 *
 * A chunk (32768 pfns = 128 MiB of pfn space) costs one page while it holds
 * at least one ballooned pfn, and nothing otherwise.  The page is a frame
 * the balloon took from the allocator anyway: ballooning down, the first
 * frame met for a chunk that has no page becomes its page (so the set needs
 * no memory of its own, and cannot fail for want of it).  Only pfns are
 * kept: a restore changes mfns, never pfns.
 */
#include <string.h>
#include "balloon_pfns.h"
#include <minnow/frame.h>
#include <minnow/xen_mm.h>
#include <minnow/console.h>
#include <arch/page.h>

#define WORDS_PER_CHUNK (BALLOON_CHUNK_PFNS / 64)

static xen_pfn_t set_page[BALLOON_MAX_CHUNKS];
static uint32_t set_count[BALLOON_MAX_CHUNKS];
static uint64_t nr_pages_used, nr_members;

void balloon_set_reset(void)
{
    for (uint64_t c = 0; c < BALLOON_MAX_CHUNKS; c++)
        set_page[c] = NO_FRAME;
    memset(set_count, 0, sizeof(set_count));
    nr_pages_used = nr_members = 0;
}

static uint64_t *bits_of(uint64_t c)
{
    return xen_mm_page(set_page[c]);
}

bool balloon_set_has_page(xen_pfn_t pfn)
{
    uint64_t c = pfn / BALLOON_CHUNK_PFNS;

    return c < BALLOON_MAX_CHUNKS && set_page[c] != NO_FRAME;
}

void balloon_set_give_page(xen_pfn_t pfn, xen_pfn_t page_pfn)
{
    uint64_t c = pfn / BALLOON_CHUNK_PFNS;

    set_page[c] = page_pfn;
    memset(bits_of(c), 0, PAGE_SIZE);
    nr_pages_used++;
}

/* A chunk that holds nothing returns its page to the allocator. */
void balloon_set_trim(xen_pfn_t pfn)
{
    uint64_t c = pfn / BALLOON_CHUNK_PFNS;

    if (c >= BALLOON_MAX_CHUNKS || set_page[c] == NO_FRAME || set_count[c])
        return;
    frame_free(set_page[c]);
    set_page[c] = NO_FRAME;
    nr_pages_used--;
}

bool balloon_pfn_is_ballooned(xen_pfn_t pfn)
{
    uint64_t c = pfn / BALLOON_CHUNK_PFNS, i = pfn % BALLOON_CHUNK_PFNS;

    if (c >= BALLOON_MAX_CHUNKS || set_page[c] == NO_FRAME || !set_count[c])
        return false;
    return bits_of(c)[i / 64] & (1ULL << (i % 64));
}

void balloon_set_add(xen_pfn_t pfn)
{
    uint64_t c = pfn / BALLOON_CHUNK_PFNS, i = pfn % BALLOON_CHUNK_PFNS;
    uint64_t *w = &bits_of(c)[i / 64];

    if (*w & (1ULL << (i % 64))) {
        printk("balloon: pfn %#lx is already in the balloon\n", (unsigned long)pfn);
        return;
    }
    *w |= 1ULL << (i % 64);
    set_count[c]++;
    nr_members++;
}

/* Remove pfn; its chunk's page stays until balloon_set_trim(). */
void balloon_set_remove(xen_pfn_t pfn)
{
    uint64_t c = pfn / BALLOON_CHUNK_PFNS, i = pfn % BALLOON_CHUNK_PFNS;
    uint64_t *w;

    if (!balloon_pfn_is_ballooned(pfn)) {
        printk("balloon: pfn %#lx is not in the balloon\n", (unsigned long)pfn);
        return;
    }
    w = &bits_of(c)[i / 64];
    *w &= ~(1ULL << (i % 64));
    set_count[c]--;
    nr_members--;
}

/* Up to n ballooned pfns, lowest first, from pfn `from` on. */
unsigned int balloon_set_collect(xen_pfn_t from, xen_pfn_t *out, unsigned int n)
{
    unsigned int got = 0;

    for (uint64_t c = from / BALLOON_CHUNK_PFNS; c < BALLOON_MAX_CHUNKS && got < n; c++) {
        if (!set_count[c])
            continue;
        const uint64_t *bits = bits_of(c);
        uint64_t first = c == from / BALLOON_CHUNK_PFNS ? from % BALLOON_CHUNK_PFNS : 0;

        for (uint64_t w = first / 64; w < WORDS_PER_CHUNK && got < n; w++) {
            uint64_t word = bits[w];
            if (w == first / 64)
                word &= ~0ULL << (first % 64);
            while (word && got < n) {
                unsigned int b = __builtin_ctzll(word);
                word &= word - 1;
                out[got++] = c * BALLOON_CHUNK_PFNS + w * 64 + b;
            }
        }
    }
    return got;
}

xen_pfn_t balloon_next_ballooned(xen_pfn_t from)
{
    xen_pfn_t pfn;

    return balloon_set_collect(from, &pfn, 1) ? pfn : NO_FRAME;
}

uint64_t balloon_set_members(void)
{
    return nr_members;
}

uint64_t balloon_set_pages(void)
{
    return nr_pages_used;
}
