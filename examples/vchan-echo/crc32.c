#include "crc32.h"

static uint32_t table[256];

void crc32_init(struct crc32 *c)
{
    if (!table[1]) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t r = i;
            for (int bit = 0; bit < 8; bit++)
                r = (r & 1) ? (r >> 1) ^ 0xEDB88320u : r >> 1;
            table[i] = r;
        }
    }
    *c = (struct crc32){ ~0u, 0 };
}

void crc32_update(struct crc32 *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t crc = c->crc;

    for (size_t i = 0; i < len; i++)
        crc = (crc >> 8) ^ table[(crc ^ p[i]) & 0xff];
    c->crc = crc;
    c->len += len;
}

uint32_t crc32_value(const struct crc32 *c)
{
    return ~c->crc;
}
