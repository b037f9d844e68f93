"""Every library at one thread count: fastnn's OpenMP, the BLAS libraries
(through threadpoolctl) and torch.  The report and the pytest-benchmark
suites in benchmarks/ both pin threads here."""
import contextlib

import fastnn


@contextlib.contextmanager
def pin_threads(threads, torch=None):
    """Run the body with fastnn, BLAS and torch at `threads` threads.

    Parameters
    ----------
    threads : int
        At least 1.
    torch : module or None
        PyTorch, when it is one of the sides timed.

    Yields
    ------
    bool
        Whether the BLAS libraries were pinned too (False without
        threadpoolctl: they keep their own thread count).
    """
    previous = fastnn.get_num_threads()
    torch_previous = torch.get_num_threads() if torch is not None else None
    fastnn.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
        limiter, blas_pinned = threadpool_limits(limits=threads), True
    except ImportError:
        limiter, blas_pinned = contextlib.nullcontext(), False
    try:
        with limiter:
            yield blas_pinned
    finally:
        fastnn.set_num_threads(previous)
        if torch is not None:
            torch.set_num_threads(torch_previous)
