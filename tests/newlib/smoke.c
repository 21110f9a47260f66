/*
 * Smoke test of minnow's newlib build (mk/newlib.mk, scripts/build-newlib.sh).
 *
 * Compiled with the guest's own flags (GUEST_CFLAGS: -mgeneral-regs-only,
 * -Werror, ...) against the installed newlib headers, linked -nostdlib with
 * libc.a, and run on the build host: tests/newlib/smoke-sys.c supplies the
 * few syscalls through Linux and a fixed-size sbrk arena.  It checks what
 * the kernel relies on and what configure options decide:
 *
 *   - printf of 64-bit values (%llx %lu %zu %jd %td %hhd, needs
 *     --enable-newlib-io-long-long and --enable-newlib-io-c99-formats),
 *     snprintf truncation, printf to stdout and its return value;
 *   - malloc/free/calloc/realloc: alignment, contents, reuse of freed
 *     memory, NULL + ENOMEM when sbrk runs dry;
 *   - strtoul (bases, end pointer, ERANGE through errno), qsort.
 *
 * Prints one line per failed check and a summary; exit status 0 only if
 * every check passed.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* From smoke-sys.c: how far sbrk has moved, and the arena's size. */
size_t smoke_heap_used(void);
size_t smoke_heap_size(void);

static unsigned checks, failures;

static void check(int ok, const char *what, const char *detail)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL %s: %s\n", what, detail);
    }
}

static void check_str(const char *what, const char *got, const char *want)
{
    char detail[256];

    snprintf(detail, sizeof(detail), "got \"%s\", want \"%s\"", got, want);
    check(strcmp(got, want) == 0, what, detail);
}

#define CHECK_FORMAT(want, ...)                                     \
    do {                                                            \
        char buf_[128];                                             \
        snprintf(buf_, sizeof(buf_), __VA_ARGS__);                  \
        check_str(#__VA_ARGS__, buf_, want);                        \
    } while (0)

static void test_formats(void)
{
    CHECK_FORMAT("123456789abcdef0", "%llx", 0x123456789abcdef0ULL);
    CHECK_FORMAT("FFFFFFFFFFFFFFFF", "%llX", ~0ULL);
    CHECK_FORMAT("-9223372036854775808", "%lld", LLONG_MIN);
    CHECK_FORMAT("18446744073709551615", "%lu", ULONG_MAX);
    CHECK_FORMAT("18446744073709551615", "%zu", SIZE_MAX);
    CHECK_FORMAT("-9223372036854775808", "%jd", INTMAX_MIN);
    CHECK_FORMAT("18446744073709551615", "%ju", UINTMAX_MAX);
    CHECK_FORMAT("-5", "%td", (ptrdiff_t)-5);
    CHECK_FORMAT("-1 255", "%hhd %hhu", 255, 255);
    CHECK_FORMAT("ffffffffffffffff", "%" PRIx64, UINT64_MAX);
    CHECK_FORMAT("0x00000000deadbeef", "%#018" PRIx64, (uint64_t)0xdeadbeef);
    CHECK_FORMAT("0xffffa00000000000", "%p", (void *)0xffffa00000000000UL);
    CHECK_FORMAT("[  007][ab    ][%]", "[%5.3d][%-6s][%%]", 7, "ab");
    CHECK_FORMAT("mfn 0x3ffdf pfn 4096", "mfn %#lx pfn %u", 0x3ffdfUL, 4096u);

    /* Truncation: the full length comes back, the buffer stays terminated. */
    char small[8];
    int n = snprintf(small, sizeof(small), "%s", "0123456789");
    check(n == 10, "snprintf return on truncation", "not 10");
    check_str("snprintf truncation", small, "0123456");

    /* stdout goes through write(1, ...) in smoke-sys.c. */
    const char *line = "newlib smoke: printf to stdout 1099511627776\n";
    n = printf("newlib smoke: printf %s %llu\n", "to stdout", 1ULL << 40);
    check(n == (int)strlen(line), "printf return value", "not the length");
}

/* A cheap deterministic pseudo-random sequence (64-bit LCG, top bits). */
static uint64_t lcg_state = 0x2545f4914f6cdd1dULL;
static uint32_t next_random(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(lcg_state >> 33);
}

#define NBLOCKS 1000
static unsigned char *blocks[NBLOCKS];
static size_t block_len[NBLOCKS];

static int fill_blocks(void)
{
    int bad = 0;

    for (int i = 0; i < NBLOCKS; i++) {
        block_len[i] = 1 + next_random() % 4096;
        blocks[i] = malloc(block_len[i]);
        if (blocks[i] == NULL || ((uintptr_t)blocks[i] & 15) != 0)
            bad++;
        else
            memset(blocks[i], i & 0xff, block_len[i]);
    }
    return bad;
}

static void test_malloc(void)
{
    char detail[128];

    check(fill_blocks() == 0, "malloc", "NULL or not 16-byte aligned");
    int corrupt = 0;
    for (int i = 0; i < NBLOCKS; i++)
        for (size_t j = 0; blocks[i] && j < block_len[i]; j++)
            corrupt += blocks[i][j] != (i & 0xff);
    check(corrupt == 0, "malloc blocks overlap", "a block lost its contents");

    size_t used_before = smoke_heap_used();
    for (int i = 0; i < NBLOCKS; i++)
        free(blocks[i]);
    free(NULL);
    /* Same sizes again: freed memory must be reused, not sbrk'd anew. */
    lcg_state = 0x2545f4914f6cdd1dULL;
    check(fill_blocks() == 0, "malloc after free", "NULL or misaligned");
    snprintf(detail, sizeof(detail), "heap grew from %zu to %zu bytes",
             used_before, smoke_heap_used());
    check(smoke_heap_used() <= used_before + 64 * 1024, "free reuses memory",
          detail);
    for (int i = 0; i < NBLOCKS; i++)
        free(blocks[i]);

    unsigned char *z = calloc(1000, 8);
    int nonzero = 0;
    for (size_t i = 0; z && i < 8000; i++)
        nonzero += z[i] != 0;
    check(z != NULL && nonzero == 0, "calloc", "NULL or not zeroed");

    unsigned char *r = malloc(100);
    if (r)
        memset(r, 0xa5, 100);
    r = realloc(r, 200000);
    int kept = r != NULL;
    for (int i = 0; kept && i < 100; i++)
        kept = r[i] == 0xa5;
    check(kept, "realloc", "NULL or contents lost");
    free(r);
    free(z);

    /* More than the arena: sbrk says ENOMEM, malloc must return NULL. */
    errno = 0;
    void *huge = malloc(smoke_heap_size() + 1);
    snprintf(detail, sizeof(detail), "got %p, errno %d", huge, errno);
    check(huge == NULL && errno == ENOMEM, "malloc beyond the heap", detail);
    void *after = malloc(64);
    check(after != NULL, "malloc after a failure", "NULL");
    free(after);
}

static void test_strtoul(void)
{
    char *end;
    char detail[128];

    unsigned long v = strtoul("0x1F", &end, 0);
    check(v == 31 && *end == '\0', "strtoul base 0 hex", "not 31");
    v = strtoul("  42abc", &end, 10);
    check(v == 42 && strcmp(end, "abc") == 0, "strtoul end pointer", "wrong");
    v = strtoul("777", NULL, 8);
    check(v == 511, "strtoul base 8", "not 511");
    v = strtoul("ffffffffffffffff", NULL, 16);
    check(v == ULONG_MAX, "strtoul 64-bit", "not ULONG_MAX");
    errno = 0;
    v = strtoul("18446744073709551616", NULL, 10);
    snprintf(detail, sizeof(detail), "got %lu errno %d", v, errno);
    check(v == ULONG_MAX && errno == ERANGE, "strtoul overflow", detail);
    errno = 0;
    v = strtoul("junk", &end, 0);
    check(v == 0 && strcmp(end, "junk") == 0 && errno == 0,
          "strtoul no digits", "wrong value, end or errno");
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static void test_qsort(void)
{
    static uint32_t v[5000];
    uint64_t sum_before = 0, sum_after = 0;

    for (size_t i = 0; i < 5000; i++) {
        v[i] = next_random() % 1000; /* many duplicates */
        sum_before += v[i];
    }
    qsort(v, 5000, sizeof(v[0]), compare_u32);
    int ordered = 1;
    for (size_t i = 0; i < 5000; i++) {
        sum_after += v[i];
        if (i > 0 && v[i - 1] > v[i])
            ordered = 0;
    }
    check(ordered, "qsort order", "not sorted");
    check(sum_before == sum_after, "qsort contents", "elements changed");
}

int main(void)
{
    test_formats();
    test_malloc();
    test_strtoul();
    test_qsort();
    printf("newlib smoke: %u checks, %u failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
