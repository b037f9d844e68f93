"""Shared test fixtures."""
import os
import sys

import numpy as np
import pytest
from hypothesis import settings

# The helpers in tests/ (_reference.py) import by name under any pytest
# import mode, including the CI's --import-mode=importlib.
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


# Property tests: quick by default, FASTNN_HYPOTHESIS_PROFILE=thorough to dig.
settings.register_profile("default", max_examples=150, deadline=None)
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("FASTNN_HYPOTHESIS_PROFILE", "default"))
