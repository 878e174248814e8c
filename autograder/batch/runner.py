"""Grade a whole class in parallel, incrementally, surviving interruption.

Each student is graded by :func:`autograder.grading.runner.grade_submission`
in one of ``jobs`` grader processes (trusted; the student code still runs in
its own sandboxed worker), and their ``results.json`` and ``report.json`` are
written atomically into ``OUT/<student>/`` as soon as they are done. A
student whose submission, grading config, checks, reference and kit version
are unchanged since their last results.json is not graded again (unless
``force``); so a run that was interrupted (Ctrl-C, kill) resumes where it
stopped, and nothing already finished is lost.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from autograder.batch.discover import Entry
from autograder.batch.pool import GraderPool
from autograder.config import AssignmentConfig, load_config
from autograder.errors import GradingError
from autograder.grading.results import GradeResult, StudentResult, from_gradescope
from autograder.grading.runner import (
    config_fingerprint,
    grade_submission,
    load_reference,
    question_answer,
    write_outputs,
)
from autograder.grading.submission import read_submission
from autograder.outputs.student import write_answer_file

MAX_POOL_RESTARTS = 3


@dataclass(frozen=True)
class BatchOutcome:
    """Every student's result, and how each was obtained."""

    students: tuple[StudentResult, ...]
    graded: int  # graded in this run
    reused: int  # unchanged since the last run
    wall_seconds: float
    interrupted: bool = False


def previous_result(folder: Path, sha256: str, fingerprint: str) -> GradeResult | None:
    """The result in ``folder/results.json`` if it was made for this submission and this config."""
    try:
        data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        result = from_gradescope(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if result.sha256 == sha256 and result.config_fingerprint == fingerprint and result.graded:
        return result
    return None


# -- the grader processes --------------------------------------------------------------------

_STATE: dict[str, object] = {}


def _start_grader(config_path: str, assignment_name: str, figures: bool = True) -> None:
    """Pool initializer: load the config and the reference once per grader process."""
    _STATE["figures"] = figures
    assignment = load_config(Path(config_path)).assignment(assignment_name)
    _STATE["assignment"] = assignment
    _STATE["reference"] = load_reference(assignment)
    _STATE["fingerprint"] = config_fingerprint(assignment, Path(config_path))


def _grade_one(student_id: str, path: str, out_dir: str) -> GradeResult:
    assignment: AssignmentConfig = _STATE["assignment"]  # type: ignore[assignment]
    reference: ModuleType = _STATE["reference"]  # type: ignore[assignment]
    submission = read_submission(Path(path), assignment.module, list(assignment.functions))
    output = grade_submission(
        assignment,
        submission,
        reference=reference,
        fingerprint=str(_STATE["fingerprint"]),
        feedback=bool(_STATE.get("figures", True)),
    )
    write_outputs(output, Path(out_dir) / student_id)
    return output.result


# -- the run ---------------------------------------------------------------------------------


def check_the_checks(assignment: AssignmentConfig) -> GradeResult:
    """Grade the reference solution once; raise :class:`GradingError` unless it gets full marks
    (then return its result).

    Run before a class is graded, so that a broken check file, a missing package file or a
    wrong grading.yaml stops the run before any student's earlier results are overwritten.
    """
    reference_file = assignment.reference
    if reference_file.is_dir():
        reference_file = reference_file / f"{assignment.module}.py"
    output = grade_submission(
        assignment,
        read_submission(reference_file.resolve(), assignment.module, list(assignment.functions)),
        feedback=False,
    )
    result = output.result
    if result.score < result.max_score:
        failed = ", ".join(c.check_id for c in result.checks if not c.passed)
        raise GradingError(
            f"{reference_file}: the reference solution gets {result.score:g} / "
            f"{result.max_score:g} (failing: {failed}), so the checks or grading.yaml are wrong; "
            "no student was graded"
        )
    return result


def sort_out(
    entries: Sequence[Entry],
    assignment: AssignmentConfig,
    out: Path,
    fingerprint: str,
    force: bool,
    done: dict[str, StudentResult],
    on_progress: Callable[[StudentResult, bool], None] | None = None,
) -> tuple[list[tuple[Entry, str]], int]:
    """Which students to grade: each entry with its submission's sha256; and how many results
    were reused. The others go into ``done``: not gradable (discovery's problem, a submission
    that cannot be read) or up to date in ``out`` (unless ``force``)."""
    pending: list[tuple[Entry, str]] = []
    reused = 0
    for entry in entries:
        if entry.problem:
            done[entry.student_id] = StudentResult(
                entry.student_id, None, f"not graded: {entry.problem}"
            )
            if on_progress:
                on_progress(done[entry.student_id], False)
            continue
        try:
            submission = read_submission(entry.path, assignment.module, list(assignment.functions))
            sha256 = submission.sha256
        except Exception as error:  # a submission that vanished or cannot be read
            done[entry.student_id] = StudentResult(
                entry.student_id, None, f"not graded: the submission could not be read ({error})"
            )
            continue
        previous = None if force else previous_result(out / entry.student_id, sha256, fingerprint)
        if previous is not None:
            # the code is unchanged, but an ANSWER.md beside it may not be
            try:
                write_answer_file(question_answer(assignment, submission), out / entry.student_id)
            except OSError:  # graded again, whose writing says what is wrong with the folder
                pending.append((entry, sha256))
                continue
            done[entry.student_id] = StudentResult(entry.student_id, previous)
            reused += 1
            if on_progress:
                on_progress(done[entry.student_id], True)
        else:
            pending.append((entry, sha256))
    return pending, reused


def grade_batch(
    entries: Sequence[Entry],
    assignment: AssignmentConfig,
    config_path: Path,
    out: Path,
    jobs: int,
    force: bool = False,
    on_progress: Callable[[StudentResult, bool], None] | None = None,
    figures: bool = True,
) -> BatchOutcome:
    """Grade ``entries`` into ``out``; call ``on_progress(student, reused)`` after each student."""
    started = time.monotonic()
    fingerprint = config_fingerprint(assignment, config_path)
    check_the_checks(assignment)
    done: dict[str, StudentResult] = {}
    waiting, reused = sort_out(entries, assignment, out, fingerprint, force, done, on_progress)
    pending = [entry for entry, _ in waiting]

    interrupted = False
    restarts = 0
    try:
        while pending:
            pending = _run_pool(
                pending, assignment, config_path, out, jobs, done, on_progress, figures
            )
            restarts += 1
            if pending and restarts > MAX_POOL_RESTARTS:
                for entry in pending:
                    done[entry.student_id] = StudentResult(
                        entry.student_id,
                        None,
                        "not graded: the grader processes kept dying while grading it",
                    )
                pending = []
    except KeyboardInterrupt:
        interrupted = True
    ordered = tuple(done[e.student_id] for e in entries if e.student_id in done)
    graded = sum(1 for s in ordered if s.result is not None) - reused
    return BatchOutcome(ordered, graded, reused, time.monotonic() - started, interrupted)


def _run_pool(
    entries: Sequence[Entry],
    assignment: AssignmentConfig,
    config_path: Path,
    out: Path,
    jobs: int,
    done: dict[str, StudentResult],
    on_progress: Callable[[StudentResult, bool], None] | None,
    figures: bool = True,
) -> list[Entry]:
    """Grade ``entries`` with a fresh pool; return those left ungraded if the pool broke."""
    futures: dict[Future, Entry] = {}
    queue = list(entries)
    with GraderPool(jobs, _start_grader, (str(config_path), assignment.name, figures)) as pool:
        try:
            # keep a few tasks per grader in flight, so an interruption cancels little
            while queue or futures:
                while queue and len(futures) < 2 * jobs:
                    entry = queue.pop(0)
                    futures[
                        pool.submit(_grade_one, entry.student_id, str(entry.path), str(out))
                    ] = entry
                finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in finished:
                    entry = futures.pop(future)
                    try:
                        student = StudentResult(entry.student_id, future.result())
                    except BrokenProcessPool:
                        return [entry, *futures.values(), *queue]
                    except Exception as error:  # the grader failed on this one: record it, go on
                        student = StudentResult(entry.student_id, None, f"not graded: {error}")
                    done[entry.student_id] = student
                    if on_progress:
                        on_progress(student, False)
            return []
        except KeyboardInterrupt:
            pool.terminate()
            raise


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class Progress:
    """Students done, failing, time left: one updating line on a terminal, plain lines otherwise."""

    def __init__(self, total: int, stream=None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.done = 0
        self.failing = 0
        self.started = time.monotonic()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, student: StudentResult, reused: bool) -> None:
        self.done += 1
        result = student.result
        if result is None or result.score < result.max_score:
            self.failing += 1
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(
                f"\r[{bar}] {self.done}/{self.total} done, {self.failing} not full marks, "
                f"~{left:.0f} s left "
            )
            if self.done == self.total:
                self.stream.write("\n")
        else:
            score = (
                f"not graded ({student.why_not_graded})"
                if result is None or not student.graded
                else f"{result.score:g}/{result.max_score:g}"
            )
            note = " (unchanged, not regraded)" if reused else ""
            self.stream.write(f"{self.done}/{self.total} {student.student_id}: {score}{note}\n")
        self.stream.flush()
