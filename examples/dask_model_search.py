"""Hyper-parameter search for fastnn.MLPClassifier on a Dask cluster.

Runs on a laptop as is: it starts a LocalCluster of 2 single-threaded worker
processes.  On a real cluster, pass the scheduler's address instead:

    python examples/dask_model_search.py --scheduler tcp://scheduler-host:8786

(every worker needs fastnn and scikit-learn installed).  --small runs a
seconds-long version (the test suite uses it).
"""
import joblib
import numpy as np
from sklearn.model_selection import RandomizedSearchCV
from scipy.stats import loguniform

import fastnn

from _dask_cluster import dask_client, example_parser  # beside this script


def main(argv=None):
    args = example_parser(__doc__, "tiny data, few candidates").parse_args(argv)
    n_samples, n_candidates, epochs = (300, 4, 10) if args.small else (5000, 16, 40)

    X, y = fastnn.datasets.make_spirals(n_samples, seed=0)
    search = RandomizedSearchCV(
        fastnn.MLPClassifier(hidden_layer_sizes=(32, 32), max_iter=epochs, random_state=0),
        {"alpha": loguniform(1e-6, 1e-2), "learning_rate_init": loguniform(1e-3, 3e-2)},
        n_iter=n_candidates, cv=3, random_state=0)

    with dask_client(args.scheduler):
        # Each candidate x fold is one task on a worker.  Workers started by a
        # nanny (LocalCluster, `dask worker`) already run BLAS and fastnn's
        # kernels on one thread per task (fastnn.dask.limit_worker_threads for
        # other workers).
        with joblib.parallel_config(backend="dask"):
            search.fit(X, y)
    print(f"best cross-validated accuracy {search.best_score_:.3f} with "
          f"{ {k: float(f'{v:.3g}') for k, v in search.best_params_.items()} }")


if __name__ == "__main__":
    main()
