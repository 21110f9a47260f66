/*
 * Grant mapping and copying, the backend side (include/minnow/gntmap.h
 * has the contract, docs/gntmap.md the picture).
 *
 * One batch of a map (up to GNTMAP_BATCH pages, one hypercall):
 *
 *   balloon_lend(k pfns) --> pt_grant_prepare(each pfn's address)
 *     --> GNTTABOP_map_grant_ref x k   Xen writes each PTE, one status each
 *     --> okay:   p2m_set_foreign(pfn, mfn read back from the PTE)
 *         failed: the pfn goes back to the balloon, the status is kept
 *
 * Unmapping runs it backwards.  Every page is in one place after a call:
 * mapped (pfn, p2m foreign, override), or back in the balloon.
 */
#include <errno.h>
#include <minnow/balloon.h>
#include <minnow/console.h>
#include <minnow/gntmap.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include <minnow/suspend.h>
#include <arch/hypercall.h>

/* Xen puts GNTMAP_guest_avail0 into the PTE's first software bit: PTE_GRANTED. */
#define GNTMAP_MARK     (1u << _GNTMAP_guest_avail0)
/* What Xen never writes into a status: "this entry was not processed". */
#define NOT_DONE        1

static struct gntmap_stats st;
static bool hooked;

const char *gntmap_status_name(int16_t status)
{
    static const char *const names[] = {
        "okay", "general_error", "bad_domain", "bad_gntref", "bad_handle",
        "bad_virt_addr", "bad_dev_addr", "no_device_space", "permission_denied",
        "bad_page", "bad_copy_arg", "address_too_big", "eagain", "no_space",
    };

    return status <= 0 && -status < (int)(sizeof(names) / sizeof(names[0]))
           ? names[-status] : "?";
}

/* A save cannot carry a mapping of another domain's frame (gntmap.h). */
static int gntmap_suspend(void)
{
    if (st.mapped == 0)
        return 0;
    printk("gntmap: %lu foreign pages mapped: refusing to suspend (a saved domain "
           "cannot keep another domain's frames); unmap them, then save\n",
           (unsigned long)st.mapped);
    return -EBUSY;
}

static struct suspend_hooks gntmap_hooks = {
    .name = "gntmap",
    .suspend = gntmap_suspend,
};

static void not_mapped(struct gntmap_page *p, int16_t status)
{
    p->status = status;
    p->pfn = NO_FRAME;
    p->addr = NULL;
}

static void give_back(xen_pfn_t pfn)
{
    if (balloon_take_back(&pfn, 1))
        printk("gntmap: pfn %#lx stays lent (counted in pool_in_use)\n",
               (unsigned long)pfn);
}

/* Undo one mapping Xen made: 0, or its GNTST_ code. */
static int16_t unmap_one(uint64_t va, grant_handle_t handle)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = va, .handle = handle,
                                         .status = NOT_DONE };
    long rc = hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1);

    st.hypercalls++;
    if (rc) {
        printk("gntmap: GNTTABOP_unmap_grant_ref failed: rc=%ld\n", rc);
        return GNTST_general_error;
    }
    return op.status;
}

/* Xen mapped p at va: record it in the p2m, or take it down again. */
static void mapped(struct gntmap_page *p, xen_pfn_t pfn, uint64_t va,
                   const struct gnttab_map_grant_ref *op)
{
    uint64_t pte;
    int rc = pt_lookup(va, &pte);

    if (rc == 0 && !pt_is_granted(va))
        rc = -EFAULT;
    if (rc == 0)
        rc = p2m_set_foreign(pfn, pte_mfn(pte));
    if (rc) {
        int16_t urc = unmap_one(va, op->handle);
        printk("gntmap: dom %u ref %u mapped at %#lx but not recorded (rc %d); "
               "unmapped again: %s\n", p->domid, p->ref, (unsigned long)va, rc,
               gntmap_status_name(urc));
        st.map_failures++;
        if (urc != GNTST_okay) {        /* still Xen's: held, for gntmap_unmap() */
            p->status = GNTST_general_error;
            p->handle = op->handle;
            p->pfn = pfn;
            p->addr = NULL;
            st.mapped++;
            return;
        }
        give_back(pfn);
        not_mapped(p, GNTST_general_error);
        return;
    }
    p->status = GNTST_okay;
    p->handle = op->handle;
    p->pfn = pfn;
    p->addr = xen_mm_page(pfn);
    st.mapped++;
    st.maps++;
}

/* One hypercall's worth: returns how many were mapped, or -errno before trying. */
static int map_batch(struct gntmap_page *pages, unsigned int k)
{
    struct gnttab_map_grant_ref op[GNTMAP_BATCH];
    xen_pfn_t pfn[GNTMAP_BATCH];
    unsigned int nr = 0, done = 0;
    int rc = balloon_lend(pfn, k);

    if (rc)
        return rc;
    for (unsigned int i = 0; i < k; i++) {
        uint64_t va = pt_directmap_va(pfn[i]);

        op[i] = (struct gnttab_map_grant_ref){
            .host_addr = va, .ref = pages[i].ref, .dom = pages[i].domid,
            .flags = GNTMAP_host_map | GNTMAP_MARK |
                     (pages[i].readonly ? GNTMAP_readonly : 0),
            .status = NOT_DONE,
        };
        rc = pt_grant_prepare(va);
        if (rc) {
            printk("gntmap: no place for dom %u ref %u at %#lx (rc %d)\n",
                   pages[i].domid, pages[i].ref, (unsigned long)va, rc);
            op[i].status = GNTST_bad_virt_addr;
            continue;
        }
        if (i != nr) {                  /* keep the hypercall's array dense */
            struct gnttab_map_grant_ref t = op[nr];
            op[nr] = op[i];
            op[i] = t;
        }
        nr++;
    }
    /*
     * Only the first nr ops go to Xen; the positions of the rest were
     * swapped, so match results by host address, not by index.
     */
    long hrc = nr ? hypercall_grant_table_op(GNTTABOP_map_grant_ref, op, nr) : 0;
    st.hypercalls += nr != 0;
    if (hrc)
        printk("gntmap: GNTTABOP_map_grant_ref of %u entries failed: rc=%ld\n", nr, hrc);
    for (unsigned int i = 0; i < k; i++) {
        uint64_t va = pt_directmap_va(pfn[i]);
        unsigned int j = 0;

        while (op[j].host_addr != va)
            j++;
        int16_t status = op[j].status == NOT_DONE ? GNTST_general_error : op[j].status;
        if (status == GNTST_okay) {
            mapped(&pages[i], pfn[i], va, &op[j]);
            done += pages[i].status == GNTST_okay;
            continue;
        }
        printk("gntmap: dom %u ref %u: GNTST_%s (%d)\n", pages[i].domid, pages[i].ref,
               gntmap_status_name(status), status);
        st.map_failures++;
        give_back(pfn[i]);
        not_mapped(&pages[i], status);
    }
    return done;
}

int gntmap_map(struct gntmap_page *pages, unsigned int n)
{
    int total = 0;

    if (!balloon_ready() || !p2m_ready()) {
        printk("gntmap: no balloon or p2m: nothing to map at\n");
        return -ENODEV;
    }
    if (!pages || n > INT32_MAX)
        return -EINVAL;
    if (!hooked) {
        suspend_register(&gntmap_hooks);
        hooked = true;
    }
    for (unsigned int i = 0; i < n; i += GNTMAP_BATCH) {
        unsigned int k = n - i < GNTMAP_BATCH ? n - i : GNTMAP_BATCH;
        int rc = map_batch(&pages[i], k);

        if (rc < 0) {
            printk("gntmap: no pfns to map %u pages at (rc %d): pages %u.. not "
                   "mapped (GNTST_no_space)\n", n - i, rc, i);
            for (unsigned int j = i; j < n; j++)
                not_mapped(&pages[j], GNTST_no_space);
            return total ? total : rc;
        }
        total += rc;
    }
    return total;
}

int gntmap_unmap(struct gntmap_page *pages, unsigned int n)
{
    struct gnttab_unmap_grant_ref op[GNTMAP_BATCH];
    unsigned int idx[GNTMAP_BATCH];
    int failed = 0;

    if (!pages)
        return -EINVAL;
    for (unsigned int i = 0; i < n;) {
        unsigned int k = 0;

        for (; i < n && k < GNTMAP_BATCH; i++) {
            if (pages[i].pfn == NO_FRAME)
                continue;
            op[k] = (struct gnttab_unmap_grant_ref){
                .host_addr = pt_directmap_va(pages[i].pfn),
                .handle = pages[i].handle, .status = NOT_DONE,
            };
            idx[k++] = i;
        }
        if (!k)
            break;
        long rc = hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, op, k);
        st.hypercalls++;
        if (rc)
            printk("gntmap: GNTTABOP_unmap_grant_ref of %u entries failed: rc=%ld\n", k, rc);
        for (unsigned int j = 0; j < k; j++) {
            struct gntmap_page *p = &pages[idx[j]];
            int16_t status = op[j].status == NOT_DONE ? GNTST_general_error : op[j].status;

            p->status = status;
            if (status != GNTST_okay) {
                printk("gntmap: unmapping dom %u ref %u at pfn %#lx: GNTST_%s (%d); "
                       "still mapped\n", p->domid, p->ref, (unsigned long)p->pfn,
                       gntmap_status_name(status), status);
                st.unmap_failures++;
                failed++;
                continue;
            }
            if (p2m_kind_of(p->pfn) == P2M_FOREIGN)
                p2m_clear_foreign(p->pfn);
            give_back(p->pfn);
            p->pfn = NO_FRAME;
            p->addr = NULL;
            st.mapped--;
            st.unmaps++;
        }
    }
    return failed;
}

/* ---- copy -------------------------------------------------------------------- */

void gntmap_copy_grant(struct gnttab_copy_ptr *p, domid_t domid, grant_ref_t ref,
                       uint16_t offset)
{
    *p = (struct gnttab_copy_ptr){ .u.ref = ref, .domid = domid, .offset = offset };
}

/* A PV guest names its own side by machine frame, looked up now. */
void gntmap_copy_local(struct gnttab_copy_ptr *p, xen_pfn_t pfn, uint16_t offset)
{
    *p = (struct gnttab_copy_ptr){ .u.gmfn = pfn_to_mfn(pfn), .domid = DOMID_SELF,
                                   .offset = offset };
}

void gntmap_copy_op(gnttab_copy_t *op, const struct gnttab_copy_ptr *src, bool src_is_grant,
                    const struct gnttab_copy_ptr *dst, bool dst_is_grant, uint16_t len)
{
    *op = (gnttab_copy_t){
        .source = *src, .dest = *dst, .len = len,
        .flags = (src_is_grant ? GNTCOPY_source_gref : 0) |
                 (dst_is_grant ? GNTCOPY_dest_gref : 0),
    };
}

int gntmap_copy(gnttab_copy_t *ops, unsigned int n)
{
    int ok = 0;

    if (!ops || n > INT32_MAX)
        return -EINVAL;
    for (unsigned int i = 0; i < n; i += GNTMAP_BATCH) {
        unsigned int k = n - i < GNTMAP_BATCH ? n - i : GNTMAP_BATCH;

        for (unsigned int j = i; j < i + k; j++)
            ops[j].status = NOT_DONE;
        long rc = hypercall_grant_table_op(GNTTABOP_copy, &ops[i], k);
        st.hypercalls++;
        if (rc) {
            printk("gntmap: GNTTABOP_copy of %u entries failed: rc=%ld\n", k, rc);
            return (int)rc;
        }
        for (unsigned int j = i; j < i + k; j++) {
            st.copies++;
            if (ops[j].status == GNTST_okay) {
                ok++;
                continue;
            }
            st.copy_failures++;
            printk("gntmap: copy %u (%u bytes): GNTST_%s (%d)\n", j, ops[j].len,
                   gntmap_status_name(ops[j].status), ops[j].status);
        }
    }
    return ok;
}

void gntmap_get_stats(struct gntmap_stats *out)
{
    struct balloon_stats b;

    balloon_get_stats(&b);
    *out = st;
    out->pool_in_use = b.lent_pages;
    out->pool_free = b.ballooned_pages;
}
