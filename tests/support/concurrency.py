"""Running the same request from many threads at once."""
import threading
from concurrent.futures import ThreadPoolExecutor


def run_concurrently(app, n: int, fn):
    """Call `fn(client, i)` from `n` threads released together; results in order of i.

    Each thread has its own test client (so its own app context and session).
    """
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(app.test_client(), i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))
