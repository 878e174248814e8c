"""Grader processes for a class: a process pool, forked warm, that Ctrl-C stops at once.

The batch grader and the integrity examiner both run one task per student in ``jobs``
processes. The processes are forked where the platform can (the imports are done once, in the
command; they run no student code themselves, each submission gets its own sandboxed worker),
each first forgets the worker zygotes it inherited (their control sockets are the parent's;
see :func:`autograder.sandbox.zygote.forget_zygotes`), then runs the caller's initializer.

On Ctrl-C, :meth:`GraderPool.terminate` ends the pool's processes at once instead of waiting
for the tasks in flight: the processes of this pool are the ``multiprocessing`` children that
appeared after it was made (``multiprocessing.active_children``), so no private attribute of
the executor is needed.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any


class GraderPool:
    """``jobs`` processes, each started with ``initializer(*initargs)``; use it in a ``with``.

    Leaving the ``with`` waits for the tasks in flight and cancels those not started.
    """

    def __init__(self, jobs: int, initializer: Callable[..., None], initargs: tuple = ()) -> None:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._before = set(multiprocessing.active_children())
        self._executor = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=context,
            initializer=start_grader_process,
            initargs=(initializer, *initargs),
        )

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        """Run ``function(*args)`` in one of the processes (raises BrokenProcessPool once one
        of them died)."""
        return self._executor.submit(function, *args)

    def terminate(self) -> None:
        """End every process of this pool now (SIGTERM); their tasks are lost."""
        for process in multiprocessing.active_children():
            if process not in self._before:
                process.terminate()

    def __enter__(self) -> GraderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def start_grader_process(initializer: Callable[..., None], *initargs: Any) -> None:
    """The first thing each pool process runs: forget the parent's zygotes, then initialize."""
    from autograder.sandbox.zygote import forget_zygotes

    forget_zygotes()
    initializer(*initargs)
