/*
 * Generic invariant checkers for the E820 sanitizer and planner, shared by
 * tests/unit/test_e820*.c and tests/fuzz/fuzz_e820.c.  They re-derive every
 * answer from the raw input with their own (slower, simpler) code and
 * compare; they know nothing of how mm/e820*.c computes it.
 *
 * Each returns 0 when every invariant holds, else -1 with the first
 * violation described in msg.
 */
#ifndef TESTS_E820_CHECK_H
#define TESTS_E820_CHECK_H

#include <stddef.h>
#include <minnow/e820.h>
#include <minnow/e820_plan.h>

/*
 * san must be e820_sanitize(raw): well-formed (sorted, disjoint, aligned,
 * non-empty, known types, same-type neighbours merged) and, page by page,
 * the type the rules in e820.h give.
 */
int e820_check_sanitized(const struct e820_map *raw, const struct e820_map *san,
                         char *msg, size_t len);

/*
 * plan must be e820_plan_build(map, nr_pages, limit, keep): no populated
 * page lost or duplicated, identity == exactly the non-RAM, non-kept pfns
 * below limit, moves only into map RAM in [nr_pages, limit), ram_above
 * exactly that map RAM, counts right,
 * and nothing released while room was left (unless the move list is full).
 */
int e820_check_plan(const struct e820_map *map, xen_pfn_t nr_pages,
                    xen_pfn_t limit, const struct e820_pfn_range *keep,
                    unsigned int nr_keep, const struct e820_plan *plan,
                    char *msg, size_t len);

#endif
