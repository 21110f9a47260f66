/*
 * The kernel command line (start_info.cmd_line, or xl's `extra=`):
 * space-separated words, each `key` or `key=value`.  Values may be lists
 * separated by commas (tests=boot,traps) and sizes may carry K/M/G suffixes.
 */
#ifndef MINNOW_CMDLINE_H
#define MINNOW_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX      1024
#define CMDLINE_MAX_ARGS 64

/* Returns 0, or -E2BIG if the line had more words than fit (extra ones dropped). */
int cmdline_init(const char *line);
/* The value of key ("" for a bare key), or NULL if absent.  Last one wins. */
const char *cmdline_get(const char *key);
bool cmdline_has(const char *key);
/* key's value as a size (parse_size: "64M", "0x1000"): 0, -ENOENT (absent) or -EINVAL. */
int cmdline_get_size(const char *key, uint64_t *out);
/* key's value as a number (parse_u64: decimal or 0x hex): 0, -ENOENT or -EINVAL. */
int cmdline_get_u64(const char *key, uint64_t *out);
/*
 * Comma-separated values (tests=boot,traps).  cmdline_list_next walks
 * one: start with *list at the value; each call sets *item and *len to
 * the next item (not NUL-terminated; n commas make n + 1 items, so an
 * item may be empty) and returns true, until the list is used up.
 */
bool cmdline_list_next(const char **list, const char **item, size_t *len);
/* True if item is one of list's items (exactly, not a prefix). */
bool cmdline_list_contains(const char *list, const char *item);

#endif
