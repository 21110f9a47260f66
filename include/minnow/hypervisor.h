/*
 * What Xen hands a PV guest at entry, kept in one place (part of the arch
 * interface; arch/x86_64/hypervisor.c holds it).
 *
 *   start_info        Xen's start_info page, as it is now.  A restore
 *                     rewrites it (new store/console mfns, flags cleared),
 *                     and suspend hands its mfn back to Xen.
 *   boot_start_info   a copy taken at first entry, before anything could
 *                     overwrite it: the SIF_* flags and nr_pages minnow
 *                     booted with (cmd_line NUL-terminated).
 *   shared_info       Xen's shared page (event bitmaps, vCPU time, the
 *                     published p2m), mapped by start_kernel().
 */
#ifndef MINNOW_HYPERVISOR_H
#define MINNOW_HYPERVISOR_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <xen/features.h>

extern start_info_t *start_info;
extern start_info_t boot_start_info;
extern shared_info_t *shared_info;

/* Called once from start_kernel() with the page Xen passed in rsi. */
void start_info_capture(start_info_t *si);

static inline bool is_initial_domain(void)
{
    return boot_start_info.flags & SIF_INITDOMAIN;
}

static inline struct vcpu_info *this_vcpu(void)
{
    return &shared_info->vcpu_info[0];
}

/* XENVER_get_features, read once at boot. */
bool xen_feature(unsigned int feature);
void xen_features_init(void);

#endif
