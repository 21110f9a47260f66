/*
 * Threads for a unikernel with one vCPU: cooperative, so no locks are
 * needed between threads, only event masking against handlers (the
 * waitq functions below mask for that reason).  All threads sit on one
 * ring; schedule() walks it round-robin and, when nobody can run, blocks
 * the vCPU in Xen until the earliest sleeper's deadline or an event.
 * Deadlines live in the threads themselves (thread->wakeup), so there is
 * no timer list to keep: the timer event only has to end SCHEDOP_block.
 */
#include <stdlib.h>
#include <string.h>
#include <minnow/sched.h>
#include <minnow/events.h>
#include <minnow/console.h>
#include <minnow/panic.h>
#include <arch/hypercall.h>
#include <arch/switch.h>

#define THREAD_STACK_SIZE (32 * 1024)

static struct thread boot_thread = { .name = "boot", .state = THREAD_RUNNABLE };
static struct thread *current = &boot_thread;
static struct thread *zombie;          /* exited; its stack is freed by the next thread */
static unsigned long nr_threads = 1;

void sched_init(void)
{
    boot_thread.next = &boot_thread;
}

struct thread *current_thread(void)
{
    return current;
}

unsigned long sched_thread_count(void)
{
    return nr_threads;
}

bool stack_contains(uint64_t addr)
{
    if (!current->stack)
        return false;
    return addr >= (uint64_t)current->stack &&
           addr < (uint64_t)current->stack + current->stack_size;
}

static void reap_zombie(void)
{
    if (zombie && zombie != current) {
        free(zombie->stack);
        free(zombie);
        zombie = NULL;
    }
}

static void thread_main(void)
{
    reap_zombie();
    local_events_enable();
    current->fn(current->arg);
    thread_exit();
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
    struct thread *t = calloc(1, sizeof(*t));
    void *stack = malloc(THREAD_STACK_SIZE);

    if (!t || !stack) {
        printk("sched: no memory for thread %s\n", name);
        free(t);
        free(stack);
        return NULL;
    }
    t->name = name;
    t->fn = fn;
    t->arg = arg;
    t->stack = stack;
    t->stack_size = THREAD_STACK_SIZE;
    t->state = THREAD_RUNNABLE;

    t->saved_rsp = arch_thread_stack_init(stack, THREAD_STACK_SIZE, thread_main);

    unsigned long flags = local_events_save();
    t->next = current->next;
    current->next = t;
    nr_threads++;
    local_events_restore(flags);
    return t;
}

/*
 * Wake the sleeper whose deadline passed first, only that one; return the
 * earliest deadline still pending (0: none).  One at a time, because the
 * threads run in ring order: after a stall in which several deadlines
 * passed, waking them all together would run them out of deadline order.
 * The next schedule() wakes the next one.
 */
static stime_t wake_sleepers(stime_t now)
{
    struct thread *t = current, *first = NULL;
    stime_t earliest = 0;

    do {
        if (t->state == THREAD_BLOCKED && t->wakeup) {
            if (!first || t->wakeup < first->wakeup)
                first = t;
        }
        t = t->next;
    } while (t != current);
    if (first && first->wakeup <= now) {
        first->wakeup = 0;
        first->state = THREAD_RUNNABLE;
        first = NULL;
        t = current;
        do {                            /* the earliest one still asleep */
            if (t->state == THREAD_BLOCKED && t->wakeup &&
                (!first || t->wakeup < first->wakeup))
                first = t;
            t = t->next;
        } while (t != current);
    }
    if (first)
        earliest = first->wakeup;
    return earliest;
}

static struct thread *pick_next(void)
{
    struct thread *t = current->next;

    do {
        if (t->state == THREAD_RUNNABLE)
            return t;
        t = t->next;
    } while (t != current->next);
    return NULL;
}

void schedule(void)
{
    unsigned long flags = local_events_save();
    struct thread *prev = current, *next;

    for (;;) {
        stime_t earliest = wake_sleepers(monotonic_ns());

        next = pick_next();
        if (next)
            break;
        /* Idle: block until an event; the timer bounds the sleep. */
        if (earliest)
            timer_set_deadline(earliest);
        hypercall_sched_op(SCHEDOP_block, NULL);   /* unmasks events */
        local_events_disable();
    }

    if (next != prev) {
        if (prev->state == THREAD_EXITED) {
            /* Unlink it; its stack is freed by whoever runs next. */
            struct thread *p = prev;
            while (p->next != prev)
                p = p->next;
            p->next = prev->next;
            nr_threads--;
            zombie = prev;
        }
        current = next;
        arch_switch_stack(&prev->saved_rsp, next->saved_rsp);
        reap_zombie();
    }
    local_events_restore(flags);
}

void thread_yield(void)
{
    schedule();
}

void thread_block(void)
{
    current->state = THREAD_BLOCKED;
    schedule();
}

void thread_wake(struct thread *t)
{
    t->wakeup = 0;
    t->state = THREAD_RUNNABLE;
}

void sleep_ns(stime_t ns)
{
    current->wakeup = monotonic_ns() + ns;
    if (!current->wakeup)
        current->wakeup = 1;
    thread_block();
}

void thread_exit(void)
{
    if (current == &boot_thread)
        panic("sched: the boot thread cannot exit");
    current->state = THREAD_EXITED;
    schedule();
    panic("sched: exited thread %s was scheduled again", current->name);
}

void waitq_add_current(struct waitq *wq)
{
    unsigned long flags = local_events_save();

    if (current->waiting_on != wq) {
        BUG_ON(current->waiting_on);
        current->waiting_on = wq;
        current->wait_next = wq->head;
        wq->head = current;
    }
    local_events_restore(flags);
}

void waitq_wake_all(struct waitq *wq)
{
    unsigned long flags = local_events_save();
    struct thread *t = wq->head;

    wq->head = NULL;
    while (t) {
        struct thread *next = t->wait_next;
        t->wait_next = NULL;
        t->waiting_on = NULL;
        thread_wake(t);
        t = next;
    }
    local_events_restore(flags);
}

void waitq_remove_current(struct waitq *wq)
{
    unsigned long flags = local_events_save();

    if (current->waiting_on == wq) {
        for (struct thread **p = &wq->head; *p; p = &(*p)->wait_next) {
            if (*p == current) {
                *p = current->wait_next;
                break;
            }
        }
        current->wait_next = NULL;
        current->waiting_on = NULL;
    }
    local_events_restore(flags);
}
