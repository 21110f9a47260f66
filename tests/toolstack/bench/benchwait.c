/*
 * benchwait: the dom0 stopwatch of the side-by-side benchmarks
 * (the checks in tests/toolstack/bench/).  It starts a command (xl create, xl
 * mem-set), then watches what dom0 can see of the guest every 5 ms, and
 * prints how long each step took, counted from just before the command
 * started:
 *
 *   benchwait boot LOG READY TIMEOUT -- xl create ...
 *       -> "create=<s> first=<s> ready=<s>": the command returned; LOG
 *          (xenconsoled's log of the guest) holds its first complete line;
 *          a line starting with READY is in it.
 *   benchwait mem DOMID TARGET_KB TOL_KB TIMEOUT -- xl mem-set ...
 *       -> "secs=<s> from_kb=<kb> tot_kb=<kb>": Xen's page count of the
 *          domain (tot_pages, what xl list shows) is within TOL_KB of
 *          TARGET_KB.
 *
 * Exit 0; 1 when the command failed; 3 on TIMEOUT (seconds); 4 when a
 * domain other than dom0 crashed or shut down meanwhile (the benchmarks
 * run one guest at a time).  The polling costs the guest a little CPU
 * (dom0 and the guest share QEMU's one CPU), the same for minnow and Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>

#define POLL_NS 5000000L
#define MAX_DOMS 64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pause_poll(void)
{
    struct timespec ts = { 0, POLL_NS };
    nanosleep(&ts, NULL);
}

static xc_interface *xch;

/* 1 when some domU has crashed or shut down. */
static int a_domu_ended(void)
{
    xc_domaininfo_t info[MAX_DOMS];
    int n = xc_domain_getinfolist(xch, 1, MAX_DOMS, info);
    for (int i = 0; i < n; i++)
        if (info[i].flags & (XEN_DOMINF_shutdown | XEN_DOMINF_dying)) {
            fprintf(stderr, "benchwait: domain %u %s (reason %u)\n", info[i].domain,
                    info[i].flags & XEN_DOMINF_dying ? "is dying" : "shut down",
                    (info[i].flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask);
            return 1;
        }
    return 0;
}

static int run(char **argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* What LOG holds so far: 1 = a complete line, 2 = a line starting with ready. */
static int log_state(const char *log, const char *ready)
{
    static char buf[1 << 20];
    int fd = open(log, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    size_t len = strlen(ready);
    int state = 0;
    for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        state = 1;
        if (!strncmp(line, ready, len))
            return 2;
    }
    return state;
}

static int boot(int argc, char **argv)
{
    const char *log = argv[0], *ready = argv[1];
    double timeout = atof(argv[2]), t0 = now_s(), first = -1;
    (void)argc;
    int rc = run(argv + 4);
    double created = now_s() - t0;
    if (rc) {
        printf("create=failed status=%d\n", rc);
        return 1;
    }
    for (;;) {
        int st = log_state(log, ready);
        double t = now_s() - t0;
        if (st >= 1 && first < 0)
            first = t;
        if (st == 2) {
            printf("create=%.3f first=%.3f ready=%.3f\n", created, first, t);
            return 0;
        }
        if (a_domu_ended()) {
            printf("create=%.3f first=%.3f ready=crashed\n", created, first);
            return 4;
        }
        if (t > timeout) {
            printf("create=%.3f first=%.3f ready=timeout\n", created, first);
            return 3;
        }
        pause_poll();
    }
}

static long tot_kb(unsigned domid)
{
    xc_domaininfo_t info;
    if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 || info.domain != domid)
        return -1;
    return (long)info.tot_pages * 4;
}

static int mem(int argc, char **argv)
{
    unsigned domid = atoi(argv[0]);
    long target = atol(argv[1]), tol = atol(argv[2]);
    double timeout = atof(argv[3]);
    (void)argc;
    long from = tot_kb(domid);
    double t0 = now_s();
    int rc = run(argv + 5);
    if (rc) {
        printf("secs=failed status=%d\n", rc);
        return 1;
    }
    for (;;) {
        long kb = tot_kb(domid);
        double t = now_s() - t0;
        if (kb >= 0 && labs(kb - target) <= tol) {
            printf("secs=%.3f from_kb=%ld tot_kb=%ld\n", t, from, kb);
            return 0;
        }
        if (kb < 0 || a_domu_ended()) {
            printf("secs=crashed from_kb=%ld tot_kb=%ld\n", from, kb);
            return 4;
        }
        if (t > timeout) {
            printf("secs=timeout from_kb=%ld tot_kb=%ld\n", from, kb);
            return 3;
        }
        pause_poll();
    }
}

int main(int argc, char **argv)
{
    xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        perror("benchwait: xc_interface_open");
        return 2;
    }
    if (argc >= 7 && !strcmp(argv[1], "boot") && !strcmp(argv[5], "--"))
        return boot(argc - 2, argv + 2);
    if (argc >= 9 && !strcmp(argv[1], "mem") && !strcmp(argv[6], "--"))
        return mem(argc - 2, argv + 2);
    fprintf(stderr, "usage: benchwait boot LOG READY TIMEOUT -- CMD...\n"
                    "       benchwait mem DOMID TARGET_KB TOL_KB TIMEOUT -- CMD...\n");
    return 2;
}
