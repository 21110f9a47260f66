/*
 * libFuzzer target for the E820 sanitizer and the identity/remap planner.
 * Built and run by scripts/fuzz.sh (clang -fsanitize=fuzzer,address,undefined).
 *
 * Not just "does it crash": every input goes through the invariant
 * checkers of tests/unit/e820_check.c, and any violation aborts.
 *
 * Input layout (all little-endian, short inputs are zero-padded):
 *
 *   byte  0       mode: bit 0 = "planner only" (see below),
 *                       bits 1-2 = number of keep ranges (0..3)
 *   bytes 1-8     nr_pages  (reduced modulo limit + 1)
 *   bytes 9-16    p2m limit (reduced modulo 2^40 + 1)
 *   3 x 8 bytes   keep ranges: u32 start, u32 length (scaled into nr_pages)
 *   the rest      mode 0: raw 20-byte E820 entries, sanitized first
 *                 mode 1: 5-byte records (u16 gap pages, u16 pages - 1,
 *                         u8 type) forming a sorted map of up to
 *                         E820_MAX_ENTRIES entries, fed to the planner
 *                         directly -- this reaches maps far more
 *                         fragmented than 128 raw entries can make.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <minnow/e820.h>
#include <minnow/e820_plan.h>
#include "e820_check.h"

#define HEADER  (1 + 8 + 8 + 3 * 8)

static struct e820_map raw, san;
static struct e820_plan plan;
static struct e820_warnings warns;

static uint64_t le(const uint8_t *p, unsigned int n)
{
    uint64_t v = 0;

    for (unsigned int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "e820 invariant violated (%s): %s\n", what, msg);
    abort();
}

/* Build a sorted, page-aligned map from 5-byte records. */
static void direct_map(const uint8_t *p, size_t n)
{
    static const uint32_t types[] = {
        E820_RAM, E820_RAM, E820_RAM, E820_RESERVED, E820_ACPI, E820_NVS,
        E820_UNUSABLE, E820_PMEM,
    };
    uint64_t pfn = 0;

    san.nr = 0;
    for (; n >= 5 && san.nr < E820_MAX_ENTRIES; p += 5, n -= 5) {
        uint64_t gap = le(p, 2), len = le(p + 2, 2) + 1;

        pfn += gap;
        san.entry[san.nr].addr = pfn << 12;
        san.entry[san.nr].size = len << 12;
        san.entry[san.nr].type = types[p[4] % 8];
        san.nr++;
        pfn += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t head[HEADER] = { 0 };
    struct e820_pfn_range keep[3];
    unsigned int nr_keep, i;
    uint64_t nr_pages, limit;
    char msg[256];
    int rc;

    memcpy(head, data, size < HEADER ? size : HEADER);
    data += size < HEADER ? size : HEADER;
    size -= size < HEADER ? size : HEADER;

    limit = le(head + 9, 8) % ((1ull << 40) + 1);
    nr_pages = le(head + 1, 8) % (limit + 1);
    nr_keep = nr_pages ? (head[0] >> 1) & 3 : 0;
    for (i = 0; i < nr_keep; i++) {
        uint64_t s = le(head + 17 + 8 * i, 4) % nr_pages;
        uint64_t l = le(head + 21 + 8 * i, 4) % (nr_pages - s) + 1;

        keep[i].start = s;
        keep[i].end = s + l;
    }

    e820_warnings_init(&warns);
    if (head[0] & 1) {
        direct_map(data, size);
    } else {
        e820_parse(&raw, (const struct e820_entry *)(const void *)data,
                   size / sizeof(struct e820_entry), &warns);
        e820_sanitize(&raw, &san, &warns);
        if (e820_check_sanitized(&raw, &san, msg, sizeof(msg)))
            die("sanitizer", msg);
    }

    rc = e820_plan_build(&plan, &san, nr_pages, limit, keep, nr_keep, &warns);
    if (rc)
        die("planner refused a sanitized map", "");
    if (e820_check_plan(&san, nr_pages, limit, keep, nr_keep, &plan, msg, sizeof(msg)))
        die("planner", msg);
    if (warns.nr > E820_MAX_WARNINGS)
        die("warnings", "more stored than capacity");
    return 0;
}
