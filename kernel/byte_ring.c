#include <errno.h>
#include <minnow/byte_ring.h>
#include <arch/barrier.h>

int byte_ring_used(const struct byte_ring *r)
{
    uint32_t used = *r->prod - *r->cons;     /* free-running: wraps correctly */
    return used > r->size ? -EIO : (int)used;
}

int byte_ring_write(const struct byte_ring *r, const void *data, size_t len)
{
    uint32_t cons = *r->cons, prod = *r->prod;
    uint32_t used = prod - cons;
    const char *src = data;
    size_t n = 0;

    smp_mb();                       /* read cons before writing the slots it freed */
    if (used > r->size)
        return -EIO;
    while (n < len && used + n < r->size) {
        r->buf[(prod + n) & (r->size - 1)] = src[n];
        n++;
    }
    smp_wmb();                      /* data before the index that publishes it */
    *r->prod = prod + n;
    return n;
}

int byte_ring_read(const struct byte_ring *r, void *data, size_t len)
{
    uint32_t prod = *r->prod, cons = *r->cons;
    uint32_t used = prod - cons;
    char *dst = data;
    size_t n = 0;

    smp_rmb();                      /* read prod before the data it covers */
    if (used > r->size)
        return -EIO;
    while (n < len && n < used) {
        dst[n] = r->buf[(cons + n) & (r->size - 1)];
        n++;
    }
    smp_mb();                       /* data read before we hand the slots back */
    *r->cons = cons + n;
    return n;
}
