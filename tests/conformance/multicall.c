/*
 * Conformance: __HYPERVISOR_multicall (public/xen.h multicall_entry;
 * xen/common/multicall.c:do_multicall(), the per-op dispatch in
 * xen/arch/x86/pv/hypercall.c:pv_do_multicall_call()).
 *
 * Every entry runs and gets its own result; a failing entry does not
 * stop the list; the multicall itself returns 0.
 */
#include "conformance.h"

/* Results land in the entries that produced them. */
GUEST_TEST(multicall_per_entry_results, 0)
{
    struct conf_mc mc = { .n = 0 };
    unsigned a = conf_mc_add(&mc, __HYPERVISOR_xen_version, XENVER_pagesize, 0, 0);
    unsigned b = conf_mc_add(&mc, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    long rc = hypercall_multicall(mc.e, mc.n);

    TEST_ASSERT(rc == 0, "multicall(2 entries) = %ld, expected 0", rc);
    TEST_ASSERT(mc.e[a].result == 4096, "entry 0 xen_version(pagesize) result %ld, expected 4096",
                (long)mc.e[a].result);
    TEST_ASSERT(mc.e[b].result == conf_xen_version(),
                "entry 1 xen_version(version) result %#lx, expected %#lx",
                (unsigned long)mc.e[b].result, conf_xen_version());
    return TEST_PASS;
}

/* A failing entry gets its error; the entries after it still run. */
GUEST_TEST(multicall_failing_entry, 0)
{
    struct conf_mc mc = { .n = 0 };
    struct conf_frame f;
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    conf_mc_add(&mc, __HYPERVISOR_xen_version, 0x7fff, 0, 0);
    conf_mc_add(&mc, __HYPERVISOR_mmuext_op, 0, 1, 0);    /* args set below */
    {
        static struct mmuext_op op;
        op.cmd = MMUEXT_CLEAR_PAGE;
        op.arg1.mfn = f.mfn;
        mc.e[1].args[0] = (unsigned long)&op;
        mc.e[1].args[3] = DOMID_SELF;
    }
    memset(f.va, 0xee, 64);
    rc = hypercall_multicall(mc.e, mc.n);
    TEST_ASSERT(rc == 0, "multicall = %ld, expected 0", rc);
    TEST_ASSERT((long)mc.e[0].result == -XEN_ENOSYS,
                "entry 0 xen_version(0x7fff) result %ld, expected -ENOSYS", (long)mc.e[0].result);
    TEST_ASSERT(mc.e[1].result == 0 && f.va[0] == 0 && f.va[63] == 0,
                "entry 1 mmuext_op(CLEAR_PAGE) after a failing entry: result %ld, page byte %#x, "
                "expected 0 and cleared", (long)mc.e[1].result, f.va[0]);
    conf_frame_put(&f);
    return TEST_PASS;
}

/* An unknown hypercall number in an entry: -ENOSYS in that entry. */
GUEST_TEST(multicall_unknown_op, 0)
{
    struct conf_mc mc = { .n = 0 };
    long rc;

    conf_mc_add(&mc, 63, 0, 0, 0);
    rc = hypercall_multicall(mc.e, mc.n);
    TEST_ASSERT(rc == 0 && (long)mc.e[0].result == -XEN_ENOSYS,
                "multicall([op 63]) = %ld, entry result %ld, expected 0 and -ENOSYS",
                rc, (long)mc.e[0].result);
    return TEST_PASS;
}

/* A multicall inside a multicall is refused ("Multicall reentry is
 * disallowed"): the inner entry's result is -EINVAL, its own entries
 * never run. */
GUEST_TEST(multicall_nesting_refused, 0)
{
    static struct conf_mc inner, outer;
    long rc;

    inner.n = outer.n = 0;
    conf_mc_add(&inner, __HYPERVISOR_xen_version, XENVER_pagesize, 0, 0);
    conf_mc_add(&outer, __HYPERVISOR_multicall, (unsigned long)inner.e, 1, 0);
    rc = hypercall_multicall(outer.e, outer.n);
    TEST_ASSERT(rc == 0 && (long)outer.e[0].result == -XEN_EINVAL,
                "multicall([multicall(1 entry)]) = %ld, entry result %ld, expected 0 and -EINVAL",
                rc, (long)outer.e[0].result);
    TEST_ASSERT(inner.e[0].result == 0x5a5a5a5a,
                "the nested list ran: its result is %#lx", (unsigned long)inner.e[0].result);
    return TEST_PASS;
}

/* An empty list: 0, nothing done. */
GUEST_TEST(multicall_empty, 0)
{
    multicall_entry_t e;
    long rc = hypercall_multicall(&e, 0);

    TEST_ASSERT(rc == 0, "multicall(list, 0) = %ld, expected 0", rc);
    return TEST_PASS;
}

/* A list Xen cannot read: -EFAULT for the whole call. */
GUEST_TEST(multicall_bad_list, 0)
{
    long rc = hypercall_multicall((multicall_entry_t *)HYPERVISOR_VIRT_START, 1);

    TEST_ASSERT(rc == -XEN_EFAULT, "multicall(%#lx, 1) = %ld, expected -EFAULT",
                (unsigned long)HYPERVISOR_VIRT_START, rc);
    return TEST_PASS;
}
