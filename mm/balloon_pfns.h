/*
 * The balloon's set of ballooned-out pfns (mm/balloon_set.c): a bitmap of
 * one page per 128 MiB chunk of pfn space that holds any.  Used by
 * mm/balloon_core.c only; others ask balloon_pfn_is_ballooned().
 */
#ifndef MINNOW_BALLOON_SET_H
#define MINNOW_BALLOON_SET_H

#include <minnow/balloon.h>

void balloon_set_reset(void);
/* Does pfn's chunk have its bitmap page? */
bool balloon_set_has_page(xen_pfn_t pfn);
/* page_pfn (a mapped frame of ours) becomes the bitmap of pfn's chunk. */
void balloon_set_give_page(xen_pfn_t pfn, xen_pfn_t page_pfn);
/* Free the bitmap page of pfn's chunk if the chunk is empty. */
void balloon_set_trim(xen_pfn_t pfn);
void balloon_set_add(xen_pfn_t pfn);            /* chunk page must exist */
void balloon_set_remove(xen_pfn_t pfn);
unsigned int balloon_set_collect(xen_pfn_t from, xen_pfn_t *out, unsigned int n);
uint64_t balloon_set_members(void);
uint64_t balloon_set_pages(void);

#endif
