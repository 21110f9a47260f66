/*
 * vchan-serve: a dom0 vchan server on Xen's libxenvchan, for the
 * vchan_client check (minnow as the client maps these pages).  Like
 * `vchan-socket-proxy -m server ... -`, but the ring sizes are chosen:
 * the proxy asks libxenvchan for its smallest rings, which live inside
 * the shared page, so a client would map one page only.
 *
 *   vchan-serve <client-domid> <xenstore-path> <ring-bytes>
 *
 * Publishes <path>/ring-ref and <path>/event-channel, waits for the
 * client, then copies stdin to the vchan and the vchan to stdout.  At the
 * end of stdin it closes the vchan (libxenvchan removes <path>) and exits
 * 0; when the client closes first, it exits 0 after the last byte.
 * Counts go to stderr.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libxenvchan.h>

static char in[65536], out[65536];

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s <client-domid> <xenstore-path> <ring-bytes>\n", argv[0]);
        return 2;
    }
    int domid = atoi(argv[1]);
    size_t ring = strtoul(argv[3], NULL, 0);
    struct libxenvchan *v = libxenvchan_server_init(NULL, domid, argv[2], ring, ring);
    if (!v) {
        perror("vchan-serve: libxenvchan_server_init");
        return 1;
    }
    fprintf(stderr, "vchan-serve: serving dom %d at %s, rings of %zu bytes\n", domid, argv[2],
            ring);
    while (libxenvchan_is_open(v) != 1)         /* cli_live: 2 until the client is there */
        if (libxenvchan_wait(v) < 0) {
            perror("vchan-serve: libxenvchan_wait");
            return 1;
        }
    fprintf(stderr, "vchan-serve: client connected\n");
    v->blocking = 0;

    size_t in_len = 0, in_pos = 0;
    unsigned long long sent = 0, received = 0;
    int stdin_open = 1, why_ok = 1;
    const char *why = "end of input";

    for (;;) {
        int n;
        while ((n = libxenvchan_read(v, out, sizeof(out))) > 0) {
            if (write_all(1, out, n)) {
                why = "stdout failed", why_ok = 0;
                goto done;
            }
            received += n;
        }
        if (n < 0) {
            why = "the client closed";
            break;
        }
        if (in_pos < in_len) {
            n = libxenvchan_write(v, in + in_pos, in_len - in_pos);
            if (n < 0) {
                why = "the client closed while we wrote", why_ok = 0;
                break;
            }
            in_pos += n;
            sent += n;
        }
        if (!stdin_open && in_pos == in_len)
            break;

        /* Sleep until an event, or input once the last is in the ring. */
        struct pollfd fds[2] = {
            { .fd = libxenvchan_fd_for_select(v), .events = POLLIN },
            { .fd = 0, .events = POLLIN },
        };
        int nfds = stdin_open && in_pos == in_len ? 2 : 1;
        if (poll(fds, nfds, 1000) < 0 && errno != EINTR) {
            perror("vchan-serve: poll");
            why_ok = 0;
            break;
        }
        if (fds[0].revents & POLLIN)
            libxenvchan_wait(v);                /* takes the event, unmasks the port */
        if (nfds == 2 && fds[1].revents & (POLLIN | POLLHUP)) {
            ssize_t r = read(0, in, sizeof(in));
            if (r <= 0)
                stdin_open = 0;
            else
                in_len = (size_t)r, in_pos = 0;
        }
    }
done:
    fprintf(stderr, "vchan-serve: %s; sent %llu bytes, received %llu\n", why, sent, received);
    libxenvchan_close(v);
    return why_ok ? 0 : 1;
}
