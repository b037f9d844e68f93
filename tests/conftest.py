"""Shared test fixtures."""
import os
import sys

import numpy as np
import pytest
from hypothesis import settings

# The shared helpers in tests/ (_arrays.py, _reference.py, _paths.py) and
# tests/interop/_interop.py import by name from every subfolder under any
# pytest import mode, including the CI's --import-mode=importlib (which, unlike
# the default mode, puts no test folder on sys.path).
_TESTS = os.path.dirname(os.path.abspath(__file__))
for _helpers in (_TESTS, os.path.join(_TESTS, "interop")):
    sys.path.insert(0, _helpers)


@pytest.fixture
def restore_threads():
    """fastnn's thread count as it was before the test (yielded) and after."""
    import fastnn
    before = fastnn.get_num_threads()
    yield before
    fastnn.set_num_threads(before)


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


# Property tests: quick by default, FASTNN_HYPOTHESIS_PROFILE=thorough to dig.
settings.register_profile("default", max_examples=150, deadline=None)
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("FASTNN_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def plain_env(monkeypatch):
    """No compiler flags or preloads from the environment, for the tests
    that build C drivers (_cbuild.py): the sanitizer CI run sets them for
    the extension, not for those."""
    for name in ("CPPFLAGS", "CFLAGS", "LDFLAGS", "LD_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
