"""How long fastnn's idle OpenMP threads spin before they sleep.

GNU OpenMP's threads spin after a parallel region, waiting for the next one,
for GOMP_SPINCOUNT iterations (300,000 by default), then sleep.  While they
spin they hold a core, and OpenBLAS's threads, which meet at the end of every
product, wait for it: on a 2-core VM a loop of NumPy products (2 BLAS threads)
and ``fastnn.relu`` on 262,144 elements ran 3.4-3.9x slower with 2 fastnn
threads than with 1.  With 10,000 iterations it ran 1.13-1.25x slower, and
back-to-back kernel calls keep their two-thread speed (sigmoid of 10^5
float32: 44 us against 78 us on one thread).  Sleeping at once
(OMP_WAIT_POLICY=PASSIVE) is worse: waking a sleeping thread costs ~200 us on
such a VM, so a 2-thread sigmoid of 4 x 10^4 elements took 225 us against
34 us.  libgomp reads the variable once, when it loads, so it is set for the
import of the compiled modules only and the environment is restored
afterwards; a wait policy the user set (either variable) is left alone.  It
takes effect only where that import loads libgomp: the wheel's copy has a
name of its own (auditwheel's hashed soname), but an in-place build links
"libgomp.so.1", the soname of the system's copy and of PyTorch's bundled one,
so after ``import torch`` the loader reuses torch's, already initialised
with the default spin.
"""
import contextlib
import os
from typing import Iterator

SPIN_COUNT = "10000"
USER_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


@contextlib.contextmanager
def short_spin_while_loading() -> Iterator[None]:
    """Set GOMP_SPINCOUNT to SPIN_COUNT inside the block unless the user set
    a wait policy; the environment is as before on leaving it."""
    if any(name in os.environ for name in USER_VARIABLES):
        yield
        return
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        yield
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)
