/*
 * The balloon driver (include/minnow/balloon_worker.h draws it; the
 * accounting is mm/balloon.c, the picture of the pfn space docs/balloon.md).
 *
 * The worker moves one batch at a time (yielding in between, so the rest
 * of minnow keeps running), and when Xen or the allocator says no it
 * retries after a backoff that doubles from 50 ms to 5 s; a new target
 * cuts the wait short.  It reports each time it settles: at the target, or
 * blocked (with the reason), whenever that differs from the last report.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/memory.h>
#include <arch/hypercall.h>
#include <arch/layout.h>
#include <minnow/balloon.h>
#include <minnow/balloon_worker.h>
#include <minnow/cmdline.h>
#include <minnow/console.h>
#include <minnow/hypervisor.h>
#include <minnow/p2m.h>
#include <minnow/sched.h>
#include <minnow/suspend.h>
#include <minnow/time.h>
#include <minnow/xenstore.h>

#define BACKOFF_MIN_MS  50
#define BACKOFF_MAX_MS  5000
#define WAIT_POLL_MS    5

static struct thread *worker;
static bool kicked;             /* a new target (or a resume) since the worker looked */
static volatile bool suspended;          /* held still while the domain suspends */
static struct suspend_hooks balloon_hooks;
static bool settled;            /* the worker stopped after the last kick */
static long settled_rc;         /* 0 at the target, -errno when blocked */
static struct { uint64_t current, target; enum balloon_block block; } last_report;
static bool reported_once;
static bool dump_p2m;           /* balloon_p2m_dump: p2m_dump() after each report */
static bool trace;              /* balloon_trace: timestamped lines for pictures */
static unsigned long nr_dumps;

/* ---- reporting ---------------------------------------------------------------- */

/*
 * balloon_trace: machine-readable lines for scripts/pictures.py, each with
 * the guest's monotonic time in microseconds:
 *   BALLOON-TARGET t_us=T target_kb=K             a new target
 *   BALLOON-BATCH t_us=T pages=N current_kb=K calls=C   one batch done
 *                                                 (C: reservation hypercalls so far)
 *   BALLOON-SETTLED t_us=T current_kb=K target_kb=K state=S
 *   BALLOONED <first>-<last>                      the balloon's pfns, in runs
 * and after each settle the p2m in runs (p2m_dump_runs(): P2MR/P2MT lines).
 */
static stime_t trace_us(void)
{
    return monotonic_ns() / NSEC_PER_USEC;
}

static void trace_settled(const struct balloon_stats *st, const char *state)
{
    xen_pfn_t first = balloon_next_ballooned(0), last = first;

    printk("BALLOON-SETTLED t_us=%lu current_kb=%lu target_kb=%lu state=%s\n",
           (unsigned long)trace_us(), (unsigned long)st->current_pages * 4,
           (unsigned long)st->target_pages * 4, state);
    while (first != NO_FRAME) {
        xen_pfn_t next = balloon_next_ballooned(last + 1);
        if (next != last + 1) {
            printk("BALLOONED %lx-%lx\n", (unsigned long)first, (unsigned long)last);
            first = next;
        }
        last = next;
    }
    p2m_dump_runs();
}

static void xs_put(const char *key, uint64_t value)
{
    char path[64], text[24];
    int rc;

    snprintf(path, sizeof(path), "data/balloon/%s", key);
    snprintf(text, sizeof(text), "%lu", (unsigned long)value);
    rc = xs_write(XS_NO_TX, path, text);
    if (rc)
        printk("balloon: cannot write %s: rc %d\n", path, rc);
}

static void report(long rc, uint64_t moved, stime_t took)
{
    struct balloon_stats st;
    const char *state;

    balloon_get_stats(&st);
    state = rc == 0 ? "reached" : balloon_block_name(st.block);
    if (reported_once && last_report.current == st.current_pages &&
        last_report.target == st.target_pages && last_report.block == st.block)
        return;
    reported_once = true;
    last_report.current = st.current_pages;
    last_report.target = st.target_pages;
    last_report.block = st.block;

    printk("balloon: current_kb=%lu target_kb=%lu low_kb=%lu high_kb=%lu "
           "ballooned_kb=%lu min_kb=%lu max_kb=%lu top_pfn=%#lx state=%s "
           "moved=%lu ms=%lu calls=%lu\n",
           (unsigned long)st.current_pages * 4, (unsigned long)st.target_pages * 4,
           (unsigned long)st.low_pages * 4, (unsigned long)st.high_pages * 4,
           (unsigned long)st.ballooned_pages * 4, (unsigned long)st.min_pages * 4,
           (unsigned long)st.max_pages * 4, (unsigned long)st.top_pfn, state,
           (unsigned long)moved, (unsigned long)(took / NSEC_PER_MSEC),
           (unsigned long)(st.down_calls + st.up_calls));
    if (dump_p2m) {
        /* The toolstack compares this with xen-mfndump dump-p2m: the worker
         * is the only one changing the p2m, and it is here. */
        printk("balloon: p2m dump %lu at current_kb=%lu\n", ++nr_dumps,
               (unsigned long)st.current_pages * 4);
        p2m_dump();
    }
    if (trace)
        trace_settled(&st, state);
    if (!xenstore_available())
        return;
    xs_put("current_kb", st.current_pages * 4);
    xs_put("target_kb", st.target_pages * 4);
    xs_put("low_kb", st.low_pages * 4);
    xs_put("high_kb", st.high_pages * 4);
    xs_put("ballooned_kb", st.ballooned_pages * 4);
    xs_put("min_kb", st.min_pages * 4);
    xs_put("max_kb", st.max_pages * 4);
    /* Last: a reader that sees the state sees the numbers above it. */
    if (xs_write(XS_NO_TX, "data/balloon/state", state))
        printk("balloon: cannot write data/balloon/state\n");
}

/* ---- the worker ----------------------------------------------------------------- */

static void balloon_worker(void *arg)
{
    uint64_t backoff = BACKOFF_MIN_MS, moved = 0;
    stime_t start = monotonic_ns();

    (void)arg;
    for (;;) {
        struct balloon_stats st;
        long rc;

        wait_until(!suspended);     /* no batch while the domain suspends */
        balloon_get_stats(&st);
        rc = balloon_step(st.batch);
        if (rc > 0) {
            if (trace) {
                balloon_get_stats(&st);
                printk("BALLOON-BATCH t_us=%lu pages=%ld current_kb=%lu calls=%lu\n",
                       (unsigned long)trace_us(), rc, (unsigned long)st.current_pages * 4,
                       (unsigned long)(st.down_calls + st.up_calls));
            }
            moved += rc;
            backoff = BACKOFF_MIN_MS;
            thread_yield();         /* one batch at a time: others run too */
            continue;
        }
        report(rc, moved, monotonic_ns() - start);
        settled_rc = rc;
        settled = true;
        if (rc == 0) {
            wait_until(kicked);
            backoff = BACKOFF_MIN_MS;
        } else {
            /* Xen or the allocator said no: try again later, or at once
             * when someone sets a new target. */
            sleep_ns(backoff * NSEC_PER_MSEC);
            backoff = kicked ? BACKOFF_MIN_MS
                             : (backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2);
        }
        kicked = false;
        moved = 0;
        start = monotonic_ns();
    }
}

static void kick(void)
{
    kicked = true;
    settled = false;
    if (worker)
        thread_wake(worker);
}

uint64_t balloon_worker_set_target(uint64_t pages)
{
    uint64_t t;

    if (!balloon_ready())
        return 0;
    t = balloon_set_target(pages);
    printk("balloon: target_kb=%lu (asked %lu KiB)\n", (unsigned long)t * 4,
           (unsigned long)pages * 4);
    if (trace)
        printk("BALLOON-TARGET t_us=%lu target_kb=%lu\n", (unsigned long)trace_us(),
               (unsigned long)t * 4);
    kick();
    return t;
}

int balloon_worker_wait(uint64_t timeout_ms)
{
    stime_t deadline = monotonic_ns() + timeout_ms * NSEC_PER_MSEC;

    if (!balloon_ready())
        return -ENODEV;
    while (!settled) {
        if (monotonic_ns() >= deadline)
            return -ETIMEDOUT;
        msleep(WAIT_POLL_MS);
    }
    return settled_rc ? -EAGAIN : 0;
}

/* ---- target sources ---------------------------------------------------------- */

/* xenstore's memory/static-max (xl's maxmem) in pages; 0 when unset. */
static uint64_t read_static_max_pages(void)
{
    uint64_t kib;

    return xs_read_u64(XS_NO_TX, "memory/static-max", &kib) == 0 ? kib / 4 : 0;
}

/* memory/target changed (xl mem-set), or the watch was just registered. */
static void target_watch(const char *path, void *data)
{
    uint64_t kib;
    int rc = xs_read_u64(XS_NO_TX, "memory/target", &kib);

    (void)path;
    (void)data;
    if (rc == -ENOENT)
        return;
    if (rc) {
        printk("balloon: cannot read memory/target: rc %d\n", rc);
        return;
    }
    uint64_t max = read_static_max_pages();
    if (max)
        balloon_set_static_max(max);
    balloon_worker_set_target(kib / 4);
}

static unsigned int cmdline_uint(const char *key, unsigned int dflt)
{
    uint64_t n;
    int rc = cmdline_get_u64(key, &n);

    if (rc == -ENOENT)
        return dflt;
    if (rc || n > 1000000) {
        printk("balloon: bad %s=%s; using %u\n", key, cmdline_get(key), dflt);
        return dflt;
    }
    return n;
}

int balloon_worker_start(const struct balloon_worker_config *boot)
{
    struct balloon_config cfg = { 0 };
    struct balloon_stats st;
    uint64_t bytes;
    int rc;

    if (balloon_ready())
        return 0;
    if (cmdline_get("balloon") && strcmp(cmdline_get("balloon"), "off") == 0) {
        printk("balloon: off (command line)\n");
        return -ENODEV;
    }
    /* Fresh pfns stay below the frame allocator's limit, inside the map
     * RAM above what Xen populated (the rest of that space is 1:1). */
    cfg.pfn_limit = boot->pfn_limit;
    cfg.ram = boot->ram;
    cfg.nr_ram = boot->nr_ram;
    cfg.batch = cmdline_uint("balloon_batch", BALLOON_DEFAULT_BATCH);
    /* Xen does not scrub what a guest gives back: our data would stay in
     * free machine memory.  Scrub unless told not to (Linux's default). */
    cfg.scrub = cmdline_uint("balloon_scrub", 1) != 0;
    dump_p2m = cmdline_has("balloon_p2m_dump");
    trace = cmdline_has("balloon_trace");
    if (cmdline_get_size("balloon_min", &bytes) == 0)
        cfg.min_pages = bytes >> PAGE_SHIFT;
    if (xenstore_available())
        cfg.static_max_pages = read_static_max_pages();
    /* Pages the E820 code gave back at boot: refilled (at fresh pfns) unless
     * a target says otherwise, so the domain keeps the memory it was given. */
    if (boot->released_pages)
        balloon_note_released(boot->released_pages);
    rc = balloon_init(&cfg);
    if (rc) {
        printk("balloon: cannot start: rc %d\n", rc);
        return rc;
    }
    balloon_get_stats(&st);
    printk("balloon: ready: current_kb=%lu min_kb=%lu max_kb=%lu released_kb=%lu "
           "batch=%u scrub=%s pfn space below %#lx\n",
           (unsigned long)st.current_pages * 4, (unsigned long)st.min_pages * 4,
           (unsigned long)st.max_pages * 4, (unsigned long)st.released_at_boot * 4,
           st.batch, st.scrub ? "on" : "off", (unsigned long)cfg.pfn_limit);

    worker = thread_create("balloon", balloon_worker, NULL);
    if (!worker) {
        printk("balloon: cannot create the worker thread\n");
        return -ENOMEM;
    }
    suspend_register(&balloon_hooks);
    if (cmdline_get_size("balloon_target", &bytes) == 0)
        balloon_worker_set_target(bytes >> PAGE_SHIFT);
    else if (cmdline_get("balloon_target"))
        printk("balloon: bad balloon_target=%s\n", cmdline_get("balloon_target"));
    if (xenstore_available()) {
        rc = xs_watch("memory/target", target_watch, NULL);
        if (rc)
            printk("balloon: cannot watch memory/target: rc %d\n", rc);
    }
    return 0;
}

/*
 * Suspend: the worker is between batches whenever another thread runs (it
 * only yields there), so holding it at the top of its loop is enough.
 * Resume: every mfn is new but the pfns are not, and the balloon keeps no
 * mfn, so it only re-reads the reservation (xenstore re-fires the target
 * watch when it registers it again).
 */
static int balloon_suspend_hook(void)
{
    suspended = true;
    return 0;
}

static void balloon_resume_hook(bool cancelled)
{
    suspended = false;
    balloon_resync();           /* prints its failure; the worker goes on */
    kick();
}

static struct suspend_hooks balloon_hooks = {
    .name = "balloon",
    .suspend = balloon_suspend_hook,
    .resume = balloon_resume_hook,
};
