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

static bool name_in_list(const char *list, const char *name)
{
    size_t n = strlen(name);

    while (*list) {
        const char *end = strchr(list, ',');
        size_t len = end ? (size_t)(end - list) : strlen(list);
        if (len == n && strncmp(list, name, n) == 0)
            return true;
        if (!end)
            break;
        list = end + 1;
    }
    return false;
}

static bool selected(const struct guest_test *t, const char *selection)
{
    if (name_in_list(selection, t->name))
        return true;
    return !(t->flags & TEST_OFF_BY_DEFAULT) && name_in_list(selection, "all");
}

/* Every name in the selection must exist, or the run is an ERROR. */
static bool selection_valid(const char *selection)
{
    char name[64];
    const char *p = selection;

    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool found = len == 3 && strncmp(p, "all", 3) == 0;

        if (len >= sizeof(name))
            len = sizeof(name) - 1;
        memcpy(name, p, len);
        name[len] = '\0';
        for (const struct guest_test *t = __start_guest_tests; !found && t < __stop_guest_tests; t++)
            found = strcmp(t->name, name) == 0;
        if (!found) {
            printk("tests: no test named '%s'\n", name);
            return false;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return true;
}

int run_guest_tests(const char *selection)
{
    static const char *const names[] = { "PASS", "FAIL", "SKIP" };
    unsigned passed = 0, failed = 0, skipped = 0;

    fatal_trap_hook = report_fatal;
    if (!selection_valid(selection)) {
        printk("Test result: ERROR\n");
        return EXIT_ERROR_STATUS;
    }
    for (const struct guest_test *t = __start_guest_tests; t < __stop_guest_tests; t++) {
        if (!selected(t, selection))
            continue;
        detail[0] = '\0';
        running = t;
        enum test_result r = t->fn();
        running = NULL;
        if (r > TEST_SKIP) {
            test_detail("test returned invalid result %d", r);
            r = TEST_FAIL;
        }
        printk("TEST %s: %s %s\n", t->name, names[r], detail);
        passed += r == TEST_PASS;
        failed += r == TEST_FAIL;
        skipped += r == TEST_SKIP;
    }
    printk("tests: %u passed, %u failed, %u skipped\n", passed, failed, skipped);
    if (failed) {
        printk("Test result: FAILURE\n");
        return EXIT_FAILURE_STATUS;
    }
    if (!passed && !skipped) {
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
 *   xenstore_test             the toolstack's xenstore round trip (xs_probe.c),
 *                             then wait like the default application
 */
int app_main(void)
{
    const char *tests = cmdline_get("tests");

    if (tests)
        return run_guest_tests(tests);
    if (cmdline_has("xenstore_test") && xenstore_available())
        xs_probe_start();
    return control_wait_for_toolstack();
}
