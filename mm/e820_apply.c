/*
 * Fetching the E820 from Xen and applying an identity/remap plan.
 * include/minnow/e820_apply.h has the boot sequence; e820_plan.h the plan.
 *
 * One move of n pages, src -> dst (n <= CHUNK), in this order:
 *
 *   1. p2m[dst + i] = mfn_i          (may allocate p2m leaves)
 *   2. m2p[mfn_i] = dst + i          MMU_MACHPHYS_UPDATE, one batch
 *   3. map va(dst) -> mfn_i, RW      pt_map_mfns (may allocate tables)
 *   4. p2m[src + i] = 1:1            (a populated pfn's leaf is private:
 *                                    a plain store, never an allocation)
 *   5. unmap va(src)                 pt_unmap_range
 *
 * The frame keeps its contents; only its name changes.  Steps 1-4 can fail
 * (no memory for a p2m leaf or a page table, Xen refusing): then the steps
 * already done are undone in reverse and the pages are released instead,
 * so a failure costs balloon headroom, never a page.  Step 4 comes with
 * the move, not with the identity ranges at the end: if those fail, no
 * two pfns may name one frame (a save would send it twice).
 *
 * A release of n pages: unmap va(src) (Xen will not take back a frame that
 * is still mapped), decrease_reservation, p2m[src] = missing.  Xen may
 * take fewer than asked: the rest are mapped again and reported as stuck;
 * they stay RAM at their pfn and are left out of the identity ranges.
 */
#include <errno.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/memory.h>
#include <minnow/console.h>
#include <minnow/e820_apply.h>
#include <minnow/xen_mm.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>

#define CHUNK 512u

/* Boot is single-threaded; these keep 12 KiB off the boot stack. */
static xen_pfn_t chunk_mfn[CHUNK];
static mmu_update_t chunk_req[CHUNK];

/* ------------------------------------------------------------- fetching */

int e820_fetch(struct e820_map *raw, bool initial_domain, xen_pfn_t nr_pages,
               e820_print_fn print)
{
    unsigned int cmd = initial_domain ? XENMEM_machine_memory_map : XENMEM_memory_map;
    const char *name = initial_domain ? "XENMEM_machine_memory_map" : "XENMEM_memory_map";
    /* The whole buffer: Xen wants room for one entry more than it returns,
     * and adds entries for I/O ranges.  The sanitizer reads the first
     * E820_MAX_RAW and warns about the rest. */
    struct xen_memory_map arg = { .nr_entries = E820_MAX_ENTRIES };
    long rc;

    set_xen_guest_handle(arg.buffer, raw->entry);
    rc = xen_memory_op(cmd, &arg);
    if (rc == 0 && arg.nr_entries > E820_MAX_ENTRIES)
        rc = -XEN_E2BIG;    /* Xen claimed more entries than the buffer holds */
    if (rc == 0) {
        raw->nr = arg.nr_entries;
        return 0;
    }
    if (initial_domain) {
        /* No guess is safe here: MMIO pfns would alias RAM frames. */
        raw->nr = 0;
        print("E820: %s failed, rc %ld: the initial domain cannot run without "
              "the machine's memory map\n", name, rc);
        return (int)rc;
    }
    e820_fallback(raw, nr_pages);
    if (rc == -XEN_ENOSYS) {
        print("E820: %s: not available (-ENOSYS); using one RAM region "
              "[0, 0x%lx)\n", name, (unsigned long)nr_pages);
        return 1;
    }
    print("E820: %s failed, rc %ld; using one RAM region [0, 0x%lx)\n", name,
          rc, (unsigned long)nr_pages);
    return (int)rc;
}

/* ------------------------------------------------------------- applying */

static void note_rc(struct e820_apply_result *res, int rc)
{
    if (rc && !res->rc)
        res->rc = rc;
}

/* The result's lists are sized from the plan's capacities: never full. */
static void record(struct e820_pfn_range *list, unsigned int *nr, unsigned int cap,
                   xen_pfn_t s, xen_pfn_t e)
{
    if (!e820_range_append(list, nr, cap, s, e))
        printk("E820: result list full: pfns 0x%lx-0x%lx not recorded\n",
               (unsigned long)s, (unsigned long)e);
}

/* m2p[mfn_i] = base + i for i < n; 0 or the rc (printed by xen_mmu_update). */
static int set_m2p(xen_pfn_t base, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        chunk_req[i].ptr = ((uint64_t)chunk_mfn[i] << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE;
        chunk_req[i].val = base + i;
    }
    return n ? xen_mmu_update(chunk_req, n) : 0;
}

/* Undo steps 1-2 for pages [0, n) of a chunk moving src -> dst. */
static void undo_move(xen_pfn_t src, xen_pfn_t dst, unsigned int n, bool m2p_done,
                      struct e820_apply_result *res)
{
    if (m2p_done) {
        int rc = set_m2p(src, n);

        if (rc) {
            printk("E820: cannot restore m2p for pfns 0x%lx+%u, rc %d\n",
                   (unsigned long)src, n, rc);
            note_rc(res, rc);
        }
    }
    for (unsigned int i = 0; i < n; i++)
        p2m_set(dst + i, INVALID_P2M_ENTRY);    /* the leaf exists: cannot fail */
}

/* Move up to CHUNK pages; returns how many moved (the rest: release them). */
static unsigned int move_chunk(xen_pfn_t src, xen_pfn_t dst, unsigned int n,
                               struct e820_apply_result *res)
{
    unsigned int i;
    int rc = 0;

    for (i = 0; i < n; i++) {
        chunk_mfn[i] = pfn_to_mfn(src + i);
        if (chunk_mfn[i] == INVALID_P2M_ENTRY || (p2m_get(src + i) & P2M_FRAME_BITS)) {
            printk("E820: move source pfn 0x%lx has no RAM frame; plan is stale\n",
                   (unsigned long)(src + i));
            note_rc(res, -EINVAL);
            return 0;       /* nothing done; the release path reports it again */
        }
    }
    for (i = 0; i < n; i++) {
        rc = p2m_set(dst + i, chunk_mfn[i]);                    /* step 1 */
        if (rc) {
            printk("E820: p2m for pfn 0x%lx failed, rc %d; releasing instead\n",
                   (unsigned long)(dst + i), rc);
            undo_move(src, dst, i, false, res);
            note_rc(res, rc);
            return 0;
        }
    }
    rc = set_m2p(dst, n);                                       /* step 2 */
    if (rc) {
        /* Part of the batch may have been applied: restore all of it. */
        undo_move(src, dst, n, true, res);
        note_rc(res, rc);
        return 0;
    }
    rc = pt_map_mfns(pt_directmap_va(dst), chunk_mfn, n, PTE_KERNEL_RW, 0);  /* 3 */
    if (rc) {
        printk("E820: mapping pfns 0x%lx+%u failed, rc %d; releasing instead\n",
               (unsigned long)dst, n, rc);
        pt_unmap_range(pt_directmap_va(dst), n, 0);     /* whatever got mapped */
        undo_move(src, dst, n, true, res);
        note_rc(res, rc);
        return 0;
    }
    for (i = 0; i < n; i++) {                                   /* step 4 */
        if (!p2m_try_set(src + i, IDENTITY_FRAME(src + i))) {
            printk("E820: pfn 0x%lx cannot become 1:1; releasing 0x%lx+%u instead\n",
                   (unsigned long)(src + i), (unsigned long)src, n);
            while (i-- > 0)
                p2m_try_set(src + i, chunk_mfn[i]);
            pt_unmap_range(pt_directmap_va(dst), n, 0);
            undo_move(src, dst, n, true, res);
            note_rc(res, -EFAULT);
            return 0;
        }
    }
    rc = pt_unmap_range(pt_directmap_va(src), n, PT_ALLOW_CHANGE_LIVE);   /* 5 */
    if (rc) {
        /* The frames did move; a stale alias of them stays mapped. */
        printk("E820: unmapping old pfns 0x%lx+%u failed, rc %d\n",
               (unsigned long)src, n, rc);
        note_rc(res, rc);
    }
    return n;
}

/*
 * Release up to CHUNK pages at src: each is either given back to Xen or,
 * if Xen keeps it, mapped again and recorded as stuck.  Returns the pages
 * handled; fewer than n only when pfn src + return value has no frame (a
 * stale plan), which the caller skips.
 */
static unsigned int release_chunk(xen_pfn_t src, unsigned int n,
                                  struct e820_apply_result *res)
{
    struct xen_memory_reservation r = { .domid = DOMID_SELF, .extent_order = 0 };
    unsigned int i, done;
    long rc;

    for (i = 0; i < n; i++) {
        chunk_mfn[i] = pfn_to_mfn(src + i);
        if (chunk_mfn[i] == INVALID_P2M_ENTRY || (p2m_get(src + i) & P2M_FRAME_BITS)) {
            printk("E820: release source pfn 0x%lx has no RAM frame; plan is stale\n",
                   (unsigned long)(src + i));
            note_rc(res, -EINVAL);
            break;
        }
    }
    n = i;
    if (n == 0)
        return 0;
    rc = pt_unmap_range(pt_directmap_va(src), n, PT_ALLOW_CHANGE_LIVE);
    if (rc) {
        printk("E820: cannot unmap pfns 0x%lx+%u for release, rc %ld\n",
               (unsigned long)src, n, rc);
        note_rc(res, (int)rc);
        record(res->stuck, &res->nr_stuck, E820_APPLY_MAX_STUCK, src, src + n);
        res->stuck_pages += n;
        return n;
    }
    set_xen_guest_handle(r.extent_start, chunk_mfn);
    r.nr_extents = n;
    rc = xen_memory_op(XENMEM_decrease_reservation, &r);
    done = rc < 0 ? 0 : (unsigned int)(rc > n ? n : rc);
    for (i = 0; i < done; i++)
        p2m_set(src + i, INVALID_P2M_ENTRY);    /* no dangling mfn in the p2m */
    res->released_pages += done;
    if (done < n) {
        printk("E820: decrease_reservation took %u of %u pages at pfn 0x%lx "
               "(rc %ld); the rest stay RAM\n", done, n, (unsigned long)src, rc);
        note_rc(res, rc < 0 ? (int)rc : -EBUSY);
        rc = pt_map_mfns(pt_directmap_va(src + done), chunk_mfn + done, n - done,
                         PTE_KERNEL_RW, 0);
        if (rc) {
            printk("E820: cannot map back pfns 0x%lx+%u, rc %ld\n",
                   (unsigned long)(src + done), n - done, rc);
            note_rc(res, (int)rc);
        }
        record(res->stuck, &res->nr_stuck, E820_APPLY_MAX_STUCK, src + done, src + n);
        res->stuck_pages += n - done;
    }
    return n;
}

static void release_range(xen_pfn_t s, xen_pfn_t e, struct e820_apply_result *res)
{
    while (s < e) {
        unsigned int n = e - s > CHUNK ? CHUNK : (unsigned int)(e - s);
        unsigned int handled = release_chunk(s, n, res);

        s += handled;
        if (handled < n)
            s++;                /* a pfn without a frame: nothing to release */
    }
}

/*
 * Set [s, e) identity, skipping stuck pfns (they are still RAM).  Returns
 * the pfns made 1:1; the first failure goes to *rc (each is printed).
 */
static uint64_t identity_range(xen_pfn_t s, xen_pfn_t e,
                               const struct e820_apply_result *res, int *rc)
{
    uint64_t done = 0;

    while (s < e) {
        xen_pfn_t piece_end = e, next = e;

        for (unsigned int i = 0; i < res->nr_stuck; i++) {
            const struct e820_pfn_range *k = &res->stuck[i];

            if (k->start <= s && s < k->end) {      /* s is stuck: skip it */
                piece_end = s;
                next = k->end < e ? k->end : e;
                break;
            }
            if (s < k->start && k->start < piece_end)
                piece_end = next = k->start;
        }
        if (s < piece_end) {
            int prc = p2m_set_identity_range(s, piece_end);

            if (prc) {
                printk("E820: identity 0x%lx-0x%lx failed, rc %d\n",
                       (unsigned long)s, (unsigned long)piece_end, prc);
                if (!*rc)
                    *rc = prc;
            } else {
                done += piece_end - s;
            }
        }
        s = next;
    }
    return done;
}

int e820_apply(const struct e820_plan *plan, struct e820_apply_result *res)
{
    struct e820_pfn_range fallback[E820_PLAN_MAX_MOVES];
    unsigned int nr_fallback = 0, i;

    *res = (struct e820_apply_result){ 0 };
    if (!p2m_ready() || plan->p2m_limit > p2m_table_limit) {
        printk("E820: cannot apply: p2m %s, plan limit 0x%lx > p2m limit 0x%lx\n",
               p2m_ready() ? "ready" : "not initialised",
               (unsigned long)plan->p2m_limit, (unsigned long)p2m_table_limit);
        return res->rc = -EINVAL;
    }

    for (i = 0; i < plan->nr_moves; i++) {
        const struct e820_move *m = &plan->move[i];
        xen_pfn_t off = 0;

        while (off < m->nr) {
            unsigned int n = m->nr - off > CHUNK ? CHUNK : (unsigned int)(m->nr - off);
            unsigned int got = move_chunk(m->src + off, m->dst + off, n, res);

            record(res->dst, &res->nr_dst, E820_PLAN_MAX_MOVES,
                   m->dst + off, m->dst + off + got);
            res->moved_pages += got;
            off += got;
            if (got < n)
                break;
        }
        if (off < m->nr) {          /* the rest of this move is released */
            fallback[nr_fallback].start = m->src + off;
            fallback[nr_fallback].end = m->src + m->nr;
            nr_fallback++;
            res->fallback_pages += m->nr - off;
        }
    }

    for (i = 0; i < plan->nr_release; i++)
        release_range(plan->release[i].start, plan->release[i].end, res);
    for (i = 0; i < nr_fallback; i++)
        release_range(fallback[i].start, fallback[i].end, res);

    for (i = 0; i < plan->nr_identity; i++) {
        int rc = 0;

        res->identity_pages += identity_range(plan->identity[i].start,
                                              plan->identity[i].end, res, &rc);
        note_rc(res, rc);
    }

    printk("E820: applied: %lu pages moved, %lu released (%lu of them planned "
           "moves), %lu stuck, %lu pfns identity%s\n",
           (unsigned long)res->moved_pages, (unsigned long)res->released_pages,
           (unsigned long)res->fallback_pages, (unsigned long)res->stuck_pages,
           (unsigned long)res->identity_pages, res->rc ? "; errors above" : "");
    return res->rc;
}

int e820_identity_reapply(const struct e820_plan *plan, const struct e820_apply_result *res)
{
    int rc = 0;

    for (unsigned int i = 0; i < plan->nr_identity; i++)
        identity_range(plan->identity[i].start, plan->identity[i].end, res, &rc);
    if (rc)
        printk("E820: 1:1 ranges not all set again after the restore, rc %d\n", rc);
    return rc;
}
