/*
 * E820 sanitizer: raw map in, trustworthy map out.  See include/minnow/e820.h
 * for the rules; this file is pure logic (no Xen, no allocation) so that it
 * runs unchanged in the guest, in host unit tests and under libFuzzer.
 *
 * How the sanitizer works
 * -----------------------
 * Every valid raw entry [s, e) marks four page boundaries: down(s), up(s),
 * down(e), up(e).  Between two consecutive boundaries nothing changes:
 *
 *      down(s)  up(s)                         down(e)  up(e)
 *         |  ..RAM|RAM RAM RAM RAM RAM RAM RAM|RAM..  |
 *         +-------+---------------------------+-------+
 *          partial        whole pages          partial
 *          page                                 page
 *
 * an interval longer than one page is, for each entry, either wholly
 * inside the entry's whole pages or wholly outside the entry's pages; only
 * the one-page intervals at an entry's ragged edges can be partly covered,
 * and those are judged page by page.  So the sweep below walks the sorted
 * boundaries, classifies the first page of each interval, and appends the
 * interval, merging it with the previous one when the type is the same.
 * The output is sorted by construction.  Cost O(n^2) for n <= 128 raw
 * entries: nothing at boot, and bounded for the fuzzer.
 */
#include <minnow/e820.h>

static uint64_t page_down(uint64_t a)
{
    return a & ~(PAGE_SIZE - 1);
}

/* Only called with a <= E820_ADDR_LIMIT, so this cannot overflow. */
static uint64_t page_up(uint64_t a)
{
    return page_down(a + PAGE_SIZE - 1);
}

/* ------------------------------------------------------------ warnings */

void e820_warnings_init(struct e820_warnings *w)
{
    w->nr = 0;
    w->missed = 0;
}

void e820_warn(struct e820_warnings *w, enum e820_warn_code code,
               unsigned int index, uint32_t type, uint32_t type2,
               uint64_t addr, uint64_t size)
{
    struct e820_warning *x;

    if (!w)
        return;
    if (w->nr >= E820_MAX_WARNINGS) {
        w->missed++;
        return;
    }
    x = &w->w[w->nr++];
    x->code = code;
    x->index = index;
    x->type = type;
    x->type2 = type2;
    x->addr = addr;
    x->size = size;
}

const char *e820_warn_text(enum e820_warn_code code)
{
    switch (code) {
    case E820_WARN_TOO_MANY:        return "too many entries; the rest are ignored";
    case E820_WARN_ZERO_SIZE:       return "entry of size 0 dropped";
    case E820_WARN_BEYOND_LIMIT:    return "entry starts at or above 2^52; dropped";
    case E820_WARN_WRAPS:           return "addr + size wraps around; clipped to 2^52";
    case E820_WARN_CLIPPED:         return "entry ends above 2^52; clipped";
    case E820_WARN_UNKNOWN_TYPE:    return "unknown type; treated as reserved";
    case E820_WARN_OVERLAP:         return "entries of different types overlap; the more restrictive wins";
    case E820_WARN_BAD_MAP:         return "planner refused its input";
    case E820_WARN_RAM_ABOVE_LIMIT: return "RAM above the p2m limit (or 1 TiB) is not used";
    case E820_WARN_FRAGMENTED:      return "map too fragmented: move list full, remaining pages released";
    case E820_WARN_KEPT:            return "non-RAM pfns hold boot data: kept as RAM, not identity";
    }
    return "unknown warning";
}

void e820_warnings_print(const struct e820_warnings *w, e820_print_fn print)
{
    unsigned int i;

    for (i = 0; i < w->nr; i++) {
        const struct e820_warning *x = &w->w[i];

        print("E820 warning: %s (entry %u, type %u/%u, 0x%lx + 0x%lx)\n",
              e820_warn_text(x->code), x->index, x->type, x->type2,
              (unsigned long)x->addr, (unsigned long)x->size);
    }
    if (w->missed)
        print("E820 warning: %u more warnings not shown\n", w->missed);
}

/* --------------------------------------------------------------- types */

bool e820_type_known(uint32_t type)
{
    switch (type) {
    case E820_RAM: case E820_RESERVED: case E820_ACPI: case E820_NVS:
    case E820_UNUSABLE: case E820_DISABLED: case E820_PMEM: case E820_PRAM:
        return true;
    }
    return false;
}

int e820_type_rank(uint32_t type)
{
    switch (type) {
    case E820_RAM:      return 0;
    case E820_ACPI:     return 1;
    case E820_NVS:      return 2;
    case E820_PRAM:     return 3;
    case E820_PMEM:     return 4;
    case E820_RESERVED: return 5;
    case E820_DISABLED: return 6;
    case E820_UNUSABLE: return 7;
    }
    return 5;   /* unknown: as reserved */
}

const char *e820_type_name(uint32_t type)
{
    switch (type) {
    case E820_RAM:      return "RAM";
    case E820_RESERVED: return "reserved";
    case E820_ACPI:     return "ACPI";
    case E820_NVS:      return "ACPI NVS";
    case E820_UNUSABLE: return "unusable";
    case E820_DISABLED: return "disabled";
    case E820_PMEM:     return "persistent";
    case E820_PRAM:     return "persistent (legacy)";
    }
    return "unknown";
}

/* ----------------------------------------------------------- raw maps */

void e820_parse(struct e820_map *raw, const struct e820_entry *buf,
                unsigned long nr, struct e820_warnings *w)
{
    unsigned int i;

    if (nr > E820_MAX_RAW) {
        e820_warn(w, E820_WARN_TOO_MANY, E820_MAX_RAW, 0, 0, 0, nr);
        nr = E820_MAX_RAW;
    }
    for (i = 0; i < nr; i++)
        raw->entry[i] = buf[i];
    raw->nr = (unsigned int)nr;
}

void e820_fallback(struct e820_map *map, xen_pfn_t nr_pages)
{
    uint64_t max_pages = E820_ADDR_LIMIT >> PAGE_SHIFT;

    if (nr_pages > max_pages)
        nr_pages = max_pages;
    map->nr = 0;
    if (nr_pages == 0)
        return;
    map->entry[0].addr = 0;
    map->entry[0].size = (uint64_t)nr_pages << PAGE_SHIFT;
    map->entry[0].type = E820_RAM;
    map->nr = 1;
}

/* -------------------------------------------------------- the sanitizer */

/*
 * The part of an entry that counts: [*s, *e) in bytes with 0 < e - s,
 * e <= 2^52, and the type to use.  False for entries that count for nothing.
 * Warnings are raised once, by check_entries(), not here.
 */
static bool entry_claim(const struct e820_entry *x, uint64_t *s, uint64_t *e,
                        uint32_t *type)
{
    uint64_t end;

    if (x->size == 0 || x->addr >= E820_ADDR_LIMIT)
        return false;
    end = x->addr + x->size;
    if (end < x->addr || end > E820_ADDR_LIMIT)
        end = E820_ADDR_LIMIT;
    *s = x->addr;
    *e = end;
    *type = e820_type_known(x->type) ? x->type : E820_RESERVED;
    return true;
}

static unsigned int raw_count(const struct e820_map *in)
{
    return in->nr > E820_MAX_RAW ? E820_MAX_RAW : in->nr;
}

static void check_entries(const struct e820_map *in, struct e820_warnings *w)
{
    unsigned int i, j, n = raw_count(in);

    if (in->nr > E820_MAX_RAW)
        e820_warn(w, E820_WARN_TOO_MANY, E820_MAX_RAW, 0, 0, 0, in->nr);

    for (i = 0; i < n; i++) {
        const struct e820_entry *x = &in->entry[i];
        uint64_t end = x->addr + x->size;

        if (x->size == 0)
            e820_warn(w, E820_WARN_ZERO_SIZE, i, x->type, 0, x->addr, 0);
        else if (x->addr >= E820_ADDR_LIMIT)
            e820_warn(w, E820_WARN_BEYOND_LIMIT, i, x->type, 0, x->addr, x->size);
        else if (end < x->addr)
            e820_warn(w, E820_WARN_WRAPS, i, x->type, 0, x->addr, x->size);
        else if (end > E820_ADDR_LIMIT)
            e820_warn(w, E820_WARN_CLIPPED, i, x->type, 0, x->addr, x->size);

        if (x->size != 0 && x->addr < E820_ADDR_LIMIT && !e820_type_known(x->type))
            e820_warn(w, E820_WARN_UNKNOWN_TYPE, i, x->type, 0, x->addr, x->size);
    }

    /* Overlaps of different types, judged on the bytes as given. */
    for (i = 0; i < n; i++) {
        uint64_t si, ei, sj, ej;
        uint32_t ti, tj;

        if (!entry_claim(&in->entry[i], &si, &ei, &ti))
            continue;
        for (j = i + 1; j < n; j++) {
            if (!entry_claim(&in->entry[j], &sj, &ej, &tj) || ti == tj)
                continue;
            if (si < ej && sj < ei) {
                uint64_t lo = si > sj ? si : sj, hi = ei < ej ? ei : ej;

                e820_warn(w, E820_WARN_OVERLAP, j, ti, tj, lo, hi - lo);
            }
        }
    }
}

/* Smallest boundary of any valid entry that is > pos, or UINT64_MAX. */
static uint64_t next_boundary(const struct e820_map *in, uint64_t pos)
{
    uint64_t best = UINT64_MAX;
    unsigned int i, k, n = raw_count(in);

    for (i = 0; i < n; i++) {
        uint64_t s, e, b[4];
        uint32_t t;

        if (!entry_claim(&in->entry[i], &s, &e, &t))
            continue;
        b[0] = page_down(s);
        b[1] = page_up(s);
        b[2] = page_down(e);
        b[3] = page_up(e);
        for (k = 0; k < 4; k++)
            if (b[k] > pos && b[k] < best)
                best = b[k];
    }
    return best;
}

/* Do the raw RAM entries, together, cover every byte of page p? */
static bool ram_covers_page(const struct e820_map *in, uint64_t p)
{
    uint64_t x = p, end = p + PAGE_SIZE;
    unsigned int i, n = raw_count(in);

    /* Each round extends x past at least one more entry: <= n + 1 rounds. */
    while (x < end) {
        uint64_t reach = x;

        for (i = 0; i < n; i++) {
            uint64_t s, e;
            uint32_t t;

            if (entry_claim(&in->entry[i], &s, &e, &t) && t == E820_RAM &&
                s <= x && x < e && e > reach)
                reach = e;
        }
        if (reach == x)
            return false;
        x = reach;
    }
    return true;
}

/* The sanitized type of page p, or 0 for a gap. */
static uint32_t classify_page(const struct e820_map *in, uint64_t p)
{
    unsigned int i, n = raw_count(in);
    uint32_t best = 0;

    for (i = 0; i < n; i++) {
        uint64_t s, e;
        uint32_t t;

        if (!entry_claim(&in->entry[i], &s, &e, &t) || t == E820_RAM)
            continue;
        if (page_down(s) <= p && p < page_up(e) &&
            (best == 0 || e820_type_rank(t) > e820_type_rank(best)))
            best = t;
    }
    if (best)
        return best;
    return ram_covers_page(in, p) ? E820_RAM : 0;
}

static void append(struct e820_map *out, uint64_t s, uint64_t e, uint32_t type)
{
    struct e820_entry *last = out->nr ? &out->entry[out->nr - 1] : 0;

    if (last && last->type == type && last->addr + last->size == s) {
        last->size += e - s;
        return;
    }
    /* Cannot happen (see E820_MAX_ENTRIES); dropping keeps out well-formed. */
    if (out->nr >= E820_MAX_ENTRIES)
        return;
    out->entry[out->nr].addr = s;
    out->entry[out->nr].size = e - s;
    out->entry[out->nr].type = type;
    out->nr++;
}

unsigned int e820_sanitize(const struct e820_map *in, struct e820_map *out,
                           struct e820_warnings *w)
{
    unsigned int i, n = raw_count(in);
    uint64_t pos = UINT64_MAX, next;

    check_entries(in, w);
    out->nr = 0;

    for (i = 0; i < n; i++) {
        uint64_t s, e;
        uint32_t t;

        if (entry_claim(&in->entry[i], &s, &e, &t) && page_down(s) < pos)
            pos = page_down(s);
    }
    if (pos == UINT64_MAX)
        return 0;

    while ((next = next_boundary(in, pos)) != UINT64_MAX) {
        uint32_t type = classify_page(in, pos);

        if (type)
            append(out, pos, next, type);
        pos = next;
    }
    return out->nr;
}

/* -------------------------------------------------------------- output */

uint64_t e820_type_bytes(const struct e820_map *map, uint32_t type)
{
    uint64_t sum = 0;
    unsigned int i;

    for (i = 0; i < map->nr && i < E820_MAX_ENTRIES; i++)
        if (map->entry[i].type == type)
            sum += map->entry[i].size;
    return sum;
}

void e820_print(const struct e820_map *map, const char *title,
                e820_print_fn print)
{
    unsigned int i, n = map->nr < E820_MAX_ENTRIES ? map->nr : E820_MAX_ENTRIES;

    print("%s (%u entries):\n", title, map->nr);
    for (i = 0; i < n; i++) {
        const struct e820_entry *x = &map->entry[i];
        uint64_t end = x->addr + x->size;

        /* Print the raw numbers even when they are garbage. */
        print("  [0x%016lx-0x%016lx) %s (type %u), %lu KiB\n",
              (unsigned long)x->addr, (unsigned long)end,
              e820_type_name(x->type), x->type,
              (unsigned long)(x->size >> 10));
    }
    print("  RAM: %lu KiB\n", (unsigned long)(e820_type_bytes(map, E820_RAM) >> 10));
}
