"""Examine every submission of a class in parallel: its code's fingerprints and its answers.

One task per student, in ``jobs`` processes forked warm (as the batch grader's are): read the
submission, fingerprint its code (:mod:`.fingerprints`), and, when grading left functions to
check, run them on the probe set in the sandbox (:mod:`.probe_run`). Both are per-student work
whose cost grows with the class; the comparisons that follow use indexes in one process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.batch.pool import GraderPool
from autograder.config import AssignmentConfig, load_config
from autograder.grading.runner import load_reference
from autograder.integrity.fingerprints import Fingerprints, fingerprint
from autograder.integrity.probe_run import ProbeTask, StudentAnswers, run_probes
from autograder.integrity.probes import probe_set
from autograder.integrity.sources import submission_code


@dataclass(frozen=True)
class Task:
    """One student: where the submission is, and the probes to run (or the answers already known)."""

    student_id: str
    path: Path
    probe: ProbeTask | None
    known: StudentAnswers | None  # when nothing needs to run


@dataclass(frozen=True)
class Examined:
    """One student's fingerprints (None when the code could not be read) and answers."""

    student_id: str
    fingerprints: Fingerprints | None
    answers: StudentAnswers
    problem: str | None = None  # why the code could not be read


def examine(
    assignment: AssignmentConfig,
    reference: Any,
    probes: dict,
    boilerplate: np.ndarray,
    task: Task,
) -> Examined:
    """Fingerprint one submission's code and run its probes (see the module docstring)."""
    try:
        code = submission_code(task.path, assignment.module)
    except Exception as error:  # vanished or unreadable since it was graded
        problem = f"the submission could not be read ({error})"
        return Examined(
            task.student_id, None, StudentAnswers(task.student_id, problem=problem), problem
        )
    prints = fingerprint(code.text, boilerplate)
    if task.probe is not None:
        answers = run_probes(assignment, reference, probes, task.probe)
    else:
        answers = task.known or StudentAnswers(task.student_id)
    return Examined(task.student_id, prints, answers)


_STATE: dict[str, Any] = {}


def _start(config_path: str, assignment_name: str, boilerplate: np.ndarray) -> None:
    """Pool initializer: load the config, reference and probe set once per process."""
    assignment = load_config(Path(config_path)).assignment(assignment_name)
    reference = load_reference(assignment)
    _STATE.update(
        assignment=assignment,
        reference=reference,
        probes=probe_set(assignment, reference),
        boilerplate=boilerplate,
    )


def _examine_one(task: Task) -> Examined:
    return examine(
        _STATE["assignment"], _STATE["reference"], _STATE["probes"], _STATE["boilerplate"], task
    )


def examine_class(
    tasks: Sequence[Task],
    assignment: AssignmentConfig,
    config_path: Path,
    boilerplate: np.ndarray,
    jobs: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Examined]:
    """:func:`examine` every task in ``jobs`` processes; one result per task, in order.

    A task whose process failed or died is examined as unreadable, with the reason.
    ``on_progress(done, total)`` is called after each task.
    """
    if not tasks:
        return []
    done: dict[str, Examined] = {}
    queue = list(tasks)
    running: dict[Future, Task] = {}

    def failed(task: Task, reason: str) -> Examined:
        answers = StudentAnswers(task.student_id, problem=reason)
        return Examined(task.student_id, None, answers, reason)

    workers = max(1, min(jobs, len(tasks)))
    with GraderPool(workers, _start, (str(config_path), assignment.name, boilerplate)) as pool:
        try:
            while queue or running:
                while queue and len(running) < 4 * jobs:
                    task = queue.pop(0)
                    try:
                        running[pool.submit(_examine_one, task)] = task
                    except BrokenProcessPool:
                        for lost in [task, *queue]:
                            done[lost.student_id] = failed(lost, "the examining processes died")
                        queue = []
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    try:
                        done[task.student_id] = future.result()
                    except Exception as error:  # the process failed or died on this one
                        done[task.student_id] = failed(task, f"examining it failed ({error})")
                    if on_progress:
                        on_progress(len(done), len(tasks))
        except KeyboardInterrupt:
            pool.terminate()
            raise
    return [done[t.student_id] for t in tasks]
