"""One crash cycle of the crash-consistency tests: let the load threads run for a random
while, SIGKILL the server, stop the threads, and restart the server on the same data."""
import time


def kill_and_restart(server, threads, rng, least, most):
    """Returns how long the restart took, in seconds."""
    for thread in threads:
        thread.start()
    time.sleep(rng.uniform(least, most))
    server.kill()
    for thread in threads:
        thread.stop = True
        thread.join(timeout=30)
    started = time.monotonic()
    server.start()
    return time.monotonic() - started
