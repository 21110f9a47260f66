/*
 * What Xen handed over at entry (include/minnow/hypervisor.h): the
 * start_info page, a copy of it as it was at boot, the shared_info
 * mapping, and the feature bits Xen advertises.
 */
#include <minnow/console.h>
#include <minnow/hypervisor.h>
#include <arch/hypercall.h>

start_info_t *start_info;
start_info_t boot_start_info;
shared_info_t *shared_info;

static uint32_t features[XENFEAT_NR_SUBMAPS];

void start_info_capture(start_info_t *si)
{
    start_info = si;
    boot_start_info = *si;
    boot_start_info.cmd_line[MAX_GUEST_CMDLINE - 1] = '\0';
}

bool xen_feature(unsigned int f)
{
    return f < XENFEAT_NR_SUBMAPS * 32 && (features[f / 32] >> (f % 32)) & 1;
}

/* PV equivalent of cpuid's feature leaves. */
void xen_features_init(void)
{
    for (unsigned i = 0; i < XENFEAT_NR_SUBMAPS; i++) {
        xen_feature_info_t fi = { .submap_idx = i };
        long rc = hypercall_xen_version(XENVER_get_features, &fi);
        if (rc) {
            printk("XENVER_get_features(%u) failed: rc=%ld\n", i, rc);
            continue;
        }
        features[i] = fi.submap;
    }
}
