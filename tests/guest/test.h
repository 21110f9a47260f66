/*
 * In-guest tests, XTF style.
 *
 *   GUEST_TEST(timer_sleep, 0)
 *   {
 *       TEST_ASSERT(elapsed >= 10 * NSEC_PER_MSEC, "woke after %lu ns", elapsed);
 *       return TEST_PASS;
 *   }
 *
 * Each test prints one line `TEST <name>: PASS|FAIL|SKIP <detail>`; the run
 * ends with `Test result: SUCCESS|FAILURE|ERROR|SKIP` and an exit status the
 * harness reads.  Tests are chosen with `tests=all` or `tests=a,b,c` on the
 * command line; tests flagged TEST_OFF_BY_DEFAULT (deliberate crashes) run
 * only when named.
 */
#ifndef MINNOW_TEST_H
#define MINNOW_TEST_H

#include <stdbool.h>

enum test_result { TEST_PASS, TEST_FAIL, TEST_SKIP };

#define TEST_OFF_BY_DEFAULT  (1u << 0)

struct guest_test {
    const char *name;
    enum test_result (*fn)(void);
    unsigned int flags;
};

#define GUEST_TEST(name_, flags_)                                            \
    static enum test_result guest_test_fn_##name_(void);                     \
    static const struct guest_test guest_test_##name_                        \
        __attribute__((used, section("guest_tests"), aligned(8))) =         \
        { #name_, guest_test_fn_##name_, (flags_) };                         \
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

#define TEST_SKIP_IF(cond, fmt, ...)                                         \
    do {                                                                     \
        if (cond) {                                                          \
            test_detail(fmt, ##__VA_ARGS__);                                 \
            return TEST_SKIP;                                                \
        }                                                                    \
    } while (0)

#endif
