/*
 * blkfront: the PV block frontend (blkif protocol, <xen/io/blkif.h>).
 *
 *   minnow (frontend)                          dom0 (Linux blkback)
 *   device/vbd/<id>/ring-ref, event-channel,   backend/vbd/<us>/<id>/sectors,
 *                   protocol, state            sector-size, info, feature-*, state
 *
 *   one shared ring page (32 slots), granted to the backend:
 *   +----------------------------+
 *   | req_prod rsp_prod events   |   requests:  op, id, sector, segments[11]
 *   | slot 0 .. slot 31          |   responses: id, op, status
 *   +----------------------------+   (each slot holds a request or, later,
 *                                     the response to some request)
 *
 * Every request names up to BLKIF_MAX_SEGMENTS_PER_REQUEST pages by grant;
 * the pages are the driver's own bounce frames, granted for the request and
 * taken back when its response arrives, so callers may pass any buffer.
 *
 * Units: a "sector" here is always 512 bytes, as in the blkif wire format
 * (sector_number, first_sect/last_sect) and Linux blkback's "sectors" node.
 * minnow does not advertise feature-large-sector-size; a backend whose
 * logical sector-size is larger only gets I/O aligned to that size.
 *
 * Calls are synchronous for their caller and may come from several
 * threads at once; every error is -errno with a printed reason.
 * docs/blkfront.md has the handshake, the ring, errors and suspend/resume.
 */
#ifndef MINNOW_BLKFRONT_H
#define MINNOW_BLKFRONT_H

#include <stdbool.h>
#include <stdint.h>

#define BLKFRONT_SECTOR_SIZE 512u

struct blkfront_dev;

/* What the backend published (validated) when it connected. */
struct blkfront_info {
    uint64_t sectors;               /* capacity, 512-byte units */
    uint32_t sector_size;           /* logical: power of two, 512 .. 4096 */
    uint32_t physical_sector_size;  /* multiple of sector_size */
    uint32_t vdisk_info;            /* VDISK_CDROM | VDISK_REMOVABLE | VDISK_READONLY */
    bool readonly;                  /* VDISK_READONLY: writes give -EROFS */
    bool flush;                     /* feature-flush-cache */
    bool barrier;                   /* feature-barrier */
};

struct blkfront_stats {
    unsigned long requests;         /* ring requests issued */
    unsigned long responses;        /* responses consumed */
    unsigned long errors;           /* responses with a non-OKAY status */
    unsigned long notifies;         /* event-channel kicks to the backend */
    unsigned long events;           /* events from the backend */
    unsigned long held_grants;      /* grants the backend still mapped when they
                                       had to end (ended later; the device broke) */
    unsigned long reconnects;       /* after a restore */
};

/*
 * Probe and connect every device/vbd/<id> of this domain (boot wiring: one
 * call after xenstore_init()).  Devices that fail are reported and skipped;
 * returns the number connected, or -errno when none could be listed.
 * Calling it again connects only devices not yet connected.
 */
int blkfront_init(void);

/* Connect device/vbd/<id> (or return the already connected one). */
int blkfront_open(const char *id, struct blkfront_dev **out);
/* The first connected device, probing all of them if none is yet. */
int blkfront_first(struct blkfront_dev **out);
/* Closing -> backend Closed -> ring, grants and channel freed; dev is gone. */
int blkfront_close(struct blkfront_dev *dev);

const struct blkfront_info *blkfront_get_info(const struct blkfront_dev *dev);
const char *blkfront_name(const struct blkfront_dev *dev);     /* "vbd/51712" */
void blkfront_get_stats(const struct blkfront_dev *dev, struct blkfront_stats *out);

/*
 * Read or write nr_sectors 512-byte sectors starting at `sector`; buf is
 * any memory of nr_sectors * 512 bytes.  Returns 0, or:
 *   -EINVAL  range outside the disk, not aligned to sector_size, nr = 0
 *   -EROFS   write to a read-only disk
 *   -EIO     the backend answered BLKIF_RSP_ERROR / EOPNOTSUPP, or broke
 *            the protocol (the device is then marked broken)
 *   -ENOMEM  no frame for the bounce pages
 *   -ENODEV  the device is closed or broken
 * Nothing is issued when the arguments are refused.
 */
int blkfront_read(struct blkfront_dev *dev, uint64_t sector, uint32_t nr_sectors, void *buf);
int blkfront_write(struct blkfront_dev *dev, uint64_t sector, uint32_t nr_sectors,
                   const void *buf);
/*
 * Make completed writes durable: BLKIF_OP_FLUSH_DISKCACHE if the backend
 * offers feature-flush-cache, else a zero-length BLKIF_OP_WRITE_BARRIER if
 * it offers feature-barrier; -EOPNOTSUPP (nothing issued) if neither.
 */
int blkfront_flush(struct blkfront_dev *dev);

#endif
