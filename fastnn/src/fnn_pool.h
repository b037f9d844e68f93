/* The training loop's own helper threads, for the passes between its BLAS
 * products that can be split (optimizer updates, the gather).
 *
 * Why not OpenMP: OpenBLAS (scipy's build) keeps its own pthreads, which
 * wait for the next product by spinning with sched_yield.  GNU OpenMP's
 * idle threads spin without yielding, so on a 2-core VM an OpenMP region
 * between two products held the core OpenBLAS's thread needed: the
 * 784-256-10 epoch at 2 threads took 700-780 ms instead of 235 ms
 * (315 ms with OMP_WAIT_POLICY=PASSIVE, whose every region wakes a sleeping
 * thread).  These helpers wait as OpenBLAS's do -- spinning with
 * sched_yield, so either pool's thread gives the core to the other's at
 * once -- and sleep after FNN_POOL_SPIN_NS without work.  Only one pool
 * runs at a time: the training thread calls BLAS and this pool in turn.
 *
 * Where threads are not POSIX (Windows), every job runs on the caller. */
#ifndef FNN_POOL_H
#define FNN_POOL_H

/* One part of a job: part is in [0, n_parts), and the parts together do
 * the whole job, each on its own share. */
typedef void (*fnn_pool_fn)(void *ctx, int part, int n_parts);

/* Run fn over n_threads parts (part 0 on the calling thread) and return
 * once all have finished.  Runs fewer parts -- one, on the caller, at
 * worst -- when helpers cannot be started, when another thread's job holds
 * the pool, or in a process forked from one that used it. */
void fnn_pool_run(int n_threads, fnn_pool_fn fn, void *ctx);

#endif
