/*
 * Memory barriers: the one definition for all of minnow.  Host builds of
 * mm/ and kernel/byte_ring.c include this file too (the host is x86_64).
 *
 * x86 is TSO: a CPU's stores reach the other CPUs in program order, and
 * its loads are not reordered with other loads nor with later stores.
 * The one reordering the hardware does is a load passing an earlier store
 * to another address (the store still waits in the store buffer).  So,
 * against another CPU or another domain:
 *
 *   order needed             use          x86 code
 *   store -> store           smp_wmb()    none: stops the compiler only
 *   load  -> load            smp_rmb()    none: stops the compiler only
 *   store -> load, or all    smp_mb()     mfence
 *   none (the compiler)      barrier()    none
 *
 * These are Linux's names for ordering between CPUs.  Linux's plain wmb()
 * and rmb() also order device DMA and non-temporal stores (sfence, lfence);
 * a PV guest has neither, so they do not exist here.
 *
 * Who needs what:
 *   - The p2m's publication to the toolstack (mm/p2m.c, mm/p2m_publish.c):
 *     a page is complete before the entry that names it, p2m_generation
 *     is odd before the mappings change and even after, p2m_cr3 is
 *     written last.  All store -> store: smp_wmb().  libxenguest reads
 *     from another CPU and orders its own loads.
 *   - Rings shared with another domain: the data before the producer
 *     index that publishes it (smp_wmb), the index before the data it
 *     covers (smp_rmb); reading an index and then writing the slots it
 *     frees (load -> store) takes smp_mb() in kernel/byte_ring.c, as
 *     Linux's xenstore ring does: TSO keeps that order, but no lighter
 *     name says it.  <xen/io/ring.h> (blkfront) asks for xen_mb(),
 *     xen_rmb() and xen_wmb(): defined below; its xen_mb() is the store
 *     -> load of "publish the index, then read the peer's event
 *     threshold".
 *   - Data Xen rewrites under a version counter (vcpu_time_info, the wall
 *     clock; kernel/time.c): load -> load, smp_rmb().
 *   - vcpu_info's event mask, which Xen reads on this vCPU between two
 *     instructions (kernel/events.c): only the compiler can reorder
 *     around it, barrier().
 */
#ifndef ARCH_BARRIER_H
#define ARCH_BARRIER_H

#define barrier()   __asm__ __volatile__("" ::: "memory")
#define smp_wmb()   barrier()
#define smp_rmb()   barrier()
#define smp_mb()    __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* What <xen/io/ring.h> leaves to the guest (interface >= 3.2.8). */
#define xen_mb()    smp_mb()
#define xen_rmb()   smp_rmb()
#define xen_wmb()   smp_wmb()

#endif
