/*
 * Shared by the E820 host tests (test_e820.c: the sanitizer;
 * test_e820_plan.c: the identity/remap planner): one raw map, its
 * sanitized form, a plan and the warnings, the helpers that fill them
 * through the generic checkers of e820_check.c, and the QEMU maps both
 * programs load.  Header-only, like p2m_fixture.h: each program has its
 * own copy of the state.
 */
#ifndef E820_FIXTURE_H
#define E820_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <minnow/e820.h>
#include <minnow/e820_plan.h>
#include "e820_check.h"

#define KiB(x)  ((uint64_t)(x) << 10)
#define MiB(x)  ((uint64_t)(x) << 20)
#define GiB(x)  ((uint64_t)(x) << 30)
#define E(a, s, t) { .addr = (a), .size = (s), .type = (t) }
#define N(arr)  (sizeof(arr) / sizeof((arr)[0]))

#define LIMIT_512G  ((xen_pfn_t)GiB(512) >> 12)

static struct e820_map raw, san;
static struct e820_plan plan;
static struct e820_warnings warns;

static inline void sanitize_checked(void)
{
    char msg[256];

    e820_sanitize(&raw, &san, &warns);
    if (e820_check_sanitized(&raw, &san, msg, sizeof(msg)))
        fail_msg("sanitizer invariant: %s", msg);
}

static inline void load(const struct e820_entry *e, unsigned long n)
{
    e820_warnings_init(&warns);
    e820_parse(&raw, e, n, &warns);
    sanitize_checked();
}

static inline int plan_checked(xen_pfn_t nr_pages, xen_pfn_t limit,
                               const struct e820_pfn_range *keep, unsigned int nr_keep)
{
    char msg[256];
    int rc = e820_plan_build(&plan, &san, nr_pages, limit, keep, nr_keep, &warns);

    if (rc == 0 && e820_check_plan(&san, nr_pages, limit, keep, nr_keep, &plan,
                                   msg, sizeof(msg)))
        fail_msg("planner invariant: %s", msg);
    return rc;
}

static inline unsigned int count_warn(enum e820_warn_code code)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < warns.nr; i++)
        n += warns.w[i].code == code;
    return n;
}

/* XENMEM_machine_memory_map as measured (Xen 4.17 in QEMU -m 1024). */
static const struct e820_entry qemu_1g[] = {
    E(0x0, 0x9fc00, E820_RAM),
    E(0x9fc00, 0x400, E820_RESERVED),
    E(0xf0000, 0x10000, E820_RESERVED),
    E(0x100000, 0x3fee0000, E820_RAM),
    E(0x3ffe0000, 0x20000, E820_RESERVED),
    E(0xfec00000, 0x1000, E820_RESERVED),
    E(0xfee00000, 0x100000, E820_RESERVED),
    E(0xfffc0000, 0x40000, E820_RESERVED),
    E(0xfd00000000, 0x10000000000 - 0xfd00000000, E820_RESERVED),
};

/* The same QEMU machine with -m 4096: RAM split around the PCI hole. */
static const struct e820_entry qemu_4g[] = {
    E(0x0, 0x9fc00, E820_RAM),
    E(0x9fc00, 0x400, E820_RESERVED),
    E(0xf0000, 0x10000, E820_RESERVED),
    E(0x100000, 0xbfee0000, E820_RAM),
    E(0xbffe0000, 0x20000, E820_RESERVED),
    E(0xfec00000, 0x1000, E820_RESERVED),
    E(0xfee00000, 0x100000, E820_RESERVED),
    E(0xfffc0000, 0x40000, E820_RESERVED),
    E(0x100000000, 0x40000000, E820_RAM),
    E(0xfd00000000, 0x10000000000 - 0xfd00000000, E820_RESERVED),
};

#endif
