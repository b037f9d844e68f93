"""The ``estimators`` group: fastnn.MLPClassifier against scikit-learn's.

Rows (each side built with identical parameters, hidden layer (64,),
``random_state=0``, ``tol=0`` and ``n_iter_no_change`` above ``max_iter`` so
that both run exactly ``max_iter`` epochs or L-BFGS iterations; X of the
row's dtype, fastnn's ``dtype`` set to it, scikit-learn computing in it):

- ``digits adam fit`` / ``digits lbfgs fit``: the 8x8 digits (a fixed 75/25
  split), 200 epochs / 100 iterations (30 / 20 under --quick);
- ``20000x100 adam fit`` / ``20000x100 lbfgs fit``: ``make_classification``
  (20,000 x 100, 10 classes, 25% held out; 4,000 rows under --quick), 20
  epochs / 50 iterations (5 / 10 under --quick);
- ``predict_proba 1 row``: one digits row through the fitted digits models,
  a block of calls per timed call (the table shows the time of one).

Time per whole ``fit`` (a new estimator each call, input validation
included) and the test accuracy of the last fit, side by side.
"""
import numpy as np

from fastnn.bench.network_cases import load_digits_data, split
from fastnn.bench.report import _fmt_spread, _fmt_time, thread_tables
from fastnn.bench.rows import make_row, median, plan_per_dtype
from fastnn.bench.timing import measure

HIDDEN = (64,)
PREDICT_CALLS = 200
# name -> (solver, data, max_iter, max_iter under --quick)
FITS = {
    "digits adam fit": ("adam", "digits", 200, 30),
    "digits lbfgs fit": ("lbfgs", "digits", 100, 20),
    "20000x100 adam fit": ("adam", "classification", 20, 5),
    "20000x100 lbfgs fit": ("lbfgs", "classification", 50, 10),
}
ROWS = list(FITS) + ["predict_proba 1 row"]
IMPLS = ("fastnn", "sklearn")


def _data(which, dtype, quick):
    if which == "digits":
        X, y = load_digits_data()
        return split(X.astype(dtype), y)
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=4_000 if quick else 20_000, n_features=100,
                               n_informative=30, n_classes=10, random_state=0)
    return split(X.astype(dtype), y)


def _params(solver, max_iter):
    return dict(hidden_layer_sizes=HIDDEN, solver=solver, max_iter=max_iter, tol=0.0,
                n_iter_no_change=max_iter + 1, random_state=0)


def _estimators(solver, max_iter, dtype, sklearn):
    import fastnn
    return {"fastnn": lambda: fastnn.MLPClassifier(dtype=dtype, **_params(solver, max_iter)),
            "sklearn": lambda: sklearn.MLPClassifier(**_params(solver, max_iter))}


def _fitter(make, X, y, fitted, key):
    def fit():
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # ConvergenceWarning at max_iter, by design
            fitted[key] = make().fit(X, y)
    return fit


def _fit_row(name, dtype, context, sklearn):
    solver, which, max_iter, quick_iter = FITS[name]
    max_iter = quick_iter if context.quick else max_iter
    X, y, X_test, y_test = _data(which, dtype, context.quick)
    makers = _estimators(solver, max_iter, dtype, sklearn)
    fitted = {}
    impls = {key: _fitter(makers[key], X, y, fitted, key)
             for key in IMPLS if key == "fastnn" or sklearn is not None}
    stats = measure(impls, context.budget)
    accuracy = {key: float(np.mean(est.predict(X_test) == y_test))
                for key, est in fitted.items()}
    notes = {"fastnn": f"{max_iter} {'epochs' if solver == 'adam' else 'iterations'}, "
                       f"{len(X)} training rows"}
    return make_row("estimators", name, "fit", dtype, len(X), context.threads, "call",
                    stats, notes=notes, accuracy=accuracy,
                    unavailable={} if sklearn is not None else
                    {"sklearn": "scikit-learn not installed"})


def _predict_row(dtype, context, sklearn):
    X, y, X_test, _ = _data("digits", dtype, True)
    makers = _estimators("adam", 30, dtype, sklearn)
    row = np.ascontiguousarray(X_test[:1])
    impls = {}
    for key in IMPLS:
        if key == "sklearn" and sklearn is None:
            continue
        fitted = {}
        _fitter(makers[key], X, y, fitted, key)()

        def calls(est=fitted[key]):
            for _ in range(PREDICT_CALLS):
                est.predict_proba(row)
        impls[key] = calls
    stats = measure(impls, context.budget)
    return make_row("estimators", "predict_proba 1 row", "predict", dtype, PREDICT_CALLS,
                    context.threads, "call", stats)


def plan(options):
    """The estimator rows of one thread count: the fit rows then the one-row predict_proba row, for each of
    ``options.dtypes`` (see :func:`fastnn.bench.rows.plan_per_dtype`)."""
    return plan_per_dtype(options, ROWS, _row)


def _row(name, dtype, context):
    sklearn = context.baselines.get("sklearn")
    if sklearn is None:
        # fastnn's estimators are scikit-learn estimators: nothing to time.
        why = "needs scikit-learn"
        return make_row("estimators", name, "fit" if name in FITS else "predict", dtype,
                        PREDICT_CALLS if name not in FITS else 0, context.threads, "call",
                        {}, unavailable={"fastnn": why, "sklearn": why})
    if name in FITS:
        return _fit_row(name, dtype, context, sklearn)
    return _predict_row(dtype, context, sklearn)


def _per_call(row, impl):
    seconds = median(row, impl)
    if seconds is None:
        return None
    return seconds / row["n"] if row["kind"] == "predict" else seconds


def _table_line(row):
    fast, base = _per_call(row, "fastnn"), _per_call(row, "sklearn")
    acc = row.get("accuracy", {})
    return [row["name"], row["dtype"], str(row["n"]) if row["kind"] == "fit" else "1",
            _fmt_time(fast), _fmt_time(base),
            "-" if fast is None or base is None else f"{base / fast:.1f}x",
            f"{acc['fastnn']:.3f}" if "fastnn" in acc else "-",
            f"{acc['sklearn']:.3f}" if "sklearn" in acc else "-",
            _fmt_spread(row)]


def tables(run):
    """Lines of the estimators table (one per thread count).

    Parameters
    ----------
    run : dict
        A run of :mod:`fastnn.bench.report`.

    Returns
    -------
    list of str
    """
    # Without scikit-learn nothing is timed; the run reports the missing
    # baseline once, so no table here.
    rows = [r for r in run["rows"] if r["group"] == "estimators" and r["results"]]
    return thread_tables(rows, "Estimators",
                         "fastnn.MLPClassifier vs sklearn.neural_network.MLPClassifier, "
                         "identical parameters, hidden (64,); time per whole fit (or per "
                         "predict_proba call), test accuracy of the fitted models",
                         ["benchmark", "dtype", "rows", "fastnn", "sklearn", "speedup",
                          "acc fastnn", "acc sklearn", "spread"],
                         _table_line)
