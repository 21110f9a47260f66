/*
 * In-guest tests, XTF style.
 *
 *   GUEST_TEST(timer_sleep, 0)
 *   {
 *       TEST_ASSERT(elapsed >= 10 * NSEC_PER_MSEC, "woke after %lu ns", elapsed);
 *       return TEST_PASS;
 *   }
 *
 * Tests are chosen on minnow's command line with `tests=a,b,c` or
 * `tests=all`.  Each prints one line `TEST <name>: PASS|SKIP|ERROR|FAIL <detail>`
 * and the run ends with `Test result: SUCCESS|FAILURE|ERROR|SKIP` and an
 * exit status the harness reads.  The words mean what they mean in XTF
 * (most severe first; the most severe one is the run's result):
 *
 *   Failure  a bug in the code under test: a TEST_ASSERT that did not hold,
 *            or a fatal trap or panic inside a test.
 *   Error    a bug in the test or its environment: tests= names no test,
 *            selects nothing, or a test returned TEST_ERROR (it could not
 *            set up what it tests: no frame to spare, a helper hypercall
 *            that must work failed).
 *   Skip     the machine lacks what the test tests (no xenstore as dom0,
 *            no vbd); the run is SKIP when every test skipped.
 *   Success  every test passed or skipped, and one passed at least.
 *
 * What a test needs of its run is declared in its GUEST_TEST line.  Tests
 * that need nothing make up `tests=all`; a test that needs something runs
 * only when named, by a run that provides it: a line of
 * tests/guest/runs.conf (its `provides` column), a toolstack check or a
 * scripts/bench-*.sh (their `# provides:` line).  scripts/check-runs-conf.sh
 * holds every run to this, and `make test` runs it.  The needs:
 *
 *   TEST_CRASHES
 *       the test ends the run in a fatal trap on purpose; its run
 *       (`provides crash`) names it alone and must end with its FAIL report.
 *   TEST_NEEDS("dom0-balloon-headroom")
 *       minnow as dom0 with room to balloon both ways: Xen's maximum
 *       reservation above the boot size (run-dom0.sh --dom0-max larger than
 *       --dom0-mem).  The test moves boot memory through the balloon,
 *       after which tests=all's boot-state checks would rightly fail.
 *   TEST_NEEDS("balloon-pool")
 *       the test maps grants, which borrows pfns from the balloon: it
 *       balloons boot memory out (and back in), after which tests=all's
 *       boot-state checks (p2m_matches_start_info) would rightly fail.
 *       Runs: dom0-gntmap (runs.conf), tests/toolstack/checks/gntmap.sh.
 *   TEST_NEEDS("disk")
 *       minnow as a domU with a disk served by Linux blkback.
 *   TEST_NEEDS("xl-save-restore")
 *       minnow as a domU with a disk, which the toolstack saves and
 *       restores while the test runs (it prints when to).
 *   TEST_NEEDS("xl-migrate-disk")
 *       minnow as a domU with a disk, which the toolstack live-migrates
 *       three times while the test runs (it prints when to); needs a Xen
 *       with shadow paging (run-toolstack.sh --xen shadow).
 *   TEST_NEEDS("block-detach")
 *       minnow as a domU with a disk, which the toolstack detaches (xl
 *       block-detach) while the test runs (it prints when to).
 *   TEST_NEEDS("xl-restore")
 *       minnow as a domU that the toolstack saves and restores each time
 *       a test prints `RESTORE NOW [xl-setting ...]`, restoring it with
 *       those settings added to its config (tests/guest/test_restore.c).
 *   TEST_NEEDS("domu")
 *       a conformance test (tests/conformance/) that needs minnow as a
 *       domU of the real toolstack (a peer, or Xen's rules for a domU):
 *       the check conformance_domu runs every such test.
 *   TEST_NEEDS("selftest")
 *       a self-test of the conformance runner that misbehaves on purpose
 *       (tests/conformance/selftest.c); only scripts/conformance.sh
 *       --selftest (make conformance SELFTEST=1) runs them.
 */
#ifndef MINNOW_TEST_H
#define MINNOW_TEST_H

#include <stdbool.h>
#include <minnow/frame.h>

/* In order of severity, least first; the run's result is its worst test's. */
enum test_result { TEST_PASS, TEST_SKIP, TEST_ERROR, TEST_FAIL };

#define TEST_NEEDS(need)  (need)
#define TEST_CRASHES      TEST_NEEDS("crash")

struct guest_test {
    const char *name;
    enum test_result (*fn)(void);
    const char *needs;          /* NULL: part of tests=all */
};

/* needs_ is 0 or one of the needs above. */
#define GUEST_TEST(name_, needs_)                                            \
    static enum test_result guest_test_fn_##name_(void);                     \
    static const struct guest_test guest_test_##name_                        \
        __attribute__((used, section("guest_tests"), aligned(8))) =         \
        { #name_, guest_test_fn_##name_, (needs_) };                         \
    static enum test_result guest_test_fn_##name_(void)

/* Record the detail text printed after PASS/FAIL/SKIP. */
void test_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TEST_ASSERT(cond, fmt, ...)                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            test_detail("%s:%d: %s: " fmt, __FILE__, __LINE__, #cond,        \
                        ##__VA_ARGS__);                                      \
            return TEST_FAIL;                                                \
        }                                                                    \
    } while (0)

/* The test itself could not run (not the code under test misbehaving). */
#define TEST_ERROR_IF(cond, fmt, ...)                                        \
    do {                                                                     \
        if (cond) {                                                          \
            test_detail("%s:%d: " fmt, __FILE__, __LINE__, ##__VA_ARGS__);   \
            return TEST_ERROR;                                               \
        }                                                                    \
    } while (0)

#define TEST_SKIP_IF(cond, fmt, ...)                                         \
    do {                                                                     \
        if (cond) {                                                          \
            test_detail(fmt, ##__VA_ARGS__);                                 \
            return TEST_SKIP;                                                \
        }                                                                    \
    } while (0)

/*
 * A test that needs memory of its own says how much: a small domain (xl's
 * smallest PV domU has 4 MiB, a stub domain's size) skips it, saying what
 * it needs and what is free, instead of failing.
 */
#define TEST_SKIP_UNLESS_FREE(frames, what)                                  \
    TEST_SKIP_IF(frame_free_count() < (frames),                              \
                 "needs %lu free frames (%s); %lu free",                     \
                 (unsigned long)(frames), what,                              \
                 (unsigned long)frame_free_count())

#endif
