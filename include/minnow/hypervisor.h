/*
 * What minnow knows about the hypervisor and its own domain, captured once
 * at boot.  start_info is copied because Xen's page sits in the bootstrap
 * area that boot later reuses, and because a restore rewrites it (with flags
 * cleared): the SIF flags seen at first boot are cached here for good.
 */
#ifndef MINNOW_HYPERVISOR_H
#define MINNOW_HYPERVISOR_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <xen/features.h>

extern start_info_t boot_info;          /* copy of Xen's start_info */
extern start_info_t *xen_start_info;    /* Xen's own page (its mfn matters for suspend) */
extern uint32_t boot_sif_flags;         /* SIF_* as seen at first boot */
extern shared_info_t *shared_info;      /* mapped at boot */

static inline bool is_initial_domain(void)
{
    return boot_sif_flags & SIF_INITDOMAIN;
}

static inline struct vcpu_info *this_vcpu(void)
{
    return &shared_info->vcpu_info[0];
}

/* XENVER_get_features, read once at boot. */
bool xen_feature(unsigned int feature);
void xen_features_init(void);

#endif
