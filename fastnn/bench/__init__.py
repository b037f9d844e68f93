"""The benchmark report, ``python -m fastnn bench``, and the cases the
pytest-benchmark suites in ``benchmarks/`` time.

One concern per module:

- :mod:`~fastnn.bench.cli`: the command's options and what it does with them;
- :mod:`~fastnn.bench.groups`: the registry of groups (kernels, network);
- :mod:`~fastnn.bench.run`: runs the selected groups' rows, prints a run;
- :mod:`~fastnn.bench.rows`: what a row is and how a group plans one;
- :mod:`~fastnn.bench.kernel_cases`, :mod:`~fastnn.bench.network_cases`:
  each group's cases and rows;
- :mod:`~fastnn.bench.kernel_baselines`, :mod:`~fastnn.bench.mlp_baselines`:
  the NumPy, PyTorch and scikit-learn sides they are timed against;
- :mod:`~fastnn.bench.baselines`: which optional libraries are installed;
- :mod:`~fastnn.bench.threads`: every library pinned to one thread count;
- :mod:`~fastnn.bench.timing`: interleaved rounds, medians and spread;
- :mod:`~fastnn.bench.machine`: the header (CPU, SIMD, BLAS, versions);
- :mod:`~fastnn.bench.report`: tables, JSON and the comparison of runs;
- :mod:`~fastnn.bench.plot`: the PNG (needs matplotlib).

Nothing outside this package imports it but ``fastnn.__main__``.
"""
