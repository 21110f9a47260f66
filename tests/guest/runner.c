/*
 * The in-guest test runner: picks tests from the guest_tests section,
 * runs them in order, prints one TEST line each and an XTF-style summary.
 * A fatal trap or panic inside a test still produces the test's FAIL line
 * (with the trap's rip and cr2) and a FAILURE summary before the run ends.
 *
 * This file is build/minnow-test's application: its app_main() replaces
 * the default one of kernel/boot/app.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "test.h"
#include "xs_probe.h"
#include <minnow/app.h>
#include <minnow/cmdline.h>
#include <minnow/console.h>
#include <minnow/control.h>
#include <minnow/exit.h>
#include <minnow/xenstore.h>
#include <arch/traps.h>

extern const struct guest_test __start_guest_tests[], __stop_guest_tests[];

static char detail[400];
static const struct guest_test *running;

void test_detail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
}

static void report_fatal(const struct cpu_regs *regs, uint64_t cr2)
{
    if (!running)
        return;
    if (regs)
        printk("TEST %s: FAIL fatal trap %s rip=%#lx cr2=%#lx error_code=%#lx\n",
               running->name, trap_name(regs->vector), regs->rip, cr2, regs->error_code);
    else
        printk("TEST %s: FAIL panic\n", running->name);
    printk("Test result: FAILURE\n");
    running = NULL;
}

/* Named in tests=, or tests=all and the test needs nothing of its run. */
static bool selected(const struct guest_test *t, const char *list)
{
    return cmdline_list_contains(list, t->name) ||
           (!t->needs && cmdline_list_contains(list, "all"));
}

static bool test_exists(const char *name, size_t len)
{
    for (const struct guest_test *t = __start_guest_tests; t < __stop_guest_tests; t++)
        if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
            return true;
    return false;
}

/* Every name in tests= must be a test (or `all`), or the run is an ERROR. */
static bool selection_valid(const char *list)
{
    const char *name;
    size_t len;

    while (cmdline_list_next(&list, &name, &len)) {
        if (len == 0 && !list)
            break;                      /* a trailing comma names nothing */
        if (!(len == 3 && strncmp(name, "all", 3) == 0) && !test_exists(name, len)) {
            printk("tests: no test named '%.*s'\n", (int)len, name);
            return false;
        }
    }
    return true;
}

/*
 * tests=list: every test of the image in run order, one line each,
 * `TEST-LIST <name> <need>` (need `-` for none), for a harness that picks
 * tests by need or resumes a run after a crash (scripts/conformance.sh).
 */
static int list_guest_tests(void)
{
    unsigned n = 0;

    for (const struct guest_test *t = __start_guest_tests; t < __stop_guest_tests; t++, n++)
        printk("TEST-LIST %s %s\n", t->name, t->needs ? t->needs : "-");
    printk("tests: %u listed\n", n);
    printk("Test result: SUCCESS\n");
    return EXIT_SUCCESS_STATUS;
}

/*
 * tests_after=NAME: run only the selected tests that come after NAME, which
 * must be a test: how a harness goes on in a fresh boot after NAME ended
 * the last one.  Returns the first test to consider, or NULL on a bad name.
 */
static const struct guest_test *first_test(void)
{
    const char *after = cmdline_get("tests_after");

    if (!after)
        return __start_guest_tests;
    for (const struct guest_test *t = __start_guest_tests; t < __stop_guest_tests; t++)
        if (strcmp(t->name, after) == 0)
            return t + 1;
    printk("tests: tests_after names no test: '%s'\n", after);
    return NULL;
}

/* Run the tests selected by tests=; returns the exit status. */
static int run_guest_tests(void)
{
    static const char *const names[] = {
        [TEST_PASS] = "PASS", [TEST_SKIP] = "SKIP",
        [TEST_ERROR] = "ERROR", [TEST_FAIL] = "FAIL",
    };
    unsigned passed = 0, failed = 0, skipped = 0, errors = 0;

    const char *list = cmdline_get("tests");

    const struct guest_test *first = first_test();

    fatal_trap_hook = report_fatal;
    if (!first || !selection_valid(list)) {
        printk("Test result: ERROR\n");
        return EXIT_ERROR_STATUS;
    }
    for (const struct guest_test *t = first; t < __stop_guest_tests; t++) {
        if (!selected(t, list))
            continue;
        detail[0] = '\0';
        running = t;
        enum test_result r = t->fn();
        running = NULL;
        if (r > TEST_FAIL) {
            test_detail("test returned invalid result %d", r);
            r = TEST_FAIL;
        }
        printk("TEST %s: %s %s\n", t->name, names[r], detail);
        passed += r == TEST_PASS;
        failed += r == TEST_FAIL;
        skipped += r == TEST_SKIP;
        errors += r == TEST_ERROR;
    }
    printk("tests: %u passed, %u failed, %u skipped, %u errors\n",
           passed, failed, skipped, errors);
    if (failed) {
        printk("Test result: FAILURE\n");
        return EXIT_FAILURE_STATUS;
    }
    if (errors || (!passed && !skipped)) {
        printk("Test result: ERROR\n");
        return EXIT_ERROR_STATUS;
    }
    if (!passed) {
        printk("Test result: SKIP\n");
        return EXIT_SKIP_STATUS;
    }
    printk("Test result: SUCCESS\n");
    return EXIT_SUCCESS_STATUS;
}

/*
 *   tests=a,b,c | tests=all   run those tests, exit with their status
 *     tests_after=NAME        ... only those after NAME (a resumed run)
 *   tests=list                list the image's tests and their needs
 *   xenstore_test             the toolstack's xenstore round trip (xs_probe.c),
 *                             then wait like the default application
 */
int app_main(void)
{
    const char *tests = cmdline_get("tests");

    if (tests && strcmp(tests, "list") == 0)
        return list_guest_tests();
    if (tests)
        return run_guest_tests();
    if (cmdline_has("xenstore_test") && xenstore_available())
        xs_probe_start();
    return control_wait_for_toolstack();
}
