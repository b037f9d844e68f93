"""What the Dask examples share: their command line and the cluster they run on.

Each example is run as a script (``python examples/<name>.py``, from the
repository root or from inside ``examples/``); a script's own folder is on
``sys.path`` then, so ``import _dask_cluster`` finds this file beside it.
"""
import argparse
from contextlib import contextmanager

from distributed import Client, LocalCluster

LOCAL_WORKERS = 2


def example_parser(doc, small_help):
    """The command line every Dask example takes.

    Parameters
    ----------
    doc : str
        The example's module docstring; its first line describes the command.
    small_help : str
        What ``--small`` shrinks in this example.

    Returns
    -------
    argparse.ArgumentParser
        With ``--scheduler ADDRESS`` (a running scheduler; none: a local
        cluster) and ``--small`` (a seconds-long run, used by the test suite).
        Examples may add their own options before parsing.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--scheduler", help="address of a running scheduler")
    parser.add_argument("--small", action="store_true", help=small_help)
    return parser


@contextmanager
def dask_client(scheduler=None):
    """A Client of the scheduler at `scheduler`, or of a local cluster.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``).  None starts a
        LocalCluster of LOCAL_WORKERS single-threaded worker processes (no
        dashboard), closed again on leaving the block.

    Yields
    ------
    distributed.Client
        The default client inside the ``with`` block.
    """
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    # Worker processes, like a real cluster's: what a task needs is sent to them.
    with LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client
