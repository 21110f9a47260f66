/*
 * The identity/remap planner (include/minnow/e820_plan.h has the picture).
 *
 * Linux does the same job in xen_set_identity_and_remap() (arch/x86/xen/
 * setup.c), interleaving the decisions with the hypercalls.  minnow splits
 * them: this file only DECIDES, so every decision can be checked on the
 * host against thousands of maps; the executor then applies the plan.
 *
 * One pass over [0, p2m_limit) in ascending pfn order:
 *
 *   map RAM [s, e)      pfns below nr_pages stay where they are (usable);
 *                       pfns above are candidate destinations.
 *   non-RAM [s, e)      (a non-RAM entry, a gap, or the tail after the map)
 *                       identity, except what the caller asked to keep;
 *                       the populated part is the SOURCE of moves.
 *
 * Sources are matched, in order, with destinations taken in order from a
 * cursor that walks map RAM at or above nr_pages.  Since every source is
 * below nr_pages and every destination above, and the cursor only moves
 * forward, no two moves overlap and no destination was populated before.
 */
#include <errno.h>
#include <minnow/e820_plan.h>

#define PFN_LIMIT   (E820_ADDR_LIMIT >> PAGE_SHIFT)

struct planner {
    struct e820_plan *plan;
    const struct e820_map *map;
    struct e820_warnings *w;
    struct e820_pfn_range keep[E820_PLAN_MAX_KEEP];
    unsigned int nr_keep;
    unsigned int dst_entry;     /* map entry the destination cursor is in */
    xen_pfn_t dst_pos;          /* first pfn not yet used as destination */
    bool overflow;              /* a list that cannot overflow did */
    bool warned_fragmented;
};

static xen_pfn_t min_pfn(xen_pfn_t a, xen_pfn_t b) { return a < b ? a : b; }
static xen_pfn_t max_pfn(xen_pfn_t a, xen_pfn_t b) { return a > b ? a : b; }

static xen_pfn_t entry_start_pfn(const struct e820_entry *x)
{
    return x->addr >> PAGE_SHIFT;
}

static xen_pfn_t entry_end_pfn(const struct e820_entry *x)
{
    return (x->addr + x->size) >> PAGE_SHIFT;
}

/* Append [s, e) to a sorted list, merging with the last range if adjacent. */
bool e820_range_append(struct e820_pfn_range *list, unsigned int *nr,
                       unsigned int cap, xen_pfn_t s, xen_pfn_t e)
{
    if (s >= e)
        return true;
    if (*nr && list[*nr - 1].end == s) {
        list[*nr - 1].end = e;
        return true;
    }
    if (*nr >= cap)
        return false;
    list[*nr].start = s;
    list[*nr].end = e;
    (*nr)++;
    return true;
}

static void add_range(struct planner *p, struct e820_pfn_range *list,
                      unsigned int *nr, unsigned int cap,
                      xen_pfn_t s, xen_pfn_t e)
{
    if (!e820_range_append(list, nr, cap, s, e))
        p->overflow = true;     /* sizing says never; refuse the plan if so */
}

static void reset_plan(struct e820_plan *plan, xen_pfn_t nr_pages,
                       xen_pfn_t p2m_limit)
{
    plan->nr_pages = nr_pages;
    plan->p2m_limit = p2m_limit;
    plan->ram_limit = min_pfn(p2m_limit, E820_PLAN_RAM_LIMIT);
    plan->map_end_pfn = 0;
    plan->nr_identity = plan->nr_moves = plan->nr_release = 0;
    plan->nr_kept = plan->nr_usable = plan->nr_ram_above = 0;
    plan->identity_pages = plan->moved_pages = plan->released_pages = 0;
    plan->kept_pages = plan->usable_pages = 0;
    plan->unpopulated_ram_pages = plan->ram_above_limit_pages = 0;
    plan->usable_end_pfn = 0;
}

/* What e820_sanitize() guarantees; anything else is refused. */
static bool map_is_sanitized(const struct e820_map *map)
{
    uint64_t prev_end = 0;
    unsigned int i;

    if (map->nr > E820_MAX_ENTRIES)
        return false;
    for (i = 0; i < map->nr; i++) {
        const struct e820_entry *x = &map->entry[i];

        if (x->size == 0 || (x->addr | x->size) & (PAGE_SIZE - 1))
            return false;
        if (x->addr >= E820_ADDR_LIMIT || x->size > E820_ADDR_LIMIT - x->addr)
            return false;
        if (x->addr < prev_end)
            return false;
        prev_end = x->addr + x->size;
    }
    return true;
}

/* Copy, sort and merge the caller's keep ranges; false if they are bad. */
static bool load_keep(struct planner *p, const struct e820_pfn_range *keep,
                      unsigned int nr_keep, xen_pfn_t nr_pages)
{
    unsigned int i, j, n = 0;

    if (nr_keep > E820_PLAN_MAX_KEEP || (nr_keep && !keep))
        return false;
    for (i = 0; i < nr_keep; i++) {
        struct e820_pfn_range r = keep[i];

        if (r.start >= r.end || r.end > nr_pages)
            return false;
        for (j = n; j > 0 && p->keep[j - 1].start > r.start; j--)
            p->keep[j] = p->keep[j - 1];
        p->keep[j] = r;
        n++;
    }
    p->nr_keep = 0;
    for (i = 0; i < n; i++) {
        struct e820_pfn_range *last = p->nr_keep ? &p->keep[p->nr_keep - 1] : 0;

        if (last && p->keep[i].start <= last->end)
            last->end = max_pfn(last->end, p->keep[i].end);
        else
            p->keep[p->nr_keep++] = p->keep[i];
    }
    return true;
}

/* The next free destination run: *dst and *avail pages; false if none. */
static bool dst_peek(struct planner *p, xen_pfn_t *dst, xen_pfn_t *avail)
{
    const struct e820_plan *plan = p->plan;

    for (; p->dst_entry < p->map->nr; p->dst_entry++) {
        const struct e820_entry *x = &p->map->entry[p->dst_entry];
        xen_pfn_t s, e;

        if (x->type != E820_RAM)
            continue;
        s = max_pfn(max_pfn(entry_start_pfn(x), plan->nr_pages), p->dst_pos);
        e = min_pfn(entry_end_pfn(x), plan->ram_limit);
        if (s < e) {
            p->dst_pos = s;
            *dst = s;
            *avail = e - s;
            return true;
        }
    }
    return false;
}

static void release(struct planner *p, xen_pfn_t s, xen_pfn_t e)
{
    struct e820_plan *plan = p->plan;

    add_range(p, plan->release, &plan->nr_release, E820_PLAN_MAX_RANGES, s, e);
}

/* Populated pfns [s, e) are not RAM in the map: move them, or release. */
static void move_or_release(struct planner *p, xen_pfn_t s, xen_pfn_t e)
{
    struct e820_plan *plan = p->plan;

    while (s < e) {
        struct e820_move *last = plan->nr_moves ? &plan->move[plan->nr_moves - 1] : 0;
        xen_pfn_t dst, avail, n;

        if (!dst_peek(p, &dst, &avail)) {
            release(p, s, e);           /* no room above nr_pages left */
            return;
        }
        n = min_pfn(e - s, avail);
        if (last && last->src + last->nr == s && last->dst + last->nr == dst) {
            last->nr += n;
        } else if (plan->nr_moves < E820_PLAN_MAX_MOVES) {
            plan->move[plan->nr_moves].src = s;
            plan->move[plan->nr_moves].dst = dst;
            plan->move[plan->nr_moves].nr = n;
            plan->nr_moves++;
        } else {
            if (!p->warned_fragmented)
                e820_warn(p->w, E820_WARN_FRAGMENTED, 0, 0, 0, s, e - s);
            p->warned_fragmented = true;
            release(p, s, e);
            return;
        }
        p->dst_pos = dst + n;
        s += n;
    }
}

static void identity_piece(struct planner *p, xen_pfn_t s, xen_pfn_t e)
{
    struct e820_plan *plan = p->plan;

    add_range(p, plan->identity, &plan->nr_identity, E820_PLAN_MAX_RANGES, s, e);
    if (s < plan->nr_pages)
        move_or_release(p, s, min_pfn(e, plan->nr_pages));
}

/* [s, e) is not RAM in the map (entry, gap or tail); s < e <= limit. */
static void plan_non_ram(struct planner *p, xen_pfn_t s, xen_pfn_t e)
{
    struct e820_plan *plan = p->plan;
    unsigned int i;

    for (i = 0; i < p->nr_keep && s < e; i++) {
        const struct e820_pfn_range *k = &p->keep[i];
        xen_pfn_t ks, ke;

        if (k->end <= s)
            continue;
        if (k->start >= e)
            break;
        ks = max_pfn(k->start, s);
        ke = min_pfn(k->end, e);
        identity_piece(p, s, ks);
        add_range(p, plan->kept, &plan->nr_kept, E820_PLAN_MAX_RANGES, ks, ke);
        add_range(p, plan->usable, &plan->nr_usable, E820_PLAN_MAX_USABLE, ks, ke);
        e820_warn(p->w, E820_WARN_KEPT, 0, 0, 0, ks, ke - ks);
        s = ke;
    }
    identity_piece(p, s, e);
}

/*
 * [s, e) is map RAM; s < e <= limit.  Below ram_limit it is usable (up to
 * nr_pages) or room to grow; above, populated pfns go back to Xen and the
 * rest is unusable.
 */
static void plan_ram(struct planner *p, xen_pfn_t s, xen_pfn_t e)
{
    struct e820_plan *plan = p->plan;
    xen_pfn_t lim = plan->ram_limit;
    xen_pfn_t pop_end = min_pfn(e, plan->nr_pages);
    xen_pfn_t unpop_start = max_pfn(s, plan->nr_pages);

    add_range(p, plan->usable, &plan->nr_usable, E820_PLAN_MAX_USABLE, s,
              min_pfn(pop_end, lim));
    release(p, max_pfn(s, lim), pop_end);
    add_range(p, plan->ram_above, &plan->nr_ram_above, E820_MAX_ENTRIES, unpop_start,
              min_pfn(e, lim));
    if (unpop_start < min_pfn(e, lim))
        plan->unpopulated_ram_pages += min_pfn(e, lim) - unpop_start;
    if (max_pfn(unpop_start, lim) < e)
        plan->ram_above_limit_pages += e - max_pfn(unpop_start, lim);
}

static uint64_t range_pages(const struct e820_pfn_range *list, unsigned int nr)
{
    uint64_t sum = 0;
    unsigned int i;

    for (i = 0; i < nr; i++)
        sum += list[i].end - list[i].start;
    return sum;
}

int e820_plan_build(struct e820_plan *plan, const struct e820_map *map,
                    xen_pfn_t nr_pages, xen_pfn_t p2m_limit,
                    const struct e820_pfn_range *keep, unsigned int nr_keep,
                    struct e820_warnings *w)
{
    struct planner p = { .plan = plan, .map = map, .w = w };
    xen_pfn_t cur = 0;
    unsigned int i;

    reset_plan(plan, nr_pages, p2m_limit);
    if (!map_is_sanitized(map) || nr_pages > p2m_limit || p2m_limit > PFN_LIMIT ||
        !load_keep(&p, keep, nr_keep, nr_pages)) {
        e820_warn(w, E820_WARN_BAD_MAP, 0, 0, 0, nr_pages, p2m_limit);
        return -EINVAL;
    }
    if (map->nr)
        plan->map_end_pfn = entry_end_pfn(&map->entry[map->nr - 1]);

    for (i = 0; i < map->nr; i++) {
        const struct e820_entry *x = &map->entry[i];
        xen_pfn_t s = entry_start_pfn(x), e = entry_end_pfn(x);

        if (x->type != E820_RAM)
            continue;
        if (e > p2m_limit) {
            plan->ram_above_limit_pages += e - max_pfn(s, p2m_limit);
            if (s >= p2m_limit)
                continue;
            e = p2m_limit;
        }
        if (cur < s)
            plan_non_ram(&p, cur, s);
        plan_ram(&p, s, e);
        cur = e;
    }
    if (cur < p2m_limit)
        plan_non_ram(&p, cur, p2m_limit);

    /* Destinations last: they are all above nr_pages, so the list stays sorted. */
    for (i = 0; i < plan->nr_moves; i++)
        add_range(&p, plan->usable, &plan->nr_usable, E820_PLAN_MAX_USABLE,
                  plan->move[i].dst, plan->move[i].dst + plan->move[i].nr);

    if (p.overflow) {
        reset_plan(plan, nr_pages, p2m_limit);
        e820_warn(w, E820_WARN_BAD_MAP, 0, 0, 0, nr_pages, p2m_limit);
        return -ENOSPC;
    }

    for (i = 0; i < plan->nr_moves; i++)
        plan->moved_pages += plan->move[i].nr;
    plan->identity_pages = range_pages(plan->identity, plan->nr_identity);
    plan->released_pages = range_pages(plan->release, plan->nr_release);
    plan->kept_pages = range_pages(plan->kept, plan->nr_kept);
    plan->usable_pages = range_pages(plan->usable, plan->nr_usable);
    plan->unpopulated_ram_pages -= plan->moved_pages;
    if (plan->nr_usable)
        plan->usable_end_pfn = plan->usable[plan->nr_usable - 1].end;
    if (plan->ram_above_limit_pages)
        e820_warn(w, E820_WARN_RAM_ABOVE_LIMIT, 0, E820_RAM, 0, plan->ram_limit,
                  plan->ram_above_limit_pages);
    return 0;
}

static void print_ranges(const char *what, const struct e820_pfn_range *list,
                         unsigned int nr, e820_print_fn print)
{
    unsigned int i;

    for (i = 0; i < nr; i++)
        print("  %-8s pfn 0x%lx-0x%lx (%lu pages)\n", what,
              (unsigned long)list[i].start, (unsigned long)list[i].end,
              (unsigned long)(list[i].end - list[i].start));
}

void e820_plan_print(const struct e820_plan *plan, e820_print_fn print)
{
    unsigned int i;

    print("E820 plan: populated pfn 0x0-0x%lx, p2m limit 0x%lx, map ends at 0x%lx\n",
          (unsigned long)plan->nr_pages, (unsigned long)plan->p2m_limit,
          (unsigned long)plan->map_end_pfn);
    print_ranges("identity", plan->identity, plan->nr_identity, print);
    for (i = 0; i < plan->nr_moves; i++) {
        const struct e820_move *m = &plan->move[i];

        print("  move     pfn 0x%lx-0x%lx -> 0x%lx-0x%lx (%lu pages)\n",
              (unsigned long)m->src, (unsigned long)(m->src + m->nr),
              (unsigned long)m->dst, (unsigned long)(m->dst + m->nr),
              (unsigned long)m->nr);
    }
    print_ranges("release", plan->release, plan->nr_release, print);
    print_ranges("kept", plan->kept, plan->nr_kept, print);
    print_ranges("growth", plan->ram_above, plan->nr_ram_above, print);
    print("E820 plan: usable %lu pages = %lu populated - %lu released; "
          "moved %lu, kept %lu, identity %lu (below the limit), "
          "unpopulated RAM %lu, usable up to pfn 0x%lx\n",
          (unsigned long)plan->usable_pages, (unsigned long)plan->nr_pages,
          (unsigned long)plan->released_pages, (unsigned long)plan->moved_pages,
          (unsigned long)plan->kept_pages, (unsigned long)plan->identity_pages,
          (unsigned long)plan->unpopulated_ram_pages,
          (unsigned long)plan->usable_end_pfn);
}
