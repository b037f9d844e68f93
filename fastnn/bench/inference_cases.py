"""The ``inference`` group: time per prediction call of a trained-shape MLP.

Rows: the 64-64-10 (digits-sized) and 784-256-10 (MNIST-sized) networks,
ReLU then softmax, float32, at batch 1, 32 and 1,024 rows.  Every side
computes the same class probabilities from the same weights, timed per
call on an input array prepared once, with whatever checking its public
call does:

- ``fastnn``: ``Network.predict_proba(X)``;
- ``onnxruntime``: an ``InferenceSession`` (CPU provider, intra-op threads =
  the row's thread count) on the model ``fastnn.interop.to_onnx`` exports;
- ``torch``: ``fastnn.interop.to_torch``'s module under
  ``torch.inference_mode()``, ``.numpy()`` of the output included;
- ``sklearn``: ``MLPClassifier.predict_proba`` with the same coefs_;
- ``numpy``: ``X @ W + b``, ``np.maximum``, a max-shifted softmax.
"""
from functools import partial

import numpy as np

import fastnn
from fastnn.bench.report import _fmt_spread, _fmt_time, thread_tables
from fastnn.bench.rows import Planned, make_row, median
from fastnn.bench.timing import measure

NETWORKS = {"64-64-10": [64, 64, 10], "784-256-10": [784, 256, 10]}
BATCHES = (1, 32, 1024)
IMPLS = ("fastnn", "onnxruntime", "torch", "sklearn", "numpy")


def make_network(sizes):
    """A seeded float32 ReLU/softmax network of the given sizes."""
    return fastnn.Network(sizes, ["relu", "softmax"], dtype="float32", seed=0)


def _numpy(net):
    (W1, b1), (W2, b2) = [(W.copy(), b.copy()) for W, b in net.params]

    def run(X):
        Z = np.maximum(X @ W1 + b1, 0) @ W2 + b2
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)
    return run


def _onnxruntime(ort, net, threads):
    from fastnn.interop import to_onnx
    model = to_onnx(net)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    outputs = [o.name for o in session.get_outputs()]
    # The probabilities output (the exporter may add a label output).
    probs = [o for o in outputs if "prob" in o.lower()] or outputs[:1]
    return lambda X: session.run(probs, {name: X})[0]


def _torch(torch, net):
    from fastnn.interop import to_torch
    module = to_torch(net).eval()

    def run(X):
        with torch.inference_mode():
            return module(torch.from_numpy(X)).numpy()
    return run


def _sklearn(neural_network, net, sizes):
    clf = neural_network.MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]),
                                       activation="relu", max_iter=1)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((sizes[-1] * 2, sizes[0])).astype(np.float32)
    clf.partial_fit(X, np.arange(X.shape[0]) % sizes[-1], classes=np.arange(sizes[-1]))
    clf.coefs_ = [W.copy() for W, _ in net.params]
    clf.intercepts_ = [b.copy() for _, b in net.params]
    return clf.predict_proba


def implementations(name, threads, baselines):
    """impl -> (X -> probabilities) for network `name`; absent baselines
    are left out.  Also returns the network."""
    sizes = NETWORKS[name]
    net = make_network(sizes)
    impls = {"fastnn": net.predict_proba}
    ort = baselines.get("onnxruntime")
    if ort is not None:
        impls["onnxruntime"] = _onnxruntime(ort, net, threads)
    torch = baselines.get("torch")
    if torch is not None:
        impls["torch"] = _torch(torch, net)
    sklearn = baselines.get("sklearn")
    if sklearn is not None:
        impls["sklearn"] = _sklearn(sklearn, net, sizes)
    impls["numpy"] = _numpy(net)
    return impls, net


def plan(options):
    """The inference rows of one thread count: both networks, every batch.

    Parameters
    ----------
    options : argparse.Namespace
        Unused (the rows are float32 only).

    Returns
    -------
    list of fastnn.bench.rows.Planned
    """
    return [Planned(f"{name} b={batch}", partial(_row, name, batch))
            for name in NETWORKS for batch in BATCHES]


def _row(name, batch, context):
    impls, net = implementations(name, context.threads, context.baselines)
    X = np.random.default_rng(1).standard_normal((batch, NETWORKS[name][0])).astype(np.float32)
    reference = net.predict_proba(X)
    notes = {}
    for impl, fn in impls.items():
        gap = float(np.max(np.abs(np.asarray(fn(X), np.float64) - reference)))
        if gap > 1e-4:
            notes[impl] = f"max abs difference from fastnn {gap:.1e}"
    stats = measure({impl: partial(fn, X) for impl, fn in impls.items()}, context.budget)
    unavailable = {i: context.baselines.missing[i] for i in ("onnxruntime", "torch", "sklearn")
                   if i in context.baselines.missing}
    return make_row("inference", name, "predict_proba", "float32", batch, context.threads,
                    "call", stats, unavailable=unavailable, notes=notes)


def _table_line(row):
    fast, ort = median(row, "fastnn"), median(row, "onnxruntime")
    return ([row["name"], row["dtype"], f"b={row['n']}"]
            + [_fmt_time(median(row, impl)) if impl in row["results"] else "-"
               for impl in IMPLS]
            + [f"{fast / ort:.2f}" if fast and ort else "-", _fmt_spread(row)])


def _table_notes(row):
    # Missing baselines are said once for the run (report.missing_lines).
    return [f"{row['name']} b={row['n']}: {impl}: {why}"
            for impl, why in row.get("notes", {}).items()]


def tables(run):
    """Lines of the inference table (one per thread count) and its footnotes."""
    rows = [r for r in run["rows"] if r["group"] == "inference"]
    return thread_tables(rows, "Inference",
                         "time per predict_proba call (median of interleaved rounds); "
                         "/ort = fastnn time / onnxruntime time (below 1: fastnn is faster)",
                         ["network", "dtype", "batch", *IMPLS, "/ort", "spread"],
                         _table_line, _table_notes)
