"""The libraries fastnn is timed against, and which of them this machine has.

NumPy is always there; the others are optional.  A run loads the ones its
groups name once, and reports each missing one once (not on every row).
"""
from dataclasses import dataclass
import importlib
from typing import Dict, Iterable, Optional


@dataclass(frozen=True)
class Baseline:
    """One library a group can compare fastnn with.

    Attributes
    ----------
    label : str
        How titles and messages name it ("PyTorch").
    module : str
        The module a group needs from it, imported when the run starts.
    """
    label: str
    module: str


# The implementation key of rows -> the library; in the order titles list them.
BASELINES = {
    "numpy": Baseline("NumPy", "numpy"),
    "torch": Baseline("PyTorch", "torch"),
    "sklearn": Baseline("scikit-learn", "sklearn.neural_network"),
    "onnxruntime": Baseline("onnxruntime", "onnxruntime"),
}


def missing_reason(name):
    """What the report says about baseline `name` when it cannot be imported."""
    return f"{BASELINES[name].label} not installed"


@dataclass
class Loaded:
    """The baselines of a run: the imported modules and why others are absent.

    Attributes
    ----------
    modules : dict of str to module or None
        One entry per requested baseline; None when it is not installed.
    missing : dict of str to str
        Baseline -> reason, for those that are None in `modules`.
    """
    modules: Dict[str, Optional[object]]
    missing: Dict[str, str]

    def get(self, name):
        """The module of baseline `name`, or None if absent or not requested."""
        return self.modules.get(name)


def load(names: Iterable[str]) -> Loaded:
    """Import each named baseline that is installed.

    Parameters
    ----------
    names : iterable of str
        Keys of BASELINES; repeats are loaded once.

    Returns
    -------
    Loaded

    Raises
    ------
    ValueError
        If a name is not in BASELINES.
    """
    modules, missing = {}, {}
    for name in dict.fromkeys(names):
        if name not in BASELINES:
            raise ValueError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
        try:
            modules[name] = importlib.import_module(BASELINES[name].module)
        except ImportError:
            modules[name] = None
            missing[name] = missing_reason(name)
    return Loaded(modules, missing)


def labels_of(impls: Iterable[str]):
    """Labels of the baselines among `impls`, in BASELINES order ("NumPy", ...)."""
    present = set(impls)
    return [b.label for name, b in BASELINES.items() if name in present]
