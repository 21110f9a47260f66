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
#include "balloon_internal.h"

#define RAM_PTE     PTE_KERNEL_RW       /* how mm_init() maps RAM */

struct balloon_state balloon;
static struct e820_pfn_range all_ram;   /* [0, pfn_limit): no ranges given */
static uint64_t released_before_init;

/* The ballooned-out pfns: refilled first when going up.  A chunk's bitmap
 * page is a frame the balloon took from the allocator anyway (the first
 * one met for that chunk going down), and goes back once the chunk is
 * empty: the set cannot fail for want of memory. */
struct pfn_set balloon_pfns;

/* The extent list of one hypercall, and the pfn of each extent. */
xen_pfn_t balloon_batch_pfn[BALLOON_MAX_BATCH];
xen_pfn_t balloon_batch_mfn[BALLOON_MAX_BATCH];
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

void balloon_note_current(void)
{
    if (balloon.st.current_pages < balloon.st.low_pages)
        balloon.st.low_pages = balloon.st.current_pages;
    if (balloon.st.current_pages > balloon.st.high_pages)
        balloon.st.high_pages = balloon.st.current_pages;
}

long balloon_reservation_op(unsigned int cmd, xen_pfn_t *list, unsigned int n)
{
    struct xen_memory_reservation r = {
        .nr_extents = n, .extent_order = 0, .domid = DOMID_SELF,
    };

    set_xen_guest_handle(r.extent_start, list);
    return xen_memory_op(cmd, &r);
}

/* Xen's answer to a reservation op on n extents, as a count in [0, n]. */
unsigned int balloon_extents_done(const char *what, long rc, unsigned int n)
{
    if (n > balloon.st.max_extents_per_call)
        balloon.st.max_extents_per_call = n;
    if (rc < 0) {
        printk("balloon: %s of %u extents failed, rc %ld\n", what, n, rc);
        balloon.st.last_rc = rc;
        balloon.st.refusals++;
        return 0;
    }
    if ((unsigned long)rc > n) {
        printk("balloon: %s of %u extents claims %ld done; taking %u\n", what, n, rc, n);
        return n;
    }
    if ((unsigned long)rc < n) {
        printk("balloon: %s did %ld of %u extents\n", what, rc, n);
        balloon.st.partial_results++;
        if (rc == 0)
            balloon.st.refusals++;
    }
    return rc;
}

/* Length of the run of consecutive pfns starting at batch index i < end. */
static unsigned int run_len(unsigned int i, unsigned int end)
{
    unsigned int j = i + 1;

    while (j < end && balloon_batch_pfn[j] == balloon_batch_pfn[j - 1] + 1)
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

    while (n < len && pt_lookup(pt_directmap_va(balloon_batch_pfn[i + n]), &pte) == 0 &&
           (pte & PTE_PRESENT) && pte_mfn(pte) == balloon_batch_mfn[i + n])
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
        if (!p2m_try_set(balloon_batch_pfn[k], balloon_batch_mfn[k])) {
            printk("balloon: pfn %#lx: cannot restore its p2m entry\n",
                   (unsigned long)balloon_batch_pfn[k]);
            balloon.st.lost_pages += i + len - k;
            return i + len - k;
        }
    int rc = pt_map_mfns(pt_directmap_va(balloon_batch_pfn[i]), &balloon_batch_mfn[i], len, RAM_PTE,
                         PT_SKIP_PRESENT);
    mapped = rc ? mapped_prefix(i, len) : len;
    frame_free_range(balloon_batch_pfn[i], mapped);
    if (rc) {
        printk("balloon: cannot map pfns %#lx+%u again, rc %d; %u pages lost\n",
               (unsigned long)balloon_batch_pfn[i + mapped], len - mapped, rc, len - mapped);
        balloon.st.lost_pages += len - mapped;
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
    xen_pfn_t page = pfn_set_take_page(&balloon_pfns, pfn);

    if (page != NO_FRAME)
        frame_free(page);
}

/* ---- down ------------------------------------------------------------------ */

/* Take up to want free frames into balloon_batch_pfn; new bitmap chunks noted. */
static unsigned int gather_frames(unsigned int want, unsigned int *nnew)
{
    unsigned int n = 0;
    xen_pfn_t pfn;

    *nnew = 0;
    while (n < want) {
        if (frame_free_count() <= balloon.keep_free || frame_alloc(&pfn)) {
            balloon.st.block = BALLOON_NO_FREE_FRAMES;
            break;
        }
        if (pfn >= PFN_SET_MAX_PFNS) {
            printk("balloon: pfn %#lx is beyond the balloon's 1 TiB\n", (unsigned long)pfn);
            frame_free(pfn);
            break;
        }
        if (!pfn_set_has_page(&balloon_pfns, pfn)) {
            pfn_set_give_page(&balloon_pfns, pfn, pfn);
            new_chunk[(*nnew)++] = pfn;
            continue;
        }
        balloon_batch_pfn[n++] = pfn;
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
        int rc = pt_unmap_range(pt_directmap_va(balloon_batch_pfn[i]), len, PT_ALLOW_CHANGE_LIVE);

        if (rc) {
            printk("balloon: cannot unmap pfns %#lx+%u, rc %d\n",
                   (unsigned long)balloon_batch_pfn[i], len, rc);
            restore_range(i, n);
            return i;
        }
        for (unsigned int k = i; k < i + len; k++) {
            /* A RAM entry sits in a private leaf: storing ~0 never allocates. */
            if (!p2m_try_set(balloon_batch_pfn[k], INVALID_P2M_ENTRY)) {
                printk("balloon: pfn %#lx: p2m entry cannot be cleared\n",
                       (unsigned long)balloon_batch_pfn[k]);
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
        balloon_batch_mfn[i] = pfn_to_mfn(balloon_batch_pfn[i]);
        if (balloon.st.scrub)
            memset(xen_mm_page(balloon_batch_pfn[i]), 0, PAGE_SIZE);
    }
    n = detach_frames(n);
    if (n) {
        long rc = balloon_reservation_op(XENMEM_decrease_reservation, balloon_batch_mfn, n);
        balloon.st.down_calls++;
        done = balloon_extents_done("decrease_reservation", rc, n);
        restore_range(done, n);
        for (unsigned int i = 0; i < done; i++)
            if (!pfn_set_add(&balloon_pfns, balloon_batch_pfn[i]))
                printk("balloon: pfn %#lx is already in the balloon\n",
                       (unsigned long)balloon_batch_pfn[i]);
        balloon.st.current_pages -= done;
        balloon.st.pages_down += done;
        balloon_note_current();
        if (done < n)
            balloon.st.block = BALLOON_XEN_REFUSED;
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

    balloon.st.block = BALLOON_OK;
    while (done < nr) {
        unsigned int want = nr - done < balloon.st.batch ? nr - done : balloon.st.batch;
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

    if (!balloon.ready)
        return -EINVAL;
    done = in_batches(nr, down_batch);
    if (done)
        return done;
    return balloon.st.block == BALLOON_NO_FREE_FRAMES ? -ENOMEM : -EBUSY;
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
    for (unsigned int r = 0; r < balloon.nr_ram && n < want; r++) {
        xen_pfn_t pfn = balloon.ram[r].start > balloon.st.top_pfn ? balloon.ram[r].start : balloon.st.top_pfn;
        xen_pfn_t end = balloon.ram[r].end < balloon.pfn_limit ? balloon.ram[r].end : balloon.pfn_limit;

        while (pfn < end && n < want) {
            xen_pfn_t run_end;

            for (pfn = p2m_find_missing(pfn, end, &run_end); pfn < run_end && n < want;)
                balloon_batch_pfn[n++] = pfn++;
        }
    }
    if (n < want) {
        if (n == 0)
            printk("balloon: no pfn left below %#lx to populate\n",
                   (unsigned long)balloon.pfn_limit);
        balloon.st.block = BALLOON_NO_PFN_SPACE;
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
        rc = p2m_set(balloon_batch_pfn[k], balloon_batch_mfn[k]);
        if (rc)
            break;
    }
    if (k > i) {
        int mrc = pt_map_mfns(pt_directmap_va(balloon_batch_pfn[i]), &balloon_batch_mfn[i], k - i,
                              RAM_PTE, 0);
        mapped = mrc ? mapped_prefix(i, k - i) : k - i;
        if (mrc) {
            /* The chunks mapped before the failure are placed; the rest
             * lose any mapping first, then their p2m entries. */
            int urc = pt_unmap_range(pt_directmap_va(balloon_batch_pfn[i + mapped]), k - i - mapped,
                                     PT_ALLOW_CHANGE_LIVE);
            if (urc) {
                printk("balloon: cannot unmap pfns %#lx+%u, rc %d; %u pages lost\n",
                       (unsigned long)balloon_batch_pfn[i + mapped], k - i - mapped, urc,
                       k - i - mapped);
                *stuck = k - i - mapped;
                balloon.st.lost_pages += *stuck;
            } else {
                for (unsigned int j = i + mapped; j < k; j++)
                    p2m_try_set(balloon_batch_pfn[j], INVALID_P2M_ENTRY);
            }
            rc = mrc;
            k = i + mapped;
        }
        frame_free_range(balloon_batch_pfn[i], k - i);
    }
    if (rc) {
        printk("balloon: placed %u of %u new frames at pfn %#lx, then rc %d\n",
               k - i, len, (unsigned long)balloon_batch_pfn[i], rc);
        balloon.st.block = rc == -ENOMEM ? BALLOON_NO_MEMORY : BALLOON_NO_PFN_SPACE;
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
    rc = balloon_reservation_op(XENMEM_decrease_reservation, &balloon_batch_mfn[from], n);
    balloon.st.down_calls++;
    taken = balloon_extents_done("decrease_reservation (give back)", rc, n);
    balloon.st.given_back += taken;
    balloon.st.current_pages -= taken;
    if (taken < n) {
        printk("balloon: %u new frames can be neither placed nor returned: lost\n",
               n - taken);
        balloon.st.lost_pages += n - taken;
    }
}

static long up_batch(unsigned int want)
{
    unsigned int n = pfn_set_collect(&balloon_pfns, 0, balloon_batch_pfn, want), refilled = n;
    unsigned int done, placed = 0;
    long rc;

    n = pick_fresh(n, want);
    if (!n)
        return 0;
    memcpy(balloon_batch_mfn, balloon_batch_pfn, n * sizeof(balloon_batch_mfn[0]));
    rc = balloon_reservation_op(XENMEM_populate_physmap, balloon_batch_mfn, n);
    balloon.st.up_calls++;
    done = balloon_extents_done("populate_physmap", rc, n);
    balloon.st.current_pages += done;
    if (done < n)
        balloon.st.block = BALLOON_XEN_REFUSED;

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
            balloon.st.top_pfn = balloon_batch_pfn[i] + 1;
        else if (!pfn_set_remove(&balloon_pfns, balloon_batch_pfn[i]))
            printk("balloon: pfn %#lx is not in the balloon\n",
                   (unsigned long)balloon_batch_pfn[i]);
    }
    for (unsigned int i = 0; i < placed && i < refilled; i++)
        trim(balloon_batch_pfn[i]);
    balloon.st.pages_up += placed;
    balloon_note_current();
    return placed;
}

long balloon_up(uint64_t nr)
{
    uint64_t done;

    if (!balloon.ready)
        return -EINVAL;
    done = in_batches(nr, up_batch);
    if (done)
        return done;
    switch (balloon.st.block) {
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
    if (!balloon.ready)
        return -EINVAL;
    if (balloon_pfns.members < n) {
        uint64_t want = n - balloon_pfns.members;
        long got = balloon_down(want);

        if (got < 0 || (uint64_t)got < want) {
            printk("balloon: cannot lend %u pfns: %lu in the balloon, giving %lu more "
                   "to Xen did %ld (%s)\n", n, (unsigned long)balloon_pfns.members,
                   (unsigned long)want, got, balloon_block_name(balloon.st.block));
            return got < 0 ? (int)got : -ENOMEM;
        }
    }
    /* The chunks keep their bitmap pages: taking back then needs no frame. */
    for (unsigned int done = 0; done < n;) {
        unsigned int k = pfn_set_collect(&balloon_pfns, 0, &out[done], n - done);

        if (k == 0) {           /* cannot happen: members >= n was checked */
            printk("balloon: the balloon lost count while lending\n");
            balloon_take_back(out, done);
            return -EFAULT;
        }
        for (unsigned int i = done; i < done + k; i++)
            pfn_set_remove(&balloon_pfns, out[i]);
        done += k;
        balloon.st.lent_pages += k;
        balloon.st.lent_total += k;
    }
    return 0;
}

int balloon_take_back(const xen_pfn_t *pfns, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        xen_pfn_t pfn = pfns[i], page;

        if (balloon.st.lent_pages == 0 || pfn >= balloon.st.top_pfn ||
            pfn_set_contains(&balloon_pfns, pfn) || p2m_get(pfn) != INVALID_P2M_ENTRY) {
            printk("balloon: pfn %#lx cannot come back: not a lent pfn (p2m %#lx)\n",
                   (unsigned long)pfn, (unsigned long)p2m_get(pfn));
            return -EINVAL;
        }
        if (!pfn_set_has_page(&balloon_pfns, pfn)) {
            if (frame_alloc(&page)) {
                printk("balloon: no frame for the bitmap of pfn %#lx: %u pfns stay "
                       "lent\n", (unsigned long)pfn, n - i);
                return -ENOMEM;
            }
            pfn_set_give_page(&balloon_pfns, pfn, page);
        }
        pfn_set_add(&balloon_pfns, pfn);
        balloon.st.lent_pages--;
        balloon.st.returned_total++;
    }
    return 0;
}

/* ---- target -------------------------------------------------------------- */

uint64_t balloon_max_pages(void)
{
    domid_t self = DOMID_SELF;
    long rc = xen_memory_op(XENMEM_maximum_reservation, &self);

    if (rc < 0) {
        if (balloon.st.last_rc != rc)
            printk("balloon: XENMEM_maximum_reservation failed, rc %ld; keeping "
                   "%lu pages\n", rc, (unsigned long)balloon.st.max_pages);
        balloon.st.last_rc = rc;
    } else {
        balloon.st.max_pages = rc;
        if (balloon.static_max && balloon.static_max < balloon.st.max_pages)
            balloon.st.max_pages = balloon.static_max;
    }
    return balloon.st.max_pages;
}

static uint64_t clamp_target(uint64_t pages, bool say)
{
    uint64_t t = pages;

    if (t > balloon.st.max_pages) {
        if (say)
            printk("balloon: target %lu KiB is above the maximum %lu KiB; clamped\n",
                   (unsigned long)(pages * 4), (unsigned long)(balloon.st.max_pages * 4));
        t = balloon.st.max_pages;
    }
    if (t < balloon.st.min_pages) {
        if (say)
            printk("balloon: target %lu KiB is below the minimum %lu KiB; clamped\n",
                   (unsigned long)(pages * 4), (unsigned long)(balloon.st.min_pages * 4));
        t = balloon.st.min_pages;
    }
    return t;
}

uint64_t balloon_set_target(uint64_t pages)
{
    if (!balloon.ready)
        return 0;
    balloon.target_asked = true;
    balloon.st.requested_pages = pages;
    balloon_max_pages();
    balloon.st.target_pages = clamp_target(pages, true);
    return balloon.st.target_pages;
}

void balloon_set_static_max(uint64_t pages)
{
    balloon.static_max = pages;
}

void balloon_set_batch(unsigned int batch)
{
    if (batch == 0)
        batch = BALLOON_DEFAULT_BATCH;
    if (batch > BALLOON_MAX_BATCH) {
        printk("balloon: batch %u too large; using %u\n", batch, BALLOON_MAX_BATCH);
        batch = BALLOON_MAX_BATCH;
    }
    balloon.st.batch = batch;
}

void balloon_set_scrub(bool scrub)
{
    balloon.st.scrub = scrub;
}

long balloon_step(uint64_t max_pages)
{
    uint64_t cur = balloon.st.current_pages, t;

    if (!balloon.ready)
        return -EINVAL;
    balloon_max_pages();
    t = balloon.st.target_pages = clamp_target(balloon.st.requested_pages, false);
    if (cur > t)
        return balloon_down(t + max_pages < cur ? max_pages : cur - t);
    if (cur < t) {
        if (cur >= balloon.st.max_pages) {
            balloon.st.block = BALLOON_AT_MAX;
            return -ENOSPC;
        }
        return balloon_up(cur + max_pages < t ? max_pages : t - cur);
    }
    balloon.st.block = BALLOON_OK;
    return 0;
}

/* ---- set-up --------------------------------------------------------------- */

void balloon_note_released(uint64_t pages)
{
    if (!balloon.ready) {
        released_before_init += pages;
        return;
    }
    balloon.st.released_at_boot += pages;
    if (!balloon.target_asked)
        balloon.st.requested_pages += pages;
}

long balloon_current_reservation(void)
{
    domid_t self = DOMID_SELF;
    long rc = xen_memory_op(XENMEM_current_reservation, &self);

    if (rc < 0)
        printk("balloon: XENMEM_current_reservation failed, rc %ld\n", rc);
    return rc;
}

int balloon_init(const struct balloon_config *cfg)
{
    uint64_t in_use;
    int rc;

    memset(&balloon, 0, sizeof(balloon));
    pfn_set_init(&balloon_pfns);
    if (!p2m_ready()) {
        printk("balloon: needs the p2m\n");
        return -EINVAL;
    }
    rc = balloon_current_reservation();
    if (rc < 0)
        return rc;
    balloon.st.current_pages = rc;
    balloon.st.low_pages = balloon.st.high_pages = balloon.st.current_pages;
    balloon.static_max = cfg->static_max_pages;
    balloon.keep_free = cfg->keep_free ? cfg->keep_free : BALLOON_DEFAULT_KEEP_FREE;
    balloon_set_batch(cfg->batch);
    balloon.st.scrub = cfg->scrub;
    balloon.pfn_limit = cfg->pfn_limit;
    if (balloon.pfn_limit > p2m_table_limit)
        balloon.pfn_limit = p2m_table_limit;
    if (balloon.pfn_limit > PFN_SET_MAX_PFNS)
        balloon.pfn_limit = PFN_SET_MAX_PFNS;
    all_ram = (struct e820_pfn_range){ 0, balloon.pfn_limit };
    balloon.ram = cfg->ram ? cfg->ram : &all_ram;
    balloon.nr_ram = cfg->ram ? cfg->nr_ram : 1;
    balloon.st.top_pfn = p2m_max_pfn();

    in_use = balloon.st.current_pages - frame_free_count();
    balloon.st.min_pages = cfg->min_pages ? cfg->min_pages : in_use + BALLOON_MIN_HEADROOM;
    if (balloon.st.min_pages > balloon.st.current_pages) {
        printk("balloon: minimum %lu pages is above the %lu held; using that\n",
               (unsigned long)balloon.st.min_pages, (unsigned long)balloon.st.current_pages);
        balloon.st.min_pages = balloon.st.current_pages;
    }
    balloon_max_pages();
    balloon.st.released_at_boot = released_before_init;
    balloon.st.requested_pages = balloon.st.current_pages + released_before_init;
    released_before_init = 0;
    balloon.st.target_pages = clamp_target(balloon.st.requested_pages, false);
    balloon.ready = true;
    return 0;
}

bool balloon_ready(void)
{
    return balloon.ready;
}

void balloon_fini(void)
{
    memset(&balloon, 0, sizeof(balloon));
    pfn_set_init(&balloon_pfns);
    released_before_init = 0;
}

bool balloon_pfn_is_ballooned(xen_pfn_t pfn)
{
    return pfn_set_contains(&balloon_pfns, pfn);
}

xen_pfn_t balloon_next_ballooned(xen_pfn_t from)
{
    xen_pfn_t pfn;

    return pfn_set_collect(&balloon_pfns, from, &pfn, 1) ? pfn : NO_FRAME;
}

void balloon_get_stats(struct balloon_stats *out)
{
    *out = balloon.st;
    out->ballooned_pages = balloon_pfns.members;
    out->bitmap_pages = balloon_pfns.pages;
}
