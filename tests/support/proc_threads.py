"""The threads of a process as Linux shows them in /proc (stat(5)): for tests and benchmarks
that look at the server's threads by name (CPU time, priority)."""
import os

# Indexes into the fields after the command name of /proc/PID[/task/TID]/stat.
UTIME, STIME, NICE = 11, 12, 16


def stat_fields(path):
    """(name, fields after the name) of one stat file; None if it went away."""
    try:
        with open(path) as stat:
            text = stat.read()
    except OSError:
        return None
    return text[text.index("(") + 1:text.rindex(")")], text.rsplit(")", 1)[1].split()


def threads(pid):
    """(name, fields) of every thread of process `pid` still alive."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        found = stat_fields(f"/proc/{pid}/task/{tid}/stat")
        if found:
            yield found


def process_nice(pid):
    return int(stat_fields(f"/proc/{pid}/stat")[1][NICE])
