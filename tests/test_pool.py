"""fastnn's helper-thread pool (fastnn/src/fnn_pool.c), stressed from C.

Through Python the pool only ever has the CPUs' count less one helpers and
one caller at a time per network, so the cases that matter for its
correctness -- jobs that shrink after the pool grew, several callers at
once, up to 8 parts on 2 CPUs -- are driven by a small C program compiled
against the pool's source with the compiler setuptools uses (and under
ThreadSanitizer where it links); benchmarks/epoch_parts.c is built against
the sources too.  Skipped where no compiler or no checkout is present (the
installed-wheel run); the source-tree runs have both."""
import os
import subprocess

import pytest

from _cbuild import SOURCE_DIR, build
from _paths import REPO_ROOT

# Every job: 8 slots of 64 counters, part p adds 1 to the slots p, p + n, ...
# of the n_parts it was given; after fnn_pool_run returns, every counter must
# be exactly 1 (each slot done once, none after the return) and n_parts never
# above the count asked for.
DRIVER = r"""
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include "fnn_pool.h"

struct job { int asked; atomic_int over; int data[8][64]; };
static atomic_long bad_jobs;

static void part_fn(void *ctx, int part, int n_parts)
{
    struct job *j = ctx;
    if (n_parts > j->asked || part >= n_parts) atomic_fetch_add(&j->over, 1);
    for (int s = part; s < 8; s += n_parts)
        for (int i = 0; i < 64; ++i) j->data[s][i] += 1;
}

static void *caller(void *arg)
{
    long seed = (long)arg;
    for (int it = 0; it < 20000; ++it) {
        struct job j = { 0 };
        j.asked = 1 + (int)((seed * 7 + it * 13) % 8);   /* grows and shrinks */
        fnn_pool_run(j.asked, part_fn, &j);
        int ok = atomic_load(&j.over) == 0;
        for (int s = 0; s < 8 && ok; ++s)
            for (int i = 0; i < 64; ++i) ok &= j.data[s][i] == 1;
        if (!ok) atomic_fetch_add(&bad_jobs, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int callers = atoi(argv[1]);
    pthread_t threads[8];
    for (long i = 0; i < callers; ++i) pthread_create(&threads[i], NULL, caller, (void *)i);
    for (int i = 0; i < callers; ++i) pthread_join(threads[i], NULL);
    printf("%ld\n", atomic_load(&bad_jobs));
    return 0;
}
"""


def _build(tmp_path, flags, program=None, sources=("fnn_pool.c",)):
    """The driver (or the C file `program`) linked with fastnn/src's
    `sources` under `flags`, or None if it does not build."""
    if program is None:
        program = tmp_path / "driver.c"
        program.write_text(DRIVER)
    return build(tmp_path, flags, program, sources)


@pytest.mark.skipif(not (SOURCE_DIR / "fnn_pool.c").exists(), reason="no checkout here")
@pytest.mark.parametrize("callers", [1, 3])
def test_every_part_runs_once_before_the_job_returns(callers, tmp_path, plain_env):
    exe = _build(tmp_path, ["-O2"])
    if exe is None:
        pytest.skip("no working C compiler here (the installed-wheel run removes it)")
    run = subprocess.run([exe, str(callers)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["0"]


@pytest.mark.skipif(not (SOURCE_DIR / "fnn_pool.c").exists(), reason="no checkout here")
def test_no_data_race_under_thread_sanitizer(tmp_path, plain_env):
    exe = _build(tmp_path, ["-O1", "-g", "-fsanitize=thread"])
    if exe is None:
        pytest.skip("this compiler cannot link ThreadSanitizer programs")
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1 exitcode=66")
    run = subprocess.run([exe, "2"], capture_output=True, text=True, timeout=600, env=env)
    if "FATAL: ThreadSanitizer: unexpected memory mapping" in run.stderr:
        pytest.skip("ThreadSanitizer cannot run under this kernel's address-space layout")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["0"]


EPOCH_PARTS = REPO_ROOT / "benchmarks" / "epoch_parts.c"


@pytest.mark.skipif(not EPOCH_PARTS.exists(), reason="no checkout here")
def test_the_epoch_parts_benchmark_builds_against_the_sources(tmp_path, plain_env):
    # A benchmark is never a timing test; this only keeps the README's
    # C-timed figures reproducible as the sources change.
    if _build(tmp_path, ["-O2"]) is None:
        pytest.skip("no working C compiler here (the installed-wheel run removes it)")
    exe = _build(tmp_path, ["-O2", "-std=gnu11"], EPOCH_PARTS,
                 ("fnn_parallel.c", "fnn_pool.c", "fnn_train.c", "fnn_kernels.c"))
    assert exe is not None
