/*
 * CRC-32 as zlib, gzip and busybox's crc32 compute it (reflected polynomial
 * 0xEDB88320, start and end inverted), with the byte count: dom0 checks a
 * stream with `crc32 < file` and `wc -c`, with nothing to install.
 */
#ifndef VCHAN_ECHO_CRC32_H
#define VCHAN_ECHO_CRC32_H

#include <stddef.h>
#include <stdint.h>

struct crc32 {
    uint32_t crc;       /* inverted while running */
    uint64_t len;
};

void crc32_init(struct crc32 *c);
void crc32_update(struct crc32 *c, const void *data, size_t len);
uint32_t crc32_value(const struct crc32 *c);

#endif
