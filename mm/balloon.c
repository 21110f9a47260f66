/*
 * The balloon's accounting and batching (include/minnow/balloon.h,
 * docs/balloon.md).  Synchronous and thread-free: drivers/balloon/worker.c
 * runs it from a thread in the guest, the host tests run it against the
 * Xen model.
 *
 * One batch going down (up to `batch` pages, one decrease_reservation):
 *
 *   frame_alloc() x n --> scrub --> unmap (runs of pfns) --> p2m = ~0
 *        --> decrease_reservation(mfn[0..n))  Xen takes the first `done`
 *        --> [done, n): p2m = mfn, map again, back to the allocator
 *        --> [0, done): into the balloon's set
 *
 * One batch going up (one populate_physmap):
 *
 *   pfns: ballooned ones (lowest first), then fresh ones from top_pfn up
 *        --> populate_physmap(pfn[0..n))  Xen fills the first `done` with
 *            mfns and sets their m2p
 *        --> per run of pfns: p2m_set (may grow the p2m), map, allocator
 *        --> a frame that cannot be placed (no page for a p2m leaf or a
 *            page table) goes straight back with decrease_reservation
 *
 * Every page is in exactly one place at the end of a batch: placed (RAM,
 * mapped, allocator), in the set (Xen has it), or lost (counted and
 * printed; never seen in tests).  current_pages follows Xen's tot_pages by
 * adding and subtracting exactly what the hypercalls reported.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/memory.h>
#include <minnow/balloon.h>
#include <minnow/console.h>
#include <arch/page.h>
#include <minnow/frame.h>
#include <minnow/xen_mm.h>
#include <minnow/p2m.h>
#include <minnow/pfn_set.h>
#include <minnow/pt.h>

#define RAM_PTE     PTE_KERNEL_RW       /* how mm_init() maps RAM */

static struct {
    bool ready, target_asked;
    struct balloon_stats st;
    xen_pfn_t pfn_limit;
    const struct e820_pfn_range *ram;   /* where fresh pfns may come from */
    unsigned int nr_ram;
    uint64_t keep_free, static_max;
} bl;
static struct e820_pfn_range all_ram;   /* [0, pfn_limit): no ranges given */
static uint64_t released_before_init;

/* The ballooned-out pfns: refilled first when going up.  A chunk's bitmap
 * page is a frame the balloon took from the allocator anyway (the first
 * one met for that chunk going down), and goes back once the chunk is
 * empty: the set cannot fail for want of memory. */
static struct pfn_set ballooned;

/* The extent list of one hypercall, and the pfn of each extent. */
static xen_pfn_t batch_pfn[BALLOON_MAX_BATCH];
static xen_pfn_t batch_mfn[BALLOON_MAX_BATCH];
/* Chunks that got a bitmap page during this batch (freed if still empty). */
static xen_pfn_t new_chunk[BALLOON_MAX_BATCH];

static const char *const block_names[] = {
    [BALLOON_OK] = "ok",
    [BALLOON_NO_FREE_FRAMES] = "no-free-frames",
    [BALLOON_XEN_REFUSED] = "xen-refused",
    [BALLOON_AT_MAX] = "at-maximum",
    [BALLOON_NO_PFN_SPACE] = "no-pfn-space",
    [BALLOON_NO_MEMORY] = "no-memory",
};

const char *balloon_block_name(enum balloon_block b)
{
    return b <= BALLOON_NO_MEMORY ? block_names[b] : "?";
}

static void note_current(void)
{
    if (bl.st.current_pages < bl.st.low_pages)
        bl.st.low_pages = bl.st.current_pages;
    if (bl.st.current_pages > bl.st.high_pages)
        bl.st.high_pages = bl.st.current_pages;
}

static long reservation_op(unsigned int cmd, xen_pfn_t *list, unsigned int n)
{
    struct xen_memory_reservation r = {
        .nr_extents = n, .extent_order = 0, .domid = DOMID_SELF,
    };

    set_xen_guest_handle(r.extent_start, list);
    return xen_memory_op(cmd, &r);
}

/* Xen's answer to a reservation op on n extents, as a count in [0, n]. */
static unsigned int extents_done(const char *what, long rc, unsigned int n)
{
    if (n > bl.st.max_extents_per_call)
        bl.st.max_extents_per_call = n;
    if (rc < 0) {
        printk("balloon: %s of %u extents failed, rc %ld\n", what, n, rc);
        bl.st.last_rc = rc;
        bl.st.refusals++;
        return 0;
    }
    if ((unsigned long)rc > n) {
        printk("balloon: %s of %u extents claims %ld done; taking %u\n", what, n, rc, n);
        return n;
    }
    if ((unsigned long)rc < n) {
        printk("balloon: %s did %ld of %u extents\n", what, rc, n);
        bl.st.partial_results++;
        if (rc == 0)
            bl.st.refusals++;
    }
    return rc;
}

/* Length of the run of consecutive pfns starting at batch index i < end. */
static unsigned int run_len(unsigned int i, unsigned int end)
{
    unsigned int j = i + 1;

    while (j < end && batch_pfn[j] == batch_pfn[j - 1] + 1)
        j++;
    return j - i;
}

/*
 * How many of frames [i, i + len) are mapped at their direct-map address,
 * counting from i.  pt_map_mfns() writes in order, 2 MiB at a time, so
 * after a failure part-way these are the frames it did map.
 */
static unsigned int mapped_prefix(unsigned int i, unsigned int len)
{
    unsigned int n = 0;
    uint64_t pte;

    while (n < len && pt_lookup(pt_directmap_va(batch_pfn[i + n]), &pte) == 0 &&
           (pte & PTE_PRESENT) && pte_mfn(pte) == batch_mfn[i + n])
        n++;
    return n;
}

/*
 * Put frames [i, i + len) of the batch back where they were: p2m, direct
 * map, allocator.  Used for what Xen did not take and for our own
 * failures.  Returns how many could not be restored (counted as lost:
 * still ours and in the p2m, but not mapped and not in the allocator).
 */
static unsigned int restore_run(unsigned int i, unsigned int len)
{
    unsigned int mapped;

    for (unsigned int k = i; k < i + len; k++)
        if (!p2m_try_set(batch_pfn[k], batch_mfn[k])) {
            printk("balloon: pfn %#lx: cannot restore its p2m entry\n",
                   (unsigned long)batch_pfn[k]);
            bl.st.lost_pages += i + len - k;
            return i + len - k;
        }
    int rc = pt_map_mfns(pt_directmap_va(batch_pfn[i]), &batch_mfn[i], len, RAM_PTE,
                         PT_SKIP_PRESENT);
    mapped = rc ? mapped_prefix(i, len) : len;
    frame_free_range(batch_pfn[i], mapped);
    if (rc) {
        printk("balloon: cannot map pfns %#lx+%u again, rc %d; %u pages lost\n",
               (unsigned long)batch_pfn[i + mapped], len - mapped, rc, len - mapped);
        bl.st.lost_pages += len - mapped;
    }
    return len - mapped;
}

static void restore_range(unsigned int from, unsigned int to)
{
    for (unsigned int i = from; i < to;) {
        unsigned int len = run_len(i, to);
        restore_run(i, len);
        i += len;
    }
}

/* A chunk of the set that holds nothing gives its page back. */
static void trim(xen_pfn_t pfn)
{
    xen_pfn_t page = pfn_set_take_page(&ballooned, pfn);

    if (page != NO_FRAME)
        frame_free(page);
}

/* ---- down ------------------------------------------------------------------ */

/* Take up to want free frames into batch_pfn; new bitmap chunks noted. */
static unsigned int gather_frames(unsigned int want, unsigned int *nnew)
{
    unsigned int n = 0;
    xen_pfn_t pfn;

    *nnew = 0;
    while (n < want) {
        if (frame_free_count() <= bl.keep_free || frame_alloc(&pfn)) {
            bl.st.block = BALLOON_NO_FREE_FRAMES;
            break;
        }
        if (pfn >= PFN_SET_MAX_PFNS) {
            printk("balloon: pfn %#lx is beyond the balloon's 1 TiB\n", (unsigned long)pfn);
            frame_free(pfn);
            break;
        }
        if (!pfn_set_has_page(&ballooned, pfn)) {
            pfn_set_give_page(&ballooned, pfn, pfn);
            new_chunk[(*nnew)++] = pfn;
            continue;
        }
        batch_pfn[n++] = pfn;
    }
    return n;
}

/*
 * Unmap and invalidate runs of the batch; returns how many frames (a
 * prefix) are ready to go.  The rest is restored at once.
 */
static unsigned int detach_frames(unsigned int n)
{
    for (unsigned int i = 0; i < n;) {
        unsigned int len = run_len(i, n);
        int rc = pt_unmap_range(pt_directmap_va(batch_pfn[i]), len, PT_ALLOW_CHANGE_LIVE);

        if (rc) {
            printk("balloon: cannot unmap pfns %#lx+%u, rc %d\n",
                   (unsigned long)batch_pfn[i], len, rc);
            restore_range(i, n);
            return i;
        }
        for (unsigned int k = i; k < i + len; k++) {
            /* A RAM entry sits in a private leaf: storing ~0 never allocates. */
            if (!p2m_try_set(batch_pfn[k], INVALID_P2M_ENTRY)) {
                printk("balloon: pfn %#lx: p2m entry cannot be cleared\n",
                       (unsigned long)batch_pfn[k]);
                restore_range(i, n);
                return i;
            }
        }
        i += len;
    }
    return n;
}

static long down_batch(unsigned int want)
{
    unsigned int nnew, n = gather_frames(want, &nnew), done;

    for (unsigned int i = 0; i < n; i++) {
        batch_mfn[i] = pfn_to_mfn(batch_pfn[i]);
        if (bl.st.scrub)
            memset(xen_mm_page(batch_pfn[i]), 0, PAGE_SIZE);
    }
    n = detach_frames(n);
    if (n) {
        long rc = reservation_op(XENMEM_decrease_reservation, batch_mfn, n);
        bl.st.down_calls++;
        done = extents_done("decrease_reservation", rc, n);
        restore_range(done, n);
        for (unsigned int i = 0; i < done; i++)
            if (!pfn_set_add(&ballooned, batch_pfn[i]))
                printk("balloon: pfn %#lx is already in the balloon\n",
                       (unsigned long)batch_pfn[i]);
        bl.st.current_pages -= done;
        bl.st.pages_down += done;
        note_current();
        if (done < n)
            bl.st.block = BALLOON_XEN_REFUSED;
    } else {
        done = 0;
    }
    for (unsigned int i = 0; i < nnew; i++)
        trim(new_chunk[i]);
    return done;
}

/* Move nr pages one batch (one hypercall) at a time; stop at the first short one. */
static uint64_t in_batches(uint64_t nr, long (*batch)(unsigned int want))
{
    uint64_t done = 0;

    bl.st.block = BALLOON_OK;
    while (done < nr) {
        unsigned int want = nr - done < bl.st.batch ? nr - done : bl.st.batch;
        long got = batch(want);

        done += got;
        if ((unsigned long)got < want)
            break;
    }
    return done;
}

long balloon_down(uint64_t nr)
{
    uint64_t done;

    if (!bl.ready)
        return -EINVAL;
    done = in_batches(nr, down_batch);
    if (done)
        return done;
    return bl.st.block == BALLOON_NO_FREE_FRAMES ? -ENOMEM : -EBUSY;
}

/* ---- up -------------------------------------------------------------------- */

/*
 * Fresh pfns: never populated, from top_pfn up, inside the E820's RAM and
 * below pfn_limit, missing in the p2m (1:1 and foreign ones are skipped;
 * the p2m skips its shared chunks whole, so this never walks a tail pfn by
 * pfn).
 */
static unsigned int pick_fresh(unsigned int n, unsigned int want)
{
    for (unsigned int r = 0; r < bl.nr_ram && n < want; r++) {
        xen_pfn_t pfn = bl.ram[r].start > bl.st.top_pfn ? bl.ram[r].start : bl.st.top_pfn;
        xen_pfn_t end = bl.ram[r].end < bl.pfn_limit ? bl.ram[r].end : bl.pfn_limit;

        while (pfn < end && n < want) {
            xen_pfn_t run_end;

            for (pfn = p2m_find_missing(pfn, end, &run_end); pfn < run_end && n < want;)
                batch_pfn[n++] = pfn++;
        }
    }
    if (n < want) {
        if (n == 0)
            printk("balloon: no pfn left below %#lx to populate\n",
                   (unsigned long)bl.pfn_limit);
        bl.st.block = BALLOON_NO_PFN_SPACE;
    }
    return n;
}

/*
 * Frames [i, i + len) are new and ours: p2m, direct map, allocator.  Returns
 * how many were placed (a prefix).  The rest have p2m ~0 and no mapping,
 * ready to go back to Xen -- except *stuck of them, right after the
 * prefix, which could not be unmapped (printed, counted lost): Xen would
 * not free a frame that is still mapped, it would stay with the domain
 * while our count says it left.
 */
static unsigned int place_run(unsigned int i, unsigned int len, unsigned int *stuck)
{
    unsigned int k, mapped;
    int rc = 0;

    *stuck = 0;
    for (k = i; k < i + len; k++) {
        rc = p2m_set(batch_pfn[k], batch_mfn[k]);
        if (rc)
            break;
    }
    if (k > i) {
        int mrc = pt_map_mfns(pt_directmap_va(batch_pfn[i]), &batch_mfn[i], k - i,
                              RAM_PTE, 0);
        mapped = mrc ? mapped_prefix(i, k - i) : k - i;
        if (mrc) {
            /* The chunks mapped before the failure are placed; the rest
             * lose any mapping first, then their p2m entries. */
            int urc = pt_unmap_range(pt_directmap_va(batch_pfn[i + mapped]), k - i - mapped,
                                     PT_ALLOW_CHANGE_LIVE);
            if (urc) {
                printk("balloon: cannot unmap pfns %#lx+%u, rc %d; %u pages lost\n",
                       (unsigned long)batch_pfn[i + mapped], k - i - mapped, urc,
                       k - i - mapped);
                *stuck = k - i - mapped;
                bl.st.lost_pages += *stuck;
            } else {
                for (unsigned int j = i + mapped; j < k; j++)
                    p2m_try_set(batch_pfn[j], INVALID_P2M_ENTRY);
            }
            rc = mrc;
            k = i + mapped;
        }
        frame_free_range(batch_pfn[i], k - i);
    }
    if (rc) {
        printk("balloon: placed %u of %u new frames at pfn %#lx, then rc %d\n",
               k - i, len, (unsigned long)batch_pfn[i], rc);
        bl.st.block = rc == -ENOMEM ? BALLOON_NO_MEMORY : BALLOON_NO_PFN_SPACE;
    }
    return k - i;
}

/* Frames [from, to) could not be placed: back to Xen. */
static void give_back(unsigned int from, unsigned int to)
{
    unsigned int n = to - from, taken;
    long rc;

    if (!n)
        return;
    rc = reservation_op(XENMEM_decrease_reservation, &batch_mfn[from], n);
    bl.st.down_calls++;
    taken = extents_done("decrease_reservation (give back)", rc, n);
    bl.st.given_back += taken;
    bl.st.current_pages -= taken;
    if (taken < n) {
        printk("balloon: %u new frames can be neither placed nor returned: lost\n",
               n - taken);
        bl.st.lost_pages += n - taken;
    }
}

static long up_batch(unsigned int want)
{
    unsigned int n = pfn_set_collect(&ballooned, 0, batch_pfn, want), refilled = n;
    unsigned int done, placed = 0;
    long rc;

    n = pick_fresh(n, want);
    if (!n)
        return 0;
    memcpy(batch_mfn, batch_pfn, n * sizeof(batch_mfn[0]));
    rc = reservation_op(XENMEM_populate_physmap, batch_mfn, n);
    bl.st.up_calls++;
    done = extents_done("populate_physmap", rc, n);
    bl.st.current_pages += done;
    if (done < n)
        bl.st.block = BALLOON_XEN_REFUSED;

    while (placed < done) {
        unsigned int len = run_len(placed, done), stuck;
        unsigned int got = place_run(placed, len, &stuck);

        placed += got;
        if (got < len) {
            give_back(placed + stuck, done);
            break;
        }
    }

    for (unsigned int i = 0; i < placed; i++) {
        if (i >= refilled)
            bl.st.top_pfn = batch_pfn[i] + 1;
        else if (!pfn_set_remove(&ballooned, batch_pfn[i]))
            printk("balloon: pfn %#lx is not in the balloon\n",
                   (unsigned long)batch_pfn[i]);
    }
    for (unsigned int i = 0; i < placed && i < refilled; i++)
        trim(batch_pfn[i]);
    bl.st.pages_up += placed;
    note_current();
    return placed;
}

long balloon_up(uint64_t nr)
{
    uint64_t done;

    if (!bl.ready)
        return -EINVAL;
    done = in_batches(nr, up_batch);
    if (done)
        return done;
    switch (bl.st.block) {
    case BALLOON_NO_MEMORY:
        return -ENOMEM;
    case BALLOON_NO_PFN_SPACE:
        return -ENOSPC;
    default:
        return -EBUSY;
    }
}

/* ---- lending -------------------------------------------------------------- */

int balloon_lend(xen_pfn_t *out, unsigned int n)
{
    if (!bl.ready)
        return -EINVAL;
    if (ballooned.members < n) {
        uint64_t want = n - ballooned.members;
        long got = balloon_down(want);

        if (got < 0 || (uint64_t)got < want) {
            printk("balloon: cannot lend %u pfns: %lu in the balloon, giving %lu more "
                   "to Xen did %ld (%s)\n", n, (unsigned long)ballooned.members,
                   (unsigned long)want, got, balloon_block_name(bl.st.block));
            return got < 0 ? (int)got : -ENOMEM;
        }
    }
    /* The chunks keep their bitmap pages: taking back then needs no frame. */
    for (unsigned int done = 0; done < n;) {
        unsigned int k = pfn_set_collect(&ballooned, 0, &out[done], n - done);

        if (k == 0) {           /* cannot happen: members >= n was checked */
            printk("balloon: the balloon lost count while lending\n");
            balloon_take_back(out, done);
            return -EFAULT;
        }
        for (unsigned int i = done; i < done + k; i++)
            pfn_set_remove(&ballooned, out[i]);
        done += k;
        bl.st.lent_pages += k;
        bl.st.lent_total += k;
    }
    return 0;
}

int balloon_take_back(const xen_pfn_t *pfns, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        xen_pfn_t pfn = pfns[i], page;

        if (bl.st.lent_pages == 0 || pfn >= bl.st.top_pfn ||
            pfn_set_contains(&ballooned, pfn) || p2m_get(pfn) != INVALID_P2M_ENTRY) {
            printk("balloon: pfn %#lx cannot come back: not a lent pfn (p2m %#lx)\n",
                   (unsigned long)pfn, (unsigned long)p2m_get(pfn));
            return -EINVAL;
        }
        if (!pfn_set_has_page(&ballooned, pfn)) {
            if (frame_alloc(&page)) {
                printk("balloon: no frame for the bitmap of pfn %#lx: %u pfns stay "
                       "lent\n", (unsigned long)pfn, n - i);
                return -ENOMEM;
            }
            pfn_set_give_page(&ballooned, pfn, page);
        }
        pfn_set_add(&ballooned, pfn);
        bl.st.lent_pages--;
        bl.st.returned_total++;
    }
    return 0;
}

/* ---- target -------------------------------------------------------------- */

uint64_t balloon_max_pages(void)
{
    domid_t self = DOMID_SELF;
    long rc = xen_memory_op(XENMEM_maximum_reservation, &self);

    if (rc < 0) {
        if (bl.st.last_rc != rc)
            printk("balloon: XENMEM_maximum_reservation failed, rc %ld; keeping "
                   "%lu pages\n", rc, (unsigned long)bl.st.max_pages);
        bl.st.last_rc = rc;
    } else {
        bl.st.max_pages = rc;
        if (bl.static_max && bl.static_max < bl.st.max_pages)
            bl.st.max_pages = bl.static_max;
    }
    return bl.st.max_pages;
}

static uint64_t clamp_target(uint64_t pages, bool say)
{
    uint64_t t = pages;

    if (t > bl.st.max_pages) {
        if (say)
            printk("balloon: target %lu KiB is above the maximum %lu KiB; clamped\n",
                   (unsigned long)(pages * 4), (unsigned long)(bl.st.max_pages * 4));
        t = bl.st.max_pages;
    }
    if (t < bl.st.min_pages) {
        if (say)
            printk("balloon: target %lu KiB is below the minimum %lu KiB; clamped\n",
                   (unsigned long)(pages * 4), (unsigned long)(bl.st.min_pages * 4));
        t = bl.st.min_pages;
    }
    return t;
}

uint64_t balloon_set_target(uint64_t pages)
{
    if (!bl.ready)
        return 0;
    bl.target_asked = true;
    bl.st.requested_pages = pages;
    balloon_max_pages();
    bl.st.target_pages = clamp_target(pages, true);
    return bl.st.target_pages;
}

void balloon_set_static_max(uint64_t pages)
{
    bl.static_max = pages;
}

void balloon_set_batch(unsigned int batch)
{
    if (batch == 0)
        batch = BALLOON_DEFAULT_BATCH;
    if (batch > BALLOON_MAX_BATCH) {
        printk("balloon: batch %u too large; using %u\n", batch, BALLOON_MAX_BATCH);
        batch = BALLOON_MAX_BATCH;
    }
    bl.st.batch = batch;
}

void balloon_set_scrub(bool scrub)
{
    bl.st.scrub = scrub;
}

long balloon_step(uint64_t max_pages)
{
    uint64_t cur = bl.st.current_pages, t;

    if (!bl.ready)
        return -EINVAL;
    balloon_max_pages();
    t = bl.st.target_pages = clamp_target(bl.st.requested_pages, false);
    if (cur > t)
        return balloon_down(t + max_pages < cur ? max_pages : cur - t);
    if (cur < t) {
        if (cur >= bl.st.max_pages) {
            bl.st.block = BALLOON_AT_MAX;
            return -ENOSPC;
        }
        return balloon_up(cur + max_pages < t ? max_pages : t - cur);
    }
    bl.st.block = BALLOON_OK;
    return 0;
}

/* ---- set-up --------------------------------------------------------------- */

void balloon_note_released(uint64_t pages)
{
    if (!bl.ready) {
        released_before_init += pages;
        return;
    }
    bl.st.released_at_boot += pages;
    if (!bl.target_asked)
        bl.st.requested_pages += pages;
}

int balloon_resync(void)
{
    domid_t self = DOMID_SELF;
    long rc = xen_memory_op(XENMEM_current_reservation, &self);

    if (rc < 0) {
        printk("balloon: XENMEM_current_reservation failed, rc %ld\n", rc);
        return rc;
    }
    bl.st.current_pages = rc;
    note_current();
    return 0;
}

int balloon_init(const struct balloon_config *cfg)
{
    uint64_t in_use;
    int rc;

    memset(&bl, 0, sizeof(bl));
    pfn_set_init(&ballooned);
    if (!p2m_ready()) {
        printk("balloon: needs the p2m\n");
        return -EINVAL;
    }
    rc = balloon_resync();
    if (rc)
        return rc;
    bl.st.low_pages = bl.st.high_pages = bl.st.current_pages;
    bl.static_max = cfg->static_max_pages;
    bl.keep_free = cfg->keep_free ? cfg->keep_free : BALLOON_DEFAULT_KEEP_FREE;
    balloon_set_batch(cfg->batch);
    bl.st.scrub = cfg->scrub;
    bl.pfn_limit = cfg->pfn_limit;
    if (bl.pfn_limit > p2m_table_limit)
        bl.pfn_limit = p2m_table_limit;
    if (bl.pfn_limit > PFN_SET_MAX_PFNS)
        bl.pfn_limit = PFN_SET_MAX_PFNS;
    all_ram = (struct e820_pfn_range){ 0, bl.pfn_limit };
    bl.ram = cfg->ram ? cfg->ram : &all_ram;
    bl.nr_ram = cfg->ram ? cfg->nr_ram : 1;
    bl.st.top_pfn = p2m_max_pfn();

    in_use = bl.st.current_pages - frame_free_count();
    bl.st.min_pages = cfg->min_pages ? cfg->min_pages : in_use + BALLOON_MIN_HEADROOM;
    if (bl.st.min_pages > bl.st.current_pages) {
        printk("balloon: minimum %lu pages is above the %lu held; using that\n",
               (unsigned long)bl.st.min_pages, (unsigned long)bl.st.current_pages);
        bl.st.min_pages = bl.st.current_pages;
    }
    balloon_max_pages();
    bl.st.released_at_boot = released_before_init;
    bl.st.requested_pages = bl.st.current_pages + released_before_init;
    released_before_init = 0;
    bl.st.target_pages = clamp_target(bl.st.requested_pages, false);
    bl.ready = true;
    return 0;
}

bool balloon_ready(void)
{
    return bl.ready;
}

void balloon_fini(void)
{
    memset(&bl, 0, sizeof(bl));
    pfn_set_init(&ballooned);
    released_before_init = 0;
}

bool balloon_pfn_is_ballooned(xen_pfn_t pfn)
{
    return pfn_set_contains(&ballooned, pfn);
}

xen_pfn_t balloon_next_ballooned(xen_pfn_t from)
{
    xen_pfn_t pfn;

    return pfn_set_collect(&ballooned, from, &pfn, 1) ? pfn : NO_FRAME;
}

void balloon_get_stats(struct balloon_stats *out)
{
    *out = bl.st;
    out->ballooned_pages = ballooned.members;
    out->bitmap_pages = ballooned.pages;
}
