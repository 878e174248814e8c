"""Run every student's functions once on the probe set, each submission in its own sandbox.

Exactly as grading runs them (:func:`autograder.grading.runner.grade_submission`): a
:class:`~autograder.sandbox.client.Sandbox` with the assignment's limits, packages and provided
modules; the values come back as plain data, decoded and never trusted. A function is called
as the student wrote it, with no stand-ins: which of its answers count is decided later
(:mod:`.shared_answers`), from how its callees answered.

What grading already knows saves work: a function that passed all its checks is not probed
(its answers are right, and a right answer is never evidence), nor one that hung or crashed
the worker when graded (it would only cost its time limit again), nor a submission whose
loading did not finish. Each of these is recorded as the reason it was not probed.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder.config import AssignmentConfig
from autograder.grading.results import GradeResult
from autograder.grading.runner import quiet_numerics, sandbox_limits, standin_handler
from autograder.grading.submission import read_submission
from autograder.integrity.probes import Probe
from autograder.sandbox.client import CallFailed, Sandbox

CORRECT_WHEN_GRADED = "passed all its checks when graded"
HUNG_WHEN_GRADED = "hung or crashed the grading process when graded"
# The failure kinds (CheckResult.failure_kinds) of a check whose function hung or ended the
# worker: "skipped" is a later call of a function that already did. A check's kinds are those
# of all its cases, so a check whose cases also call another function that hung counts too:
# that costs the function its probing, never a grade.
HANG_KINDS = ("timeout", "crash", "skipped")


@dataclass(frozen=True)
class Answer:
    """One probe call: the value it returned, or the kind of failure (``CallFailed.kind``)."""

    value: Any = None
    failure: str = ""

    @property
    def returned(self) -> bool:
        return not self.failure


@dataclass(frozen=True)
class StudentAnswers:
    """A student's answers to the probes, by function, and the functions not probed and why.

    ``problem`` says why nothing at all was probed (the submission could not be read or
    loaded); then ``answers`` is empty.
    """

    student_id: str
    answers: dict[str, tuple[Answer, ...]] = field(default_factory=dict)
    not_probed: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


@dataclass(frozen=True)
class ProbeTask:
    """One student to probe: where their submission is and which functions to call."""

    student_id: str
    path: Path
    functions: tuple[str, ...]
    not_probed: dict[str, str]


def plan(
    student_id: str,
    path: Path,
    result: GradeResult | None,
    probes: dict[str, list[Probe]],
) -> ProbeTask | StudentAnswers:
    """Which functions of this student to probe, given their grade (``None``: all of them).

    Returns the finished :class:`StudentAnswers` when nothing needs to run.
    """
    if result is not None and result.load_failure_kind == "timeout":
        return StudentAnswers(student_id, problem="loading the submission did not finish")
    functions: list[str] = []
    skipped: dict[str, str] = {}
    for function in probes:
        checks = [] if result is None else [c for c in result.checks if function in c.tags]
        if checks and all(c.passed for c in checks):
            skipped[function] = CORRECT_WHEN_GRADED
        elif any(set(c.failure_kinds) & set(HANG_KINDS) for c in checks):
            skipped[function] = HUNG_WHEN_GRADED
        else:
            functions.append(function)
    if not functions:
        return StudentAnswers(student_id, not_probed=skipped)
    return ProbeTask(student_id, path, tuple(functions), skipped)


def run_probes(
    assignment: AssignmentConfig,
    reference: ModuleType,
    probes: dict[str, list[Probe]],
    task: ProbeTask,
) -> StudentAnswers:
    """Load ``task``'s submission in a sandbox and call each of its functions on its probes."""
    try:
        submission = read_submission(task.path, assignment.module)
    except Exception as error:  # vanished or unreadable since it was graded
        return StudentAnswers(task.student_id, problem=f"could not be read ({error})")
    if submission.problem:
        return StudentAnswers(task.student_id, problem=submission.problem)
    scratch_root = Path(tempfile.mkdtemp(prefix="autograder-probe-"))
    try:
        sandbox = Sandbox(
            module_name=assignment.module,
            chunks=submission.chunks,
            scratch=scratch_root / "student",
            limits=sandbox_limits(assignment),
            standin_handler=standin_handler(assignment, reference),
            packages=assignment.packages,
            provided={module: p.functions for module, p in assignment.provides.items()},
        )
        with sandbox, quiet_numerics():
            load = sandbox.load()
            if load.failure:
                return StudentAnswers(task.student_id, problem=load.failure)
            answers = probe_sandbox(sandbox, probes, task.functions)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    return StudentAnswers(task.student_id, answers, dict(task.not_probed))


def probe_sandbox(
    sandbox: Sandbox, probes: dict[str, list[Probe]], functions: tuple[str, ...]
) -> dict[str, tuple[Answer, ...]]:
    """Call each of ``functions`` on its probes in an open, loaded ``sandbox`` (no stand-ins).

    Usable by grading too: called on the grading sandbox before it closes, it would give the
    answers for about a millisecond a call, with no sandbox of its own.
    """
    return {
        function: tuple(_call(sandbox, function, args, kwargs) for args, kwargs in probes[function])
        for function in functions
    }


def _call(sandbox: Sandbox, function: str, args: tuple, kwargs: dict) -> Answer:
    try:
        return Answer(sandbox.call(function, *args, **kwargs).value)
    except CallFailed as failure:
        return Answer(failure=failure.kind)
