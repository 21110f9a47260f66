/*
 * The page: 4 KiB, the only size a PV guest maps (Xen refuses its
 * superpages).  One definition for the guest and for the host builds of
 * mm/, whose frames, tables and bitmaps are all this size.
 */
#ifndef ARCH_PAGE_H
#define ARCH_PAGE_H

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)
#define PAGE_MASK       (~(PAGE_SIZE - 1))

#endif
