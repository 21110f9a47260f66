/*
 * Invariant checkers for the E820 sanitizer and planner (see e820_check.h).
 *
 * Both work on "elementary intervals": every start and end that any input
 * or output list mentions is a boundary; between two consecutive boundaries
 * every predicate is constant, so checking one point per interval checks
 * them all.  When the address space is small, every page is checked
 * instead, which also checks that argument.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e820_check.h"

#define PG 4096ull

static int fail(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Sort and de-duplicate; returns the new count. */
static size_t uniq(uint64_t *v, size_t n)
{
    size_t i, m = 0;

    qsort(v, n, sizeof(*v), cmp_u64);
    for (i = 0; i < n; i++)
        if (m == 0 || v[m - 1] != v[i])
            v[m++] = v[i];
    return m;
}

/* ------------------------------------------------------------ sanitizer */

/* Own copy of the precedence documented in e820.h. */
static int rank(uint32_t t)
{
    static const struct { uint32_t type; int rank; } tab[] = {
        { 1, 0 }, { 3, 1 }, { 4, 2 }, { 12, 3 }, { 7, 4 }, { 2, 5 }, { 6, 6 }, { 5, 7 },
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (tab[i].type == t)
            return tab[i].rank;
    return -1;
}

struct claim { uint64_t s, e; uint32_t type; };

/* The raw entries that count, clipped as the rules say. */
static size_t valid_claims(const struct e820_map *raw, struct claim *c)
{
    size_t n = 0;
    unsigned int i, nr = raw->nr < E820_MAX_RAW ? raw->nr : E820_MAX_RAW;

    for (i = 0; i < nr; i++) {
        const struct e820_entry *x = &raw->entry[i];
        uint64_t e;

        if (x->size == 0 || x->addr >= E820_ADDR_LIMIT)
            continue;
        e = x->addr + x->size;
        if (e < x->addr || e > E820_ADDR_LIMIT)
            e = E820_ADDR_LIMIT;
        c[n].s = x->addr;
        c[n].e = e;
        c[n].type = rank(x->type) >= 0 ? x->type : E820_RESERVED;
        n++;
    }
    return n;
}

/* Expected type of the page at byte address p (0 = gap). */
static uint32_t expected_page(const struct claim *c, size_t n, uint64_t p)
{
    struct { uint64_t s, e; } piece[E820_MAX_RAW];
    uint32_t best = 0;
    size_t i, j, np = 0;
    uint64_t covered;

    for (i = 0; i < n; i++) {
        if (c[i].s >= p + PG || c[i].e <= p)
            continue;               /* does not touch this page */
        if (c[i].type != E820_RAM) {
            if (best == 0 || rank(c[i].type) > rank(best))
                best = c[i].type;
        } else {
            /* insertion sort of the RAM pieces inside the page */
            uint64_t s = c[i].s > p ? c[i].s : p;
            uint64_t e = c[i].e < p + PG ? c[i].e : p + PG;

            for (j = np; j > 0 && piece[j - 1].s > s; j--)
                piece[j] = piece[j - 1];
            piece[j].s = s;
            piece[j].e = e;
            np++;
        }
    }
    if (best)
        return best;
    covered = p;
    for (i = 0; i < np; i++) {
        if (piece[i].s > covered)
            break;
        if (piece[i].e > covered)
            covered = piece[i].e;
    }
    return covered >= p + PG ? E820_RAM : 0;
}

/* Type of page p in san (already checked sorted and disjoint), 0 = gap. */
static uint32_t actual_page(const struct e820_map *san, uint64_t p)
{
    unsigned int lo = 0, hi = san->nr;

    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;

        if (san->entry[mid].addr <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && p < san->entry[lo - 1].addr + san->entry[lo - 1].size)
        return san->entry[lo - 1].type;
    return 0;
}

int e820_check_sanitized(const struct e820_map *raw, const struct e820_map *san,
                         char *msg, size_t len)
{
    struct claim *c = malloc(sizeof(*c) * E820_MAX_RAW);
    uint64_t *b = malloc(sizeof(*b) * (4 * E820_MAX_RAW + 2 * E820_MAX_ENTRIES + 1));
    size_t n, nb = 0, i;
    uint64_t prev_end = 0;
    uint32_t prev_type = 0;
    int rc = 0;

    if (!c || !b)
        abort();
    if (san->nr > E820_MAX_ENTRIES) {
        rc = fail(msg, len, "sanitized map has %u entries", san->nr);
        goto out;
    }
    for (i = 0; i < san->nr; i++) {
        const struct e820_entry *x = &san->entry[i];

        if (x->size == 0 || x->addr % PG || x->size % PG) {
            rc = fail(msg, len, "entry %zu empty or unaligned: 0x%lx+0x%lx", i,
                      (unsigned long)x->addr, (unsigned long)x->size);
            goto out;
        }
        if (x->addr >= E820_ADDR_LIMIT || x->size > E820_ADDR_LIMIT - x->addr) {
            rc = fail(msg, len, "entry %zu beyond 2^52", i);
            goto out;
        }
        if (rank(x->type) < 0) {
            rc = fail(msg, len, "entry %zu has unknown type %u", i, x->type);
            goto out;
        }
        if (i > 0 && x->addr < prev_end) {
            rc = fail(msg, len, "entry %zu overlaps or is out of order", i);
            goto out;
        }
        if (i > 0 && x->addr == prev_end && x->type == prev_type) {
            rc = fail(msg, len, "entries %zu and %zu not merged", i - 1, i);
            goto out;
        }
        prev_end = x->addr + x->size;
        prev_type = x->type;
    }

    n = valid_claims(raw, c);
    for (i = 0; i < n; i++) {
        b[nb++] = c[i].s & ~(PG - 1);
        b[nb++] = (c[i].s + PG - 1) & ~(PG - 1);
        b[nb++] = c[i].e & ~(PG - 1);
        b[nb++] = (c[i].e + PG - 1) & ~(PG - 1);
    }
    for (i = 0; i < san->nr; i++) {
        b[nb++] = san->entry[i].addr;
        b[nb++] = san->entry[i].addr + san->entry[i].size;
    }
    nb = uniq(b, nb);

    if (nb && b[nb - 1] <= 1024 * PG) {
        for (uint64_t p = 0; p < b[nb - 1]; p += PG) {     /* small: every page */
            uint32_t want = expected_page(c, n, p), got = actual_page(san, p);

            if (want != got) {
                rc = fail(msg, len, "page 0x%lx: expected type %u, sanitized %u",
                          (unsigned long)p, want, got);
                goto out;
            }
        }
    }
    for (i = 0; i + 1 < nb; i++) {
        uint32_t want = expected_page(c, n, b[i]), got = actual_page(san, b[i]);

        if (want != got) {
            rc = fail(msg, len, "interval 0x%lx-0x%lx: expected type %u, sanitized %u",
                      (unsigned long)b[i], (unsigned long)b[i + 1], want, got);
            goto out;
        }
    }
out:
    free(c);
    free(b);
    return rc;
}

/* -------------------------------------------------------------- planner */

/*
 * Lookups by binary search: the lists are checked to be sorted and disjoint
 * before any lookup (check_list, the move order check, map_sorted), so the
 * last range starting at or below p is the only one that can hold it.
 */
static unsigned int covering(const struct e820_pfn_range *l, unsigned int n,
                             xen_pfn_t p)
{
    unsigned int lo = 0, hi = n;

    while (lo < hi) {                       /* first range with start > p */
        unsigned int mid = lo + (hi - lo) / 2;

        if (l[mid].start <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && p < l[lo - 1].end;
}

/* Moves holding p as source (which = 0) or as destination (which = 1). */
static unsigned int move_covering(const struct e820_plan *pl, xen_pfn_t p, int which)
{
    unsigned int lo = 0, hi = pl->nr_moves;

    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;

        if ((which ? pl->move[mid].dst : pl->move[mid].src) <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    return p < (which ? pl->move[lo - 1].dst : pl->move[lo - 1].src) + pl->move[lo - 1].nr;
}

static bool map_sorted(const struct e820_map *map)
{
    for (unsigned int i = 1; i < map->nr; i++)
        if (map->entry[i].addr < map->entry[i - 1].addr + map->entry[i - 1].size)
            return false;
    return true;
}

static bool map_ram(const struct e820_map *map, xen_pfn_t p)
{
    unsigned int lo = 0, hi = map->nr;
    const struct e820_entry *x;

    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;

        if ((map->entry[mid].addr >> 12) <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    x = &map->entry[lo - 1];
    return x->type == E820_RAM && p < ((x->addr + x->size) >> 12);
}

static int check_list(const char *what, const struct e820_pfn_range *l,
                      unsigned int n, unsigned int cap, char *msg, size_t len)
{
    if (n > cap)
        return fail(msg, len, "%s: %u ranges > capacity %u", what, n, cap);
    for (unsigned int i = 0; i < n; i++) {
        if (l[i].start >= l[i].end)
            return fail(msg, len, "%s[%u] empty", what, i);
        if (i && l[i].start <= l[i - 1].end)
            return fail(msg, len, "%s[%u] unsorted, overlapping or unmerged", what, i);
    }
    return 0;
}

struct pctx {
    const struct e820_map *map;
    xen_pfn_t nr_pages, limit, ram_limit;
    const struct e820_pfn_range *keep;
    unsigned int nr_keep;
    const struct e820_plan *plan;
};

/* Every rule about one pfn. */
static int check_pfn(const struct pctx *c, xen_pfn_t p, char *msg, size_t len)
{
    const struct e820_plan *pl = c->plan;
    bool ram = map_ram(c->map, p), pop = p < c->nr_pages, below = p < c->limit;
    bool holdable = p < c->ram_limit;   /* the frame allocator's reach */
    bool inkeep = false;
    bool kept_want, ident_want;
    unsigned int ident = covering(pl->identity, pl->nr_identity, p);
    unsigned int rel = covering(pl->release, pl->nr_release, p);
    unsigned int kept = covering(pl->kept, pl->nr_kept, p);
    unsigned int usable = covering(pl->usable, pl->nr_usable, p);
    unsigned int above = covering(pl->ram_above, pl->nr_ram_above, p);
    unsigned int src = move_covering(pl, p, 0), dst = move_covering(pl, p, 1);

    for (unsigned int i = 0; i < c->nr_keep; i++)     /* the caller's list: unsorted */
        inkeep |= c->keep[i].start <= p && p < c->keep[i].end;
    kept_want = pop && !ram && inkeep;
    ident_want = below && !ram && !kept_want;
#define BAD(...) return fail(msg, len, __VA_ARGS__)
    if (ident != (unsigned int)ident_want)
        BAD("pfn 0x%lx: identity %u, want %d (ram %d pop %d kept %d below %d)",
            (unsigned long)p, ident, ident_want, ram, pop, kept_want, below);
    if (kept != (unsigned int)kept_want)
        BAD("pfn 0x%lx: kept %u, want %d", (unsigned long)p, kept, kept_want);
    if (pop && !ram && !kept_want) {
        if (src + rel != 1)
            BAD("pfn 0x%lx: populated non-RAM page moved %u times, released %u "
                "times (lost or duplicated)", (unsigned long)p, src, rel);
    } else if (pop && ram && !holdable) {
        if (src || rel != 1)
            BAD("pfn 0x%lx: populated RAM past the RAM limit moved %u times, "
                "released %u times (want released once)", (unsigned long)p, src, rel);
    } else if (src || rel) {
        BAD("pfn 0x%lx: moved/released (%u/%u) but is RAM, kept or unpopulated",
            (unsigned long)p, src, rel);
    }
    if (dst > 1)
        BAD("pfn 0x%lx: destination of %u moves", (unsigned long)p, dst);
    if (dst && !(ram && !pop && below && holdable))
        BAD("pfn 0x%lx: move destination but not unpopulated map RAM below the "
            "RAM limit", (unsigned long)p);
    if (usable != (unsigned int)((pop && ram && holdable) || kept_want || dst))
        BAD("pfn 0x%lx: usable %u, want %d", (unsigned long)p, usable,
            (pop && ram && holdable) || kept_want || dst);
    if (above != (unsigned int)(ram && !pop && below && holdable))
        BAD("pfn 0x%lx: in ram_above %u, want %d", (unsigned long)p, above,
            ram && !pop && below && holdable);
#undef BAD
    return 0;
}

static uint64_t pages(const struct e820_pfn_range *l, unsigned int n)
{
    uint64_t s = 0;

    for (unsigned int i = 0; i < n; i++)
        s += l[i].end - l[i].start;
    return s;
}

int e820_check_plan(const struct e820_map *map, xen_pfn_t nr_pages,
                    xen_pfn_t limit, const struct e820_pfn_range *keep,
                    unsigned int nr_keep, const struct e820_plan *pl,
                    char *msg, size_t len)
{
    xen_pfn_t rl = limit < E820_PLAN_RAM_LIMIT ? limit : E820_PLAN_RAM_LIMIT;
    struct pctx c = { map, nr_pages, limit, rl, keep, nr_keep, pl };
    size_t cap = 8 + 2 * (map->nr + pl->nr_identity + pl->nr_release + pl->nr_kept +
                          pl->nr_usable + pl->nr_ram_above + nr_keep) + 4 * pl->nr_moves;
    uint64_t *b, moved = 0, ram_unpop = 0, ram_above = 0;
    size_t nb = 0, i;
    int rc;

    if (!map_sorted(map))
        return fail(msg, len, "map given to the planner check is not sorted");
    if ((rc = check_list("identity", pl->identity, pl->nr_identity, E820_PLAN_MAX_RANGES, msg, len)) ||
        (rc = check_list("release", pl->release, pl->nr_release, E820_PLAN_MAX_RANGES, msg, len)) ||
        (rc = check_list("kept", pl->kept, pl->nr_kept, E820_PLAN_MAX_RANGES, msg, len)) ||
        (rc = check_list("usable", pl->usable, pl->nr_usable, E820_PLAN_MAX_USABLE, msg, len)) ||
        (rc = check_list("ram_above", pl->ram_above, pl->nr_ram_above, E820_MAX_ENTRIES, msg, len)))
        return rc;
    if (pl->nr_moves > E820_PLAN_MAX_MOVES)
        return fail(msg, len, "%u moves", pl->nr_moves);
    for (i = 0; i < pl->nr_moves; i++) {
        const struct e820_move *m = &pl->move[i];

        if (m->nr == 0)
            return fail(msg, len, "move %zu empty", i);
        if (i && (m->src < pl->move[i - 1].src + pl->move[i - 1].nr ||
                  m->dst < pl->move[i - 1].dst + pl->move[i - 1].nr))
            return fail(msg, len, "move %zu not in ascending order", i);
        moved += m->nr;
    }

    b = malloc(sizeof(*b) * cap);
    if (!b)
        abort();
    b[nb++] = 0;
    b[nb++] = nr_pages;
    b[nb++] = limit;
    b[nb++] = rl;
    for (i = 0; i < map->nr; i++) {
        xen_pfn_t s = map->entry[i].addr >> 12;
        xen_pfn_t e = (map->entry[i].addr + map->entry[i].size) >> 12;

        b[nb++] = s;
        b[nb++] = e;
        if (map->entry[i].type == E820_RAM) {
            xen_pfn_t us = s > nr_pages ? s : nr_pages, ue = e < rl ? e : rl;
            xen_pfn_t as = us > rl ? us : rl;

            if (us < ue)
                ram_unpop += ue - us;
            if (as < e)
                ram_above += e - as;
        }
    }
#define ADD(l, n) for (i = 0; i < (n); i++) { b[nb++] = (l)[i].start; b[nb++] = (l)[i].end; }
    ADD(pl->identity, pl->nr_identity);
    ADD(pl->release, pl->nr_release);
    ADD(pl->kept, pl->nr_kept);
    ADD(pl->usable, pl->nr_usable);
    ADD(pl->ram_above, pl->nr_ram_above);
    ADD(keep, nr_keep);
#undef ADD
    for (i = 0; i < pl->nr_moves; i++) {
        b[nb++] = pl->move[i].src;
        b[nb++] = pl->move[i].src + pl->move[i].nr;
        b[nb++] = pl->move[i].dst;
        b[nb++] = pl->move[i].dst + pl->move[i].nr;
    }
    nb = uniq(b, nb);

    rc = 0;
    if (b[nb - 1] <= 4096) {
        for (xen_pfn_t p = 0; p <= b[nb - 1] && !rc; p++)   /* small: every pfn */
            rc = check_pfn(&c, p, msg, len);
    } else {
        for (i = 0; i < nb && !rc; i++)
            rc = check_pfn(&c, b[i], msg, len);
    }
    free(b);
    if (rc)
        return rc;

    if (pl->moved_pages != moved)
        return fail(msg, len, "moved_pages %lu, moves add up to %lu",
                    (unsigned long)pl->moved_pages, (unsigned long)moved);
    if (pl->identity_pages != pages(pl->identity, pl->nr_identity) ||
        pl->released_pages != pages(pl->release, pl->nr_release) ||
        pl->kept_pages != pages(pl->kept, pl->nr_kept) ||
        pl->usable_pages != pages(pl->usable, pl->nr_usable))
        return fail(msg, len, "a page count disagrees with its list");
    if (pl->usable_pages != nr_pages - pl->released_pages)
        return fail(msg, len, "usable %lu != nr_pages %lu - released %lu",
                    (unsigned long)pl->usable_pages, (unsigned long)nr_pages,
                    (unsigned long)pl->released_pages);
    if (pl->unpopulated_ram_pages != ram_unpop - moved)
        return fail(msg, len, "unpopulated RAM %lu, want %lu",
                    (unsigned long)pl->unpopulated_ram_pages,
                    (unsigned long)(ram_unpop - moved));
    if (pl->ram_above_limit_pages != ram_above)
        return fail(msg, len, "RAM above limit %lu, want %lu",
                    (unsigned long)pl->ram_above_limit_pages, (unsigned long)ram_above);
    if (pl->ram_limit != rl)
        return fail(msg, len, "ram_limit 0x%lx, want 0x%lx", (unsigned long)pl->ram_limit,
                    (unsigned long)rl);
    if (pl->usable_end_pfn != (pl->nr_usable ? pl->usable[pl->nr_usable - 1].end : 0))
        return fail(msg, len, "usable_end_pfn wrong");
    if (pl->released_pages && pl->unpopulated_ram_pages &&
        pl->nr_moves < E820_PLAN_MAX_MOVES)
        return fail(msg, len, "released %lu pages although %lu pages of room were left",
                    (unsigned long)pl->released_pages,
                    (unsigned long)pl->unpopulated_ram_pages);
    return 0;
}
