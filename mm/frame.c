/*
 * The frame allocator (see include/minnow/frame.h for the picture).
 *
 *   chunks[c] --> one page of bits; bit i set <=> pfn c*32768 + i is free
 *
 * Allocation scans from a cursor; a per-chunk free count lets the scan skip
 * full chunks in one step.  Frames that hold bitmaps are never handed out.
 */
#include <errno.h>
#include <string.h>
#include <minnow/frame.h>
#include <minnow/panic.h>
#include <minnow/console.h>
#include <arch/page.h>

#define BITS_PER_WORD 64
#define WORDS_PER_CHUNK (FRAME_CHUNK_PFNS / BITS_PER_WORD)

static uint64_t *chunks[FRAME_MAX_CHUNKS];
static uint32_t chunk_free[FRAME_MAX_CHUNKS];
static xen_pfn_t limit;
static uint64_t nr_free;
static uint64_t nr_metadata;
static uint64_t cursor_chunk;
static void *(*frame_va)(xen_pfn_t pfn);

void frame_allocator_init(xen_pfn_t limit_pfn, void *(*va_of)(xen_pfn_t pfn))
{
    const xen_pfn_t max = FRAME_MAX_CHUNKS * FRAME_CHUNK_PFNS;

    memset(chunks, 0, sizeof(chunks));
    memset(chunk_free, 0, sizeof(chunk_free));
    if (limit_pfn > max) {
        printk("frame: limit %#lx pfns clamped to %#lx (1 TiB)\n",
               (unsigned long)limit_pfn, (unsigned long)max);
        limit_pfn = max;
    }
    limit = limit_pfn;
    nr_free = nr_metadata = cursor_chunk = 0;
    frame_va = va_of;
}

/*
 * Make sure the chunk covering pfn has a bitmap.  If it has none, the
 * frame being freed (pfn itself) becomes the bitmap: returns true when it
 * consumed pfn that way.
 */
static bool chunk_ensure(xen_pfn_t pfn)
{
    uint64_t c = pfn / FRAME_CHUNK_PFNS;

    if (chunks[c])
        return false;
    chunks[c] = frame_va(pfn);
    memset(chunks[c], 0, PAGE_SIZE);
    nr_metadata++;
    return true;
}

static void mark_free(xen_pfn_t pfn)
{
    uint64_t c = pfn / FRAME_CHUNK_PFNS, bit = pfn % FRAME_CHUNK_PFNS;
    uint64_t *w = &chunks[c][bit / BITS_PER_WORD];
    uint64_t m = 1ULL << (bit % BITS_PER_WORD);

    if (*w & m)
        panic("frame: double free of pfn %#lx", (unsigned long)pfn);
    *w |= m;
    chunk_free[c]++;
    nr_free++;
}

void frame_free_range(xen_pfn_t start, uint64_t count)
{
    if (start >= limit || count > limit - start)
        panic("frame: range %#lx+%#lx beyond limit %#lx",
              (unsigned long)start, (unsigned long)count, (unsigned long)limit);
    for (xen_pfn_t pfn = start; pfn < start + count; pfn++) {
        if (chunk_ensure(pfn))
            continue;
        mark_free(pfn);
    }
}

void frame_free(xen_pfn_t pfn)
{
    frame_free_range(pfn, 1);
}

bool frame_is_free(xen_pfn_t pfn)
{
    uint64_t c = pfn / FRAME_CHUNK_PFNS, bit = pfn % FRAME_CHUNK_PFNS;

    if (pfn >= limit || !chunks[c])
        return false;
    return chunks[c][bit / BITS_PER_WORD] & (1ULL << (bit % BITS_PER_WORD));
}

int frame_alloc(xen_pfn_t *pfn)
{
    uint64_t nr_chunks = (limit + FRAME_CHUNK_PFNS - 1) / FRAME_CHUNK_PFNS;

    if (nr_free == 0)
        return -ENOMEM;
    for (uint64_t i = 0; i < nr_chunks; i++) {
        uint64_t c = (cursor_chunk + i) % nr_chunks;

        if (!chunk_free[c])
            continue;
        for (uint64_t w = 0; w < WORDS_PER_CHUNK; w++) {
            uint64_t bits = chunks[c][w];
            if (!bits)
                continue;
            unsigned b = __builtin_ctzll(bits);
            chunks[c][w] = bits & ~(1ULL << b);
            chunk_free[c]--;
            nr_free--;
            cursor_chunk = c;
            *pfn = c * FRAME_CHUNK_PFNS + w * BITS_PER_WORD + b;
            return 0;
        }
        panic("frame: chunk %lu count %u but no bit set",
              (unsigned long)c, chunk_free[c]);
    }
    panic("frame: %lu free frames counted but none found", (unsigned long)nr_free);
}

uint64_t frame_free_count(void)
{
    return nr_free;
}

uint64_t frame_metadata_count(void)
{
    return nr_metadata;
}

const struct frame_source frame_allocator = { frame_alloc, frame_free };
