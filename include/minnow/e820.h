/*
 * The E820 memory map: what Xen says the (pseudo-)physical address space
 * looks like, turned into something minnow can trust.
 *
 *   XENMEM_machine_memory_map (dom0)        raw: up to E820_MAX_RAW entries,
 *   XENMEM_memory_map (domU, e820_host=1)   any order, overlaps, sub-page
 *   -ENOSYS: e820_fallback()                edges, garbage
 *              |
 *              v  e820_sanitize()
 *   sanitized: sorted, page-aligned, no overlaps, no empty entries,
 *              adjacent entries of the same type merged, known types only
 *              |
 *              v  e820_plan_build()  (include/minnow/e820_plan.h)
 *   identity ranges, remap moves, releases
 *
 * Xen's public headers describe the buffer only as "entries in the format
 * the BIOS INT 0x15 E820 call returns" and define no struct for it, so the
 * 20-byte packed layout is spelled out here.
 *
 * Nothing here talks to Xen or allocates: the caller owns every map and
 * warning list (static storage in the guest; a map is about 10 KiB, too big
 * for a boot stack).  Problems in the input never stop the sanitizer: they
 * are collected in a struct e820_warnings for the caller to print, and the
 * result is always a well-formed map.
 */
#ifndef MINNOW_E820_H
#define MINNOW_E820_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <arch/page.h>

/* Entry types (ACPI spec, "Address Range Types"). */
#define E820_RAM        1u
#define E820_RESERVED   2u
#define E820_ACPI       3u      /* ACPI tables; reclaimable once read */
#define E820_NVS        4u      /* ACPI NVS: preserved across sleep */
#define E820_UNUSABLE   5u      /* memory with detected errors */
#define E820_DISABLED   6u      /* not enabled (e.g. hot-pluggable) */
#define E820_PMEM       7u      /* persistent memory */
#define E820_PRAM       12u     /* legacy "protected" persistent memory */

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct e820_entry) == 20, "E820 entries are 20 bytes");

/*
 * Physical addresses stop at 2^52 on x86_64 (MAXPHYADDR <= 52).  Anything
 * claimed above that is garbage: clipped, with a warning.
 */
#define E820_ADDR_LIMIT     (1ull << 52)

/*
 * Capacities.  The sanitizer reads at most E820_MAX_RAW entries.  Every
 * valid raw entry contributes at most four page boundaries (its start and
 * end, each rounded down and up), so a sanitized map has fewer than
 * 4 * E820_MAX_RAW entries and can never overflow E820_MAX_ENTRIES.
 * e820_fetch() hands Xen the whole raw->entry buffer (E820_MAX_ENTRIES):
 * XENMEM_machine_memory_map wants room for one entry more than it returns
 * and adds I/O ranges, and refuses a buffer that is too small.
 */
#define E820_MAX_RAW        128u
#define E820_MAX_ENTRIES    (4u * E820_MAX_RAW)

struct e820_map {
    unsigned int nr;
    struct e820_entry entry[E820_MAX_ENTRIES];
};

/* ------------------------------------------------------------ warnings */

enum e820_warn_code {
    E820_WARN_TOO_MANY = 1,     /* more than E820_MAX_RAW entries: rest ignored */
    E820_WARN_ZERO_SIZE,        /* entry of size 0: dropped */
    E820_WARN_BEYOND_LIMIT,     /* starts at or above 2^52: dropped */
    E820_WARN_WRAPS,            /* addr + size wraps past 2^64: clipped to 2^52 */
    E820_WARN_CLIPPED,          /* ends above 2^52: clipped */
    E820_WARN_UNKNOWN_TYPE,     /* type not listed above: treated as reserved */
    E820_WARN_OVERLAP,          /* two entries of different types overlap */
    E820_WARN_BAD_MAP,          /* planner: map not sanitized / bad arguments */
    E820_WARN_RAM_ABOVE_LIMIT,  /* planner: map RAM beyond ram_limit unused */
    E820_WARN_FRAGMENTED,       /* planner: move list full, rest released */
    E820_WARN_KEPT,             /* planner: non-RAM pfns kept as RAM (boot data) */
};

struct e820_warning {
    enum e820_warn_code code;
    unsigned int index;         /* raw entry index, where one applies */
    uint32_t type, type2;       /* type(s) involved */
    uint64_t addr, size;        /* bytes, or pfns for planner warnings */
};

#define E820_MAX_WARNINGS   16u

struct e820_warnings {
    unsigned int nr;            /* stored in w[] */
    unsigned int missed;        /* more warnings that did not fit */
    struct e820_warning w[E820_MAX_WARNINGS];
};

/* Same type as printk(), so boot passes printk itself. */
typedef int (*e820_print_fn)(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

void e820_warnings_init(struct e820_warnings *w);
void e820_warn(struct e820_warnings *w, enum e820_warn_code code,
               unsigned int index, uint32_t type, uint32_t type2,
               uint64_t addr, uint64_t size);
const char *e820_warn_text(enum e820_warn_code code);
void e820_warnings_print(const struct e820_warnings *w, e820_print_fn print);

/* ----------------------------------------------------------- the map */

const char *e820_type_name(uint32_t type);
bool e820_type_known(uint32_t type);

/*
 * Precedence when entries overlap: the higher rank wins.  From the least
 * to the most restrictive:
 *
 *   RAM < ACPI < NVS < PRAM < PMEM < reserved (and unknown) < disabled < unusable
 *
 * RAM loses to everything: if anyone claims a page for something else, it
 * must not be handed out as memory.  ACPI tables become RAM once parsed;
 * NVS must survive sleep; persistent memory belongs to a driver; reserved
 * may be MMIO; disabled and unusable must not even be read.
 */
int e820_type_rank(uint32_t type);

/*
 * Copy the buffer Xen filled (nr entries) into raw.  More than E820_MAX_RAW
 * entries: the first E820_MAX_RAW are kept and a warning is added.
 */
void e820_parse(struct e820_map *raw, const struct e820_entry *buf,
                unsigned long nr, struct e820_warnings *w);

/* XENMEM_memory_map said -ENOSYS: one RAM region [0, nr_pages). */
void e820_fallback(struct e820_map *map, xen_pfn_t nr_pages);

/*
 * out = the sanitized form of in (in != out).  Per page of 4 KiB:
 *  - if any valid non-RAM entry touches the page, the page gets the
 *    highest-ranked such type (non-RAM rounds OUTWARD to pages);
 *  - else, if RAM entries cover the whole page, it is RAM (RAM rounds
 *    INWARD: a page only partly RAM is not RAM);
 *  - else it is a gap (not in the map).
 * Runs of pages of one type become one entry.  Garbage is clipped or
 * dropped as described in enum e820_warn_code, with a warning each.
 * Never fails; returns the number of entries in out.
 */
unsigned int e820_sanitize(const struct e820_map *in, struct e820_map *out,
                           struct e820_warnings *w);

/* Total bytes of entries of one type. */
uint64_t e820_type_bytes(const struct e820_map *map, uint32_t type);

/* "title (N entries):" then one line per entry, through print. */
void e820_print(const struct e820_map *map, const char *title,
                e820_print_fn print);

#endif
