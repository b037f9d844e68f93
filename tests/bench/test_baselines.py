"""fastnn.bench.baselines: which optional libraries a run has, said once."""
import importlib
import sys

import pytest

from fastnn.bench import baselines


class _Blocked:
    """A meta-path finder that makes `names` look uninstalled."""

    def __init__(self, *names):
        self.names = set(names)

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ImportError(f"No module named {name!r}")
        return None


@pytest.fixture
def no_torch(monkeypatch):
    for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_Blocked("torch"), *sys.meta_path])


def test_load_imports_each_installed_baseline_once():
    loaded = baselines.load(["numpy", "numpy"])
    assert loaded.modules == {"numpy": importlib.import_module("numpy")}
    assert loaded.missing == {} and loaded.get("torch") is None


def test_a_missing_baseline_is_none_with_its_reason(no_torch):
    loaded = baselines.load(["numpy", "torch"])
    assert loaded.get("torch") is None and loaded.get("numpy") is not None
    assert loaded.missing == {"torch": "PyTorch not installed"}


def test_unknown_baseline_is_refused():
    with pytest.raises(ValueError, match="unknown baseline 'jax'"):
        baselines.load(["jax"])


def test_labels_follow_the_registry_order():
    assert baselines.labels_of(["sklearn", "fastnn", "gemm only", "numpy"]) == \
        ["NumPy", "scikit-learn"]
