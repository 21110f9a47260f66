/*
 * A small cooperative scheduler: threads run until they sleep, block,
 * yield or exit.  Nothing preempts a thread; event handlers only make
 * threads runnable.  When nothing is runnable the vCPU blocks in Xen
 * (SCHEDOP_block, the PV equivalent of sti; hlt) until the next event or
 * the earliest sleeper's deadline.
 */
#ifndef MINNOW_SCHED_H
#define MINNOW_SCHED_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <minnow/time.h>
#include <minnow/events.h>

enum thread_state { THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_EXITED };

struct thread {
    const char *name;
    uint64_t saved_rsp;
    void *stack;               /* NULL for the boot thread */
    size_t stack_size;
    enum thread_state state;
    stime_t wakeup;            /* 0: not sleeping */
    void (*fn)(void *);
    void *arg;
    struct thread *next;       /* ring of all threads */
    struct thread *wait_next;  /* on a waitq */
    struct waitq *waiting_on;
};

/* Threads waiting for something an event (or another thread) signals. */
struct waitq {
    struct thread *head;
};
#define WAITQ_INIT { NULL }

void waitq_add_current(struct waitq *wq);
/* Leave wq if still on it (woken by someone else, or cond already true). */
void waitq_remove_current(struct waitq *wq);
/* Make every waiter runnable; each re-checks its own condition. */
void waitq_wake_all(struct waitq *wq);

/*
 * Sleep on wq until cond holds; whoever makes it true calls
 * waitq_wake_all(wq).  cond is evaluated with events masked, and they stay
 * masked until the thread blocks, so a wake-up cannot slip in between the
 * check and the sleep and be lost.  cond may have side effects (e.g. poll
 * a ring first): it runs once per wake-up.
 */
#define wait_event(wq, cond) ((void)wait_event_deadline_(wq, cond, 0))

/*
 * Like wait_event, but give up once timeout_ns have passed.  Evaluates to
 * cond's last value: false means the time ran out first.
 */
#define wait_event_timeout(wq, cond, timeout_ns) \
    wait_event_deadline_(wq, cond, monotonic_ns() + (timeout_ns))

/* Both of the above: deadline 0 waits for ever. */
#define wait_event_deadline_(wq, cond, deadline)                                \
    ({                                                                          \
        stime_t wait_deadline_ = (deadline);                                    \
        unsigned long wait_flags_ = local_events_save();                        \
        bool wait_ok_;                                                          \
        while (!(wait_ok_ = (cond)) &&                                          \
               (!wait_deadline_ || monotonic_ns() < wait_deadline_)) {          \
            waitq_add_current(wq);                                              \
            current_thread()->wakeup = wait_deadline_;                          \
            thread_block();                                                     \
        }                                                                       \
        waitq_remove_current(wq);                                               \
        current_thread()->wakeup = 0;                                           \
        local_events_restore(wait_flags_);                                      \
        wait_ok_;                                                               \
    })

void sched_init(void);
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
struct thread *current_thread(void);
void schedule(void);
void thread_yield(void);
void thread_exit(void) __attribute__((noreturn));
/* Block the current thread until thread_wake() (or a deadline, if set). */
void thread_block(void);
void thread_wake(struct thread *t);
void sleep_ns(stime_t ns);
static inline void msleep(uint64_t ms) { sleep_ns(ms * NSEC_PER_MSEC); }
unsigned long sched_thread_count(void);
bool stack_contains(uint64_t addr);

/*
 * Sleep until cond is true; cond is re-checked whenever the thread is
 * woken (its waker calls thread_wake).  Events are masked between the
 * check and blocking, so a wake-up cannot slip in between and be lost.
 */
#define wait_until(cond)                                \
    do {                                                \
        unsigned long wait_flags_ = local_events_save();\
        while (!(cond))                                 \
            thread_block();                             \
        local_events_restore(wait_flags_);              \
    } while (0)

#endif
