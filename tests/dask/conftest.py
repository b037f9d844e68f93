"""A real two-process LocalCluster shared by the Dask tests of a module."""
import os
import sys

import pytest

# The workers import the helper modules here by name (spawned processes get
# the parent's sys.path).
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client
