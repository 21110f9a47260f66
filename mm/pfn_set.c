/*
 * The chunked pfn bitmap (include/minnow/pfn_set.h has the picture).
 * A chunk's page is reached through the direct map on every use: only its
 * pfn is kept.
 */
#include <string.h>
#include <minnow/pfn_set.h>
#include <minnow/xen_mm.h>

#define BITS_PER_WORD   64
#define WORDS_PER_CHUNK (PFN_SET_CHUNK_PFNS / BITS_PER_WORD)

void pfn_set_init(struct pfn_set *s)
{
    for (uint64_t c = 0; c < PFN_SET_MAX_CHUNKS; c++)
        s->page[c] = NO_FRAME;
    memset(s->count, 0, sizeof(s->count));
    s->members = s->pages = 0;
}

static uint64_t *bits(const struct pfn_set *s, uint64_t c)
{
    return xen_mm_page(s->page[c]);
}

bool pfn_set_has_page(const struct pfn_set *s, xen_pfn_t pfn)
{
    uint64_t c = pfn / PFN_SET_CHUNK_PFNS;

    return c < PFN_SET_MAX_CHUNKS && s->page[c] != NO_FRAME;
}

void pfn_set_give_page(struct pfn_set *s, xen_pfn_t pfn, xen_pfn_t page)
{
    uint64_t c = pfn / PFN_SET_CHUNK_PFNS;

    s->page[c] = page;
    memset(bits(s, c), 0, PAGE_SIZE);
    s->pages++;
}

xen_pfn_t pfn_set_take_page(struct pfn_set *s, xen_pfn_t pfn)
{
    uint64_t c = pfn / PFN_SET_CHUNK_PFNS;
    xen_pfn_t page;

    if (c >= PFN_SET_MAX_CHUNKS || s->page[c] == NO_FRAME || s->count[c])
        return NO_FRAME;
    page = s->page[c];
    s->page[c] = NO_FRAME;
    s->pages--;
    return page;
}

bool pfn_set_contains(const struct pfn_set *s, xen_pfn_t pfn)
{
    uint64_t c = pfn / PFN_SET_CHUNK_PFNS, i = pfn % PFN_SET_CHUNK_PFNS;

    if (c >= PFN_SET_MAX_CHUNKS || !s->count[c])
        return false;
    return bits(s, c)[i / BITS_PER_WORD] & (1ULL << (i % BITS_PER_WORD));
}

bool pfn_set_add(struct pfn_set *s, xen_pfn_t pfn)
{
    uint64_t c = pfn / PFN_SET_CHUNK_PFNS, i = pfn % PFN_SET_CHUNK_PFNS;
    uint64_t *w = &bits(s, c)[i / BITS_PER_WORD];
    uint64_t m = 1ULL << (i % BITS_PER_WORD);

    if (*w & m)
        return false;
    *w |= m;
    s->count[c]++;
    s->members++;
    return true;
}

bool pfn_set_remove(struct pfn_set *s, xen_pfn_t pfn)
{
    uint64_t c = pfn / PFN_SET_CHUNK_PFNS, i = pfn % PFN_SET_CHUNK_PFNS;
    uint64_t *w;

    if (!pfn_set_contains(s, pfn))
        return false;
    w = &bits(s, c)[i / BITS_PER_WORD];
    *w &= ~(1ULL << (i % BITS_PER_WORD));
    s->count[c]--;
    s->members--;
    return true;
}

unsigned int pfn_set_collect(const struct pfn_set *s, xen_pfn_t from,
                             xen_pfn_t *out, unsigned int n)
{
    unsigned int got = 0;

    for (uint64_t c = from / PFN_SET_CHUNK_PFNS; c < PFN_SET_MAX_CHUNKS && got < n; c++) {
        if (!s->count[c])
            continue;
        const uint64_t *b = bits(s, c);
        uint64_t first = c == from / PFN_SET_CHUNK_PFNS ? from % PFN_SET_CHUNK_PFNS : 0;

        for (uint64_t w = first / BITS_PER_WORD; w < WORDS_PER_CHUNK && got < n; w++) {
            uint64_t word = b[w];
            if (w == first / BITS_PER_WORD)
                word &= ~0ULL << (first % BITS_PER_WORD);
            while (word && got < n) {
                unsigned int bit = __builtin_ctzll(word);
                word &= word - 1;
                out[got++] = c * PFN_SET_CHUNK_PFNS + w * BITS_PER_WORD + bit;
            }
        }
    }
    return got;
}
