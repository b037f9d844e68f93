"""What the tests run on the workers, in a module of its own: a worker
imports a function it is sent by its module's name, which a test module
under pytest's importlib mode does not have.  An MLPClassifier that counts
how often it is unpickled in this process, and the thread report."""
import fastnn

UNPICKLES = 0


class CountingClassifier(fastnn.MLPClassifier):
    def __setstate__(self, state):
        global UNPICKLES
        UNPICKLES += 1
        super().__setstate__(state)


def unpickles():
    return UNPICKLES


def thread_report():
    """([(user_api, internal_api, num_threads)] of threadpoolctl, fastnn's
    kernel threads) of the calling thread."""
    import threadpoolctl
    return ([(d["user_api"], d["internal_api"], d["num_threads"])
             for d in threadpoolctl.threadpool_info()], fastnn.get_num_threads())
