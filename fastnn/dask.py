"""fastnn on Dask: what Dask and dask-ml do not already do for it.

Model search needs nothing from here: fastnn's estimators pickle, so
scikit-learn's ``GridSearchCV``/``RandomizedSearchCV`` under
``joblib.parallel_config(backend="dask")`` and dask-ml's ``GridSearchCV``,
``Incremental`` and ``ParallelPostFit`` take them as they are.  This module
adds three things:

* :func:`fit_blocks` -- several epochs of ``partial_fit`` over the row blocks
  of a dask array or DataFrame, block order shuffled each epoch, one block
  computed at a time (``Incremental.fit`` makes a single pass);
* :func:`predict_blocks` -- batch inference with the model sent to each
  worker once (``ParallelPostFit`` embeds it in every block's task);
* :class:`ThreadLimits` / :func:`limit_worker_threads` -- BLAS and fastnn
  kernel threads per task on every worker, for workers that do not get
  distributed's one-thread environment (``--no-nanny`` workers, a changed
  ``distributed.nanny.pre-spawn-environ``, or cores to spare per task).

Importing it needs the ``dask`` extra: ``pip install "fastnn-cpu[dask]"``.
"""
import copy
import inspect
import numbers

try:
    import dask
    import dask.array as da
    import dask.dataframe as dd
except ImportError as exc:              # pragma: no cover - depends on the install
    raise ImportError('fastnn.dask needs Dask: pip install "fastnn-cpu[dask]"') from exc

import numpy as np

try:
    from distributed import WorkerPlugin
except ImportError:                     # pragma: no cover - dask without distributed
    WorkerPlugin = object

__all__ = ["fit_blocks", "predict_blocks", "ThreadLimits", "limit_worker_threads"]


# ------------------------------------------------------------------ threads

class ThreadLimits(WorkerPlugin):
    """Worker plugin: BLAS and fastnn kernels at `threads` threads per task.

    A worker runs ``nthreads`` tasks at once, so it fills its ``nthreads``
    cores with one BLAS/OpenMP thread per task; the default (``threads=None``)
    is therefore one thread per task, never ``nthreads`` (which would start
    ``nthreads**2`` threads on a busy worker).  Give `threads` for workers
    started with fewer task threads than their cores.

    On setup the plugin calls ``threadpoolctl.threadpool_limits(threads)``
    (process-wide for OpenBLAS, MKL and BLIS) and
    ``fastnn.set_num_threads(threads)`` (process-wide for fastnn's kernels).
    OpenMP's own setting is per thread and is read from ``OMP_NUM_THREADS``
    when the worker starts: distributed's nanny sets it to 1 by default
    (``distributed.nanny.pre-spawn-environ``); raising fastnn above that
    needs the variable raised there too.

    Parameters
    ----------
    threads : int or None, default None
        Threads per task, at least 1; None for 1.

    Raises
    ------
    TypeError
        If `threads` is not an integer or None.
    ValueError
        If `threads` < 1.
    """

    name = "fastnn-thread-limits"

    def __init__(self, threads=None):
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
                raise TypeError(f"threads must be an integer or None, got "
                                f"{type(threads).__name__}")
            if threads < 1:
                raise ValueError(f"threads must be at least 1, got {threads}")
        self.threads = threads

    def setup(self, worker):
        import fastnn
        from threadpoolctl import threadpool_limits
        threads = 1 if self.threads is None else int(self.threads)
        # Not used as a context manager: the limit stays for the worker's life.
        threadpool_limits(limits=threads)
        fastnn.set_num_threads(threads)


def limit_worker_threads(client, threads=None):
    """Register :class:`ThreadLimits` on every current and future worker.

    Parameters
    ----------
    client : distributed.Client
    threads : int or None, default None
        Threads per task (None: 1).

    Returns
    -------
    ThreadLimits
        The plugin registered.
    """
    plugin = ThreadLimits(threads)
    client.register_plugin(plugin)
    return plugin


# ------------------------------------------------------------------ blocks

def _row_blocks(X, name):
    """`X` as a 2-D (or 1-D for targets) dask array chunked by rows only."""
    if isinstance(X, (dd.DataFrame, dd.Series)):
        X = X.to_dask_array(lengths=True)
    if not isinstance(X, da.Array):
        raise TypeError(f"{name} must be a dask array, DataFrame or Series, "
                        f"got {type(X).__name__}")
    if X.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got {X.ndim}-D")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes; call "
                         f"compute_chunk_sizes() (or to_dask_array(lengths=True)) first")
    if X.ndim == 2 and X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    return X


def _partial_fit_block(estimator, X_block, y_block, kwargs):
    estimator.partial_fit(X_block, y_block, **kwargs)
    return estimator


def _classes_if_needed(estimator, y, classes):
    """The `classes` to give the first partial_fit: those given, else the
    unique labels of `y` for an unfitted estimator whose partial_fit takes
    `classes` (a classifier), else None."""
    try:
        takes_classes = "classes" in inspect.signature(estimator.partial_fit).parameters
    except (TypeError, ValueError):     # pragma: no cover - builtins without a signature
        takes_classes = False
    if not takes_classes:
        if classes is not None:
            raise ValueError("classes was given but the estimator's partial_fit takes none")
        return None
    if classes is not None:
        return np.asarray(classes)
    if hasattr(estimator, "classes_"):
        return None
    # The unique labels of each block, reduced: never the whole y in one place.
    return da.unique(y).compute()


def fit_blocks(estimator, X, y, epochs=1, shuffle_blocks=True, random_state=None,
               classes=None, **fit_params):
    """Train `estimator` by ``partial_fit`` over the row blocks of `X`, `y`.

    Each epoch visits every row block once; with `shuffle_blocks` the order
    of epoch ``e`` is ``rng.permutation(n_blocks)``, the ``e``-th draw of
    ``rng = numpy.random.default_rng(random_state)``.  One step computes one
    block (on a worker when a distributed client is active), runs
    ``partial_fit`` there and brings the estimator back; the whole array is
    never gathered.  The result is bitwise that of calling ``partial_fit``
    on the same blocks in the same order in memory.

    Parameters
    ----------
    estimator : object with ``partial_fit(X, y, **kwargs)``
        Such as ``fastnn.MLPClassifier`` or ``fastnn.Network``; a copy is
        trained (the argument is left as it was).
    X : dask array (n_samples, n_features) or dask DataFrame
        Row blocks are the training steps; column chunks are merged.
    y : dask array (n_samples,) or (n_samples, n_outputs), or dask Series
        Rechunked to the row chunks of `X`.
    epochs : int, default 1
        Passes over all blocks, at least 1.
    shuffle_blocks : bool, default True
        Shuffle block order each epoch (rows inside a block keep the
        estimator's own shuffling).
    random_state : int, numpy Generator or None
        Seed of the block order.
    classes : array_like or None
        Labels for a classifier's first ``partial_fit``; None for the unique
        labels of `y` (computed block by block) unless already fitted.
    **fit_params
        Passed to every ``partial_fit`` call.

    Returns
    -------
    estimator
        The trained copy.

    Raises
    ------
    TypeError
        If `X` or `y` is not a dask collection or `estimator` has no
        ``partial_fit``.
    ValueError
        If `epochs` < 1, shapes disagree or chunk sizes are unknown.
    """
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(f"estimator must have partial_fit, got {type(estimator).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    X, y = _row_blocks(X, "X"), _row_blocks(y, "y")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same rows, got {X.shape[0]} and {y.shape[0]}")
    y = y.rechunk({0: X.chunks[0]})
    labels = _classes_if_needed(estimator, y, classes)
    # Steps may run in other processes: the result is always a new object.
    estimator = copy.deepcopy(estimator)
    rng = np.random.default_rng(random_state)
    X_blocks, y_blocks = X.to_delayed().ravel(), y.to_delayed().ravel()
    for _ in range(epochs):
        order = rng.permutation(len(X_blocks)) if shuffle_blocks else range(len(X_blocks))
        for i in order:
            kwargs = dict(fit_params)
            if labels is not None:
                kwargs["classes"] = labels
                labels = None       # only the first call takes them
            step = dask.delayed(_partial_fit_block, pure=False)(
                estimator, X_blocks[i], y_blocks[i], kwargs)
            estimator = step.compute()
    return estimator


# ------------------------------------------------------------------ inference

def _apply(block, model, method):
    return getattr(model, method)(block)


def _model_placeholder(model):
    """The model as a graph argument: scattered once to every worker when a
    distributed client is active (tasks then only name it), else the object
    itself (shared by the local scheduler's threads)."""
    try:
        from distributed import get_client
        client = get_client()
    except (ImportError, ValueError):
        return model
    return client.scatter(model, broadcast=True, hash=False)


def predict_blocks(model, X, method="predict"):
    """``model.<method>`` on every row block of `X`, the model shipped once.

    Parameters
    ----------
    model : fitted estimator or fastnn.Network
        Anything with `method` taking a 2-D array of rows.
    X : dask array (n_samples, n_features) or dask DataFrame
    method : str, default "predict"
        "predict", "predict_proba", "decision_function", ...

    Returns
    -------
    dask array or dask Series/DataFrame
        Lazy; rows in the chunks (or partitions, same index) of `X`; dtype and
        trailing shape those of `method` on one row.  Compute it under the
        client whose workers got the model.

    Raises
    ------
    TypeError
        If `X` is not a dask array or DataFrame.
    ValueError
        If `model` has no `method` or `X` is not 2-D.
    """
    if not callable(getattr(model, method, None)):
        raise ValueError(f"model has no method {method!r}")
    is_frame = isinstance(X, dd.DataFrame)
    if not is_frame and not isinstance(X, da.Array):
        raise TypeError(f"X must be a dask array or DataFrame, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got {X.ndim}-D")
    # One row computed here fixes the output's dtype and trailing shape.
    one_row = X._meta_nonempty.iloc[:1] if is_frame else np.zeros((1, X.shape[1]), X.dtype)
    probe = np.asarray(getattr(model, method)(one_row))
    placed = _model_placeholder(model)
    if is_frame:
        return _predict_partitions(X, placed, method, probe)
    X = X.rechunk({1: -1}) if X.numblocks[1] != 1 else X
    if probe.ndim == 1:
        return X.map_blocks(_apply, placed, method, drop_axis=1, dtype=probe.dtype,
                            meta=np.empty((0,), probe.dtype))
    return X.map_blocks(_apply, placed, method, chunks=(X.chunks[0], probe.shape[1:]),
                        dtype=probe.dtype, meta=np.empty((0,) * probe.ndim, probe.dtype))


def _frame_apply(part, model, method):
    import pandas as pd
    out = np.asarray(getattr(model, method)(part))
    if out.ndim == 1:
        return pd.Series(out, index=part.index)
    return pd.DataFrame(out, index=part.index)


def _predict_partitions(X, placed, method, probe):
    import pandas as pd
    if probe.ndim == 1:
        meta = pd.Series(np.empty((0,), probe.dtype))
    else:
        meta = pd.DataFrame(np.empty((0, probe.shape[1]), probe.dtype))
    return X.map_partitions(_frame_apply, placed, method, meta=meta)
