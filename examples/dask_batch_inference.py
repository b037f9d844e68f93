"""Batch inference with a trained fastnn model on a Dask cluster.

The model is sent to each worker once (fastnn.dask.predict_blocks scatters
it), not once per block; predictions equal the in-memory ones bitwise.
Shown three ways: predict_blocks on a dask array and on a Dask DataFrame,
and dask_ml.wrappers.ParallelPostFit.

Runs on a laptop as is (a LocalCluster of 2 worker processes); on a real
cluster pass ``--scheduler tcp://scheduler-host:8786``.  --small runs a
seconds-long version (the test suite uses it).
"""
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask_ml.wrappers import ParallelPostFit

import fastnn
from fastnn.dask import predict_blocks

from _dask_cluster import dask_client, example_parser  # beside this script


def main(argv=None):
    args = example_parser(__doc__, "tiny data").parse_args(argv)
    n_rows, chunk = (2000, 500) if args.small else (1_000_000, 100_000)

    X_train, y_train = fastnn.datasets.make_spirals(1000, seed=0)
    model = fastnn.MLPClassifier(hidden_layer_sizes=(32, 32), max_iter=30,
                                 random_state=0).fit(X_train, y_train)
    X_new = np.random.default_rng(1).uniform(-1, 1, (n_rows, 2))

    with dask_client(args.scheduler):
        X_dask = da.from_array(X_new, chunks=(chunk, 2))
        labels = predict_blocks(model, X_dask).compute()
        # Partitions reach the model as pandas frames (the output keeps
        # their index); the model was fitted without column names, so none here.
        frame = dd.from_pandas(pd.DataFrame(X_new), chunksize=chunk)
        proba = predict_blocks(model, frame, "predict_proba").compute().to_numpy()
        wrapped = ParallelPostFit(model).predict(X_dask).compute()
    # Labels agree exactly; probabilities bitwise only where BLAS ran the same
    # kernel (OpenBLAS picks one by matrix size and thread count: this process
    # may run more BLAS threads than a worker), else to a few ulps.
    proba_error = np.max(np.abs(proba - model.predict_proba(X_new)))
    same_labels = (np.array_equal(labels, model.predict(X_new))
                   and np.array_equal(wrapped, labels))
    print(f"{n_rows} rows in blocks of {chunk}: labels equal to in-memory: {same_labels}; "
          f"probabilities within {proba_error:.1e} ({proba.dtype})")
    if not same_labels or proba_error > 16 * np.finfo(proba.dtype).eps:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
