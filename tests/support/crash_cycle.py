"""One crash cycle of the crash-consistency tests: let the load threads run for a random
while, SIGKILL the server, stop the threads, and restart the server on the same data."""
import time


def kill_and_restart(server, threads, rng, least, most, ready=None, ready_within=120.0):
    """Returns how long the restart took, in seconds.

    With `ready`, the random wait starts only once ready() holds (or ready_within seconds
    passed): on a slow machine (sanitizers, a loaded CI runner) the clients may need longer
    than the whole random window before their first acknowledgement, and a cycle killed
    before any would check nothing."""
    for thread in threads:
        thread.start()
    if ready is not None:
        deadline = time.monotonic() + ready_within
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.02)
    time.sleep(rng.uniform(least, most))
    server.kill()
    for thread in threads:
        thread.stop = True
        thread.join(timeout=30)
    started = time.monotonic()
    server.start()
    return time.monotonic() - started
