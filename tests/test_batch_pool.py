"""The grader processes of a class (autograder/batch/pool.py) and the zygote handles a forked
grader must not share (autograder/sandbox/zygote.py forget_zygotes): real processes."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from autograder.batch.pool import GraderPool
from autograder.sandbox.client import PACKAGE_PARENT
from autograder.sandbox.zygote import forget_zygotes, zygote_for

ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
STATE: dict[str, object] = {}


def remember(value: str) -> None:
    STATE["value"] = value


def remembered() -> tuple[str, int]:
    return str(STATE.get("value")), os.getpid()


def sleep_long() -> None:
    time.sleep(60)


def test_every_process_runs_the_initializer_with_its_arguments():
    with GraderPool(2, remember, ("set by the initializer",)) as pool:
        answers = [pool.submit(remembered).result(timeout=60) for _ in range(4)]
    assert {value for value, _ in answers} == {"set by the initializer"}
    assert all(pid != os.getpid() for _, pid in answers)


def test_terminate_ends_the_pools_processes_and_no_other():
    bystander = multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,))
    bystander.start()
    try:
        with GraderPool(2, remember, ("x",)) as pool:
            futures = [pool.submit(sleep_long) for _ in range(2)]
            time.sleep(1.0)  # both tasks are running
            started = time.monotonic()
            pool.terminate()
            for future in futures:
                with pytest.raises(BrokenProcessPool):
                    future.result(timeout=30)
        assert time.monotonic() - started < 20  # not the 60 s of the tasks
        assert bystander.is_alive()
    finally:
        bystander.terminate()
        bystander.join()


def test_forgetting_the_zygotes_starts_a_new_one_and_leaves_the_old_one_running():
    packages = ("numpy",)
    first = zygote_for(packages, ENVIRONMENT, str(PACKAGE_PARENT))
    assert zygote_for(packages, ENVIRONMENT, str(PACKAGE_PARENT)) is first
    forget_zygotes()
    second = zygote_for(packages, ENVIRONMENT, str(PACKAGE_PARENT))
    try:
        assert second is not first and second.process.pid != first.process.pid
        assert first.alive
    finally:
        first.close()
        forget_zygotes()  # the next test starts its own
        second.close()
