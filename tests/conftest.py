"""Shared test fixtures."""
import os
import sys

import numpy as np
import pytest

# The helpers in tests/ (_reference.py) import by name under any pytest
# import mode, including the CI's --import-mode=importlib.
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param
