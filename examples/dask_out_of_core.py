"""Out-of-core training: fastnn.MLPClassifier streamed over the blocks of a
dask array for several epochs, block order shuffled each epoch.

fastnn.dask.fit_blocks computes one block at a time (on a worker), trains the
estimator on it with partial_fit and moves on: the whole array never sits in
one place.  Here the blocks are generated lazily; in practice they come from
files (``dask.array.from_zarr``, ``dask.dataframe.read_parquet``, ...).
dask_ml.wrappers.Incremental does the same for a single pass.

Runs on a laptop as is (a LocalCluster of 2 worker processes); on a real
cluster pass ``--scheduler tcp://scheduler-host:8786``.  --small runs a
seconds-long version (the test suite uses it).
"""
import dask
import dask.array as da
import numpy as np

import fastnn
from fastnn.dask import fit_blocks, predict_blocks

from _dask_cluster import dask_client, example_parser  # beside this script


def _spiral_block(i, rows):
    return fastnn.datasets.make_spirals(rows, seed=i)


def lazy_spirals(n_blocks, rows):
    """X (n_blocks*rows, 2) float64 and y (n_blocks*rows,) int64 as dask
    arrays whose every block is made only when a task needs it."""
    blocks = [dask.delayed(_spiral_block)(i, rows) for i in range(n_blocks)]
    X = da.concatenate([da.from_delayed(b[0], (rows, 2), np.float64) for b in blocks])
    y = da.concatenate([da.from_delayed(b[1], (rows,), np.int64) for b in blocks])
    return X, y


def main(argv=None):
    args = example_parser(__doc__, "tiny data, few epochs").parse_args(argv)
    n_blocks, rows, epochs = (4, 100, 2) if args.small else (20, 5000, 10)

    X, y = lazy_spirals(n_blocks, rows)
    with dask_client(args.scheduler):
        model = fit_blocks(
            fastnn.MLPClassifier(hidden_layer_sizes=(32, 32), random_state=0),
            X, y, epochs=epochs, shuffle_blocks=True, random_state=0, classes=[0, 1])
        accuracy = (predict_blocks(model, X) == y).mean().compute()
    print(f"{epochs} epochs over {n_blocks} blocks of {rows} rows: "
          f"training accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
