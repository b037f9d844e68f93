/* fastnn's helper threads (see fnn_pool.h for why they exist).
 *
 * A job is published by bumping `generation`; helper h (1-based) runs part
 * h of it if h < n_parts, and every helper then decrements `pending`; the
 * caller runs part 0 and waits for `pending` to reach 0.  Idle helpers spin
 * with sched_yield, then sleep on `wake` after FNN_POOL_SPIN_NS.  `busy` admits
 * one job at a time; a second caller runs its job alone instead of waiting. */
#include "fnn_pool.h"

#if defined(_WIN32) || !(defined(__GNUC__) || defined(__clang__))

void fnn_pool_run(int n_threads, fnn_pool_fn fn, void *ctx)
{
    (void)n_threads;
    fn(ctx, 0, 1);
}

#else

#include <pthread.h>
#include <stddef.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

/* A part computes as its caller would: on x86 each job carries the
 * caller's SSE control word (the training loop's flush-to-zero, the
 * rounding mode), which a helper loads before its part.  A helper started
 * outside an epoch otherwise kept the mode it was created with, and a
 * float32 gelu_tanh pass split over two threads differed from one thread
 * in the denormals it produced.  (Elsewhere the training loop changes no
 * floating-point mode: fnn_train.h.)  The low 6 bits are sticky exception
 * flags, not a mode. */
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
static unsigned int fnn_fp_mode(void) { return _mm_getcsr(); }
static void fnn_fp_mode_set(unsigned int mode)
{
    if ((_mm_getcsr() ^ mode) & ~0x3Fu) _mm_setcsr(mode);
}
#else
static unsigned int fnn_fp_mode(void) { return 0; }
static void fnn_fp_mode_set(unsigned int mode) { (void)mode; }
#endif

enum { FNN_POOL_MAX_THREADS = 64 };
/* A helper idle this long sleeps: about 10 batches of a 784-256-10 epoch,
 * so it stays awake through an epoch and costs nothing between fits. */
#define FNN_POOL_SPIN_NS 5000000LL

static struct {
    pthread_mutex_t busy;          /* held by the caller whose job runs */
    pthread_mutex_t lock;          /* guards the sleepers' wait on `wake` */
    pthread_cond_t wake;
    atomic_ulong generation;       /* bumped once per job */
    atomic_int pending;            /* helpers yet to acknowledge the job */
    fnn_pool_fn fn;                /* the job: written before generation */
    void *ctx;
    unsigned int fp_mode;          /* the caller's (see fnn_fp_mode) */
    int n_parts;
    int n_helpers;                 /* started (under busy) */
    int grow_failed;               /* pthread_create failed: start no more */
    /* The generation when helper h was started: it waits for the next one
     * (reading it itself could miss the job published right after). */
    unsigned long start_gen[FNN_POOL_MAX_THREADS];
    int forked;                    /* this process is a fork() child */
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

static long long fnn_pool_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *fnn_pool_helper(void *arg)
{
    const int part = (int)(ptrdiff_t)arg;
    unsigned long seen = pool.start_gen[part];
    for (;;) {
        long long idle_since = fnn_pool_now_ns();
        unsigned long gen;
        while ((gen = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            sched_yield();
            if (fnn_pool_now_ns() - idle_since > FNN_POOL_SPIN_NS) {
                pthread_mutex_lock(&pool.lock);
                while (atomic_load_explicit(&pool.generation, memory_order_acquire) == seen)
                    pthread_cond_wait(&pool.wake, &pool.lock);
                pthread_mutex_unlock(&pool.lock);
            }
        }
        seen = gen;
        if (part < pool.n_parts) {
            fnn_fp_mode_set(pool.fp_mode);
            pool.fn(pool.ctx, part, pool.n_parts);
        }
        /* Every helper acknowledges every job, its part or none: a helper
         * left out that read the job late could otherwise meet the next
         * job's fields and run a part of it twice. */
        atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
    }
    return NULL;
}

/* fork() copies only the calling thread: the child has no helpers, and a
 * lock another thread held is held for ever.  The child runs every job on
 * its caller (as the kernels' OpenMP does after fork). */
static void fnn_pool_after_fork_in_child(void) { pool.forked = 1; }

static pthread_once_t fnn_pool_once = PTHREAD_ONCE_INIT;
static void fnn_pool_register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, fnn_pool_after_fork_in_child);
}

/* Start helpers up to n - 1 of them (under busy); returns how many run. */
static int fnn_pool_grow(int n)
{
    pthread_attr_t attr;
    if (n - 1 <= pool.n_helpers || pool.grow_failed) return pool.n_helpers;
    if (pthread_attr_init(&attr) != 0) return pool.n_helpers;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (pool.n_helpers < n - 1) {
        pthread_t thread;
        pool.start_gen[pool.n_helpers + 1] =
            atomic_load_explicit(&pool.generation, memory_order_relaxed);
        if (pthread_create(&thread, &attr, fnn_pool_helper,
                           (void *)(ptrdiff_t)(pool.n_helpers + 1)) != 0) {
            pool.grow_failed = 1;
            break;
        }
        pool.n_helpers += 1;
    }
    pthread_attr_destroy(&attr);
    return pool.n_helpers;
}

void fnn_pool_run(int n_threads, fnn_pool_fn fn, void *ctx)
{
    int n = n_threads < FNN_POOL_MAX_THREADS ? n_threads : FNN_POOL_MAX_THREADS;
    pthread_once(&fnn_pool_once, fnn_pool_register_fork_handler);
    if (n <= 1 || pool.forked || pthread_mutex_trylock(&pool.busy) != 0) {
        fn(ctx, 0, 1);
        return;
    }
    int helpers = fnn_pool_grow(n);
    if (helpers < n - 1) n = helpers + 1;
    if (n <= 1) {
        pthread_mutex_unlock(&pool.busy);
        fn(ctx, 0, 1);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.fp_mode = fnn_fp_mode();
    pool.n_parts = n;
    atomic_store_explicit(&pool.pending, helpers, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    /* Under the lock, so that a helper between its last look at the
     * generation and its wait cannot miss the wake-up. */
    pthread_mutex_lock(&pool.lock);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    fn(ctx, 0, n);
    while (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0)
        sched_yield();
    pthread_mutex_unlock(&pool.busy);
}

#endif
