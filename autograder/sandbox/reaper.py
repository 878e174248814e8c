"""Collect processes a submission leaves behind.

Workers cannot fork (``RLIMIT_NPROC`` is 0 in a user namespace), so this is the
second line of defence: the grader makes itself a *child subreaper*, so that
any process orphaned below it is re-parented to it instead of to init, and
after each submission it kills such orphans. A process counts as a stray when
its parent is the grader, it lives in another session than the grader (every
worker starts a session of its own) and it is not a worker still in use.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
LIVE_WORKERS: set[int] = set()


def become_subreaper() -> bool:
    """Make this process a child subreaper (Linux); return whether it worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_strays() -> list[int]:
    """Kill and reap orphans re-parented to this process; return their pids."""
    me, my_session = os.getpid(), os.getsid(0)
    killed = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid, ppid, session = int(stat.parent.name), int(fields[1]), int(fields[3])
        if ppid != me or session == my_session or pid in LIVE_WORKERS:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        killed.append(pid)
    for pid in killed:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return killed
