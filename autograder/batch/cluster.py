"""Grade a class on a dask.distributed cluster: each student one task, every file written here.

``autograder grade-batch SUBS --out OUT --scheduler tcp://HOST:PORT`` sends each student who
has no up-to-date result (:func:`autograder.batch.runner.sort_out`) as one task to an existing
cluster whose workers have the kit installed. On the worker, :func:`grade_on_worker` grades
the submission exactly as a local grader process does
(:func:`autograder.grading.runner.grade_submission`: the student's code in its own sandboxed
worker, the checks in the trusted process), and returns the result as JSON text. The dask
workers write nothing into OUT: the submitting process validates what comes back
(:func:`accepted`) and writes each student's files atomically, as the local runner does.

**The submission travels with its task.** Workers need not share a file system with the
submitter: a task carries the bytes of the files the grader may choose from (the submission
file, or a folder's ``.py`` and ``.ipynb`` files, at most :data:`MAX_TASK_BYTES` in all), and
the worker writes them into a private temporary folder, removed afterwards.

**The course must be the same on every worker.** Each worker reads the course from its own
disk: the grading.yaml at the submitter's path, or at the path in the worker's environment
variable :data:`WORKER_CONFIG_VARIABLE` (a course mounted elsewhere). Before anything is
graded, the grading's fingerprint (:func:`autograder.grading.runner.config_fingerprint`: the
kit's version, grading.yaml, the checks, the reference) is computed on every worker present
and the reference is graded there (:func:`check_reference_on_worker`). A worker whose
fingerprint differs gets no student; a reference that loses points on a worker with the same
course stops the run, as :func:`autograder.batch.runner.check_the_checks` does locally. Every
task checks the fingerprint again (a worker restarted with another course): a student is never
graded with another course in silence, they are not graded, with the reason.

A task that cannot finish (its worker died, the workers left) gives a not-graded row with the
reason, never a 0. Ctrl-C cancels the tasks in flight; the students already written stay.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from autograder.batch.discover import Entry
from autograder.batch.runner import BatchOutcome, check_the_checks, sort_out
from autograder.config import AssignmentConfig, ConfigError, load_config
from autograder.errors import GradingError, UsageError
from autograder.grading.results import GradeResult, StudentResult, from_gradescope, to_gradescope
from autograder.grading.runner import (
    GradeOutput,
    config_fingerprint,
    grade_submission,
    lesson_text,
    load_reference,
    question_answer,
    remove_scratch,
    write_outputs,
)
from autograder.grading.submission import (
    MAX_SOURCE_BYTES,
    SubmissionNotFound,
    kind_of,
    read_regular_file,
    read_submission,
)

WORKER_CONFIG_VARIABLE = "AUTOGRADER_WORKER_CONFIG"
# what one task may carry: a few submissions' worth of the 2 MiB the grader reads of a file
MAX_TASK_BYTES = 4 * MAX_SOURCE_BYTES
# what one worker's reply may be: results.json, report.json and the figures' numbers, generously
MAX_REPLY_CHARS = 32 * 1024 * 1024
CONNECT_SECONDS = 30.0
WORKERS_SECONDS = 30.0  # how long to wait for a first worker
POLL_SECONDS = 2.0  # how often to see whether the workers that may grade are still there
WORKERS_LEFT = "not graded: the dask workers that could grade it left the cluster"
IN_FLIGHT_PER_WORKER = 2  # tasks queued per worker: enough to keep it busy, little to cancel


def missing_dependency() -> str | None:
    """One sentence when dask.distributed cannot be imported, else None."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return (
            "--scheduler needs dask.distributed, which is not installed: "
            "pip install 'sign-of-the-gradient[dask]'"
        )
    return None


# -- on the worker -------------------------------------------------------------------------------

# one grading at a time in a worker process (pytest, the redirected output and the check
# modules are per process), whatever --nthreads the worker was started with
_GRADING = threading.Lock()
_REFERENCES: dict[tuple[str, str], ModuleType] = {}


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except Exception:  # not in a dask worker (called directly)
        return socket.gethostname()


def _worker_course(payload: dict) -> tuple[AssignmentConfig, Path, str] | dict:
    """The worker's assignment, grading.yaml and fingerprint; or the reply refusing the task."""
    config_path = Path(os.environ.get(WORKER_CONFIG_VARIABLE) or payload["config"])
    where = f"the dask worker {_worker_name()}"
    try:
        assignment = load_config(config_path).assignment(payload["assignment"])
        fingerprint = config_fingerprint(assignment, config_path)
    except Exception as error:
        return {
            "status": "refused",
            "reason": f"{where} cannot read the course at {config_path} ({error})",
        }
    if fingerprint != payload["fingerprint"]:
        from autograder import __version__

        return {
            "status": "refused",
            "reason": f"{where} grades with a different course ({config_path}, kit "
            f"{__version__}: its grading fingerprint is {fingerprint[:12]}, the submitter's "
            f"{payload['fingerprint'][:12]}); the kit, grading.yaml, checks and reference must "
            "be the same on every worker",
        }
    return assignment, config_path, fingerprint


def check_reference_on_worker(payload: dict) -> str:
    """A dask task: whether this worker has the submitter's course and its reference gets full
    marks there. JSON text: ``{"status": "ok" | "refused" | "wrong" | "failed", "reason",
    "isolation"}``."""
    with _GRADING:
        course = _worker_course(payload)
        if isinstance(course, dict):
            return json.dumps(course)
        assignment = course[0]
        try:
            result = check_the_checks(assignment)
        except (GradingError, ConfigError) as error:  # as check_the_checks stops a local run
            return json.dumps({"status": "wrong", "reason": f"on {_worker_name()}: {error}"})
        except Exception as error:
            return json.dumps(
                {
                    "status": "failed",
                    "reason": f"on {_worker_name()}: {type(error).__name__}: {error}",
                }
            )
        return json.dumps({"status": "ok", "reason": "", "isolation": result.isolation})


def grade_on_worker(payload: dict) -> str:
    """A dask task: grade one submission shipped in ``payload`` (see :func:`task_payload`).

    Returns JSON text: ``{"status": "graded", "results": <results.json>, "report": ...,
    "feedback": ...}``, or ``{"status": "refused" | "failed", "reason": ...}``.
    """
    with _GRADING:
        course = _worker_course(payload)
        if isinstance(course, dict):
            return json.dumps(course)
        assignment, config_path, fingerprint = course
        key = (str(config_path), fingerprint)
        if key not in _REFERENCES:
            _REFERENCES[key] = load_reference(assignment)
        folder = Path(tempfile.mkdtemp(prefix="autograder-dask-"))
        try:
            target = _unpack(payload, folder)
            submission = read_submission(target, assignment.module, list(assignment.functions))
            output = grade_submission(
                assignment,
                submission,
                reference=_REFERENCES[key],
                fingerprint=fingerprint,
                feedback=bool(payload["figures"]),
            )
        except Exception as error:  # the grader failed on this one: the submitter says so
            return json.dumps(
                {"status": "failed", "reason": f"on {_worker_name()}: {error}"}, default=str
            )
        finally:
            remove_scratch(folder)
        return json.dumps(
            {
                "status": "graded",
                "results": to_gradescope(output.result),
                "report": output.report,
                "feedback": _plain(output.feedback_data),
            },
            default=str,
        )


def _unpack(payload: dict, folder: Path) -> Path:
    """Write the shipped files into ``folder``; return the path to grade (a file or folder)."""
    name = _bare(payload["name"])
    files = {_bare(n): bytes(data) for n, data in payload["files"].items()}
    if payload["folder"]:
        (folder / name).mkdir()
        for file, data in files.items():
            (folder / name / file).write_bytes(data)
    else:
        (folder / name).write_bytes(files[name])
    return folder / name


def _bare(name: str) -> str:
    """A file name that stays in its folder (the payload comes from the submitter; be sure)."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise ValueError(f"{name!r} is not a plain file name")
    return name


def _plain(value: Any) -> Any:
    """The figures' numbers as JSON: each numpy array as ``{"array": [...]}``."""
    if isinstance(value, np.ndarray):
        return {"array": np.asarray(value, dtype=float).tolist()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def _arrays(value: Any) -> Any:
    """The inverse of :func:`_plain` on data that came back from a worker."""
    if isinstance(value, dict):
        if set(value) == {"array"} and isinstance(value["array"], list):
            return np.asarray(value["array"], dtype=float)
        return {k: _arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_arrays(v) for v in value]
    return value


# -- in the submitting process --------------------------------------------------------------------


def task_payload(
    entry: Entry, config_path: Path, assignment: AssignmentConfig, fingerprint: str, figures: bool
) -> dict:
    """What one student's task carries: the course's identity and the submission's bytes.

    Raises :class:`SubmissionNotFound` when the files cannot be read or are more than
    :data:`MAX_TASK_BYTES` together.
    """
    path = Path(entry.path)
    folder = kind_of(path) == "folder"
    if folder:
        names = sorted(
            p.name for p in path.iterdir() if p.suffix in (".py", ".ipynb") and kind_of(p) == "file"
        )
    else:
        names = [path.name]
    files: dict[str, bytes] = {}
    total = 0
    for name in names:
        data, _ = read_regular_file(path / name if folder else path, MAX_TASK_BYTES)
        total += len(data)
        if total > MAX_TASK_BYTES:
            raise SubmissionNotFound(
                f"its files are more than the {MAX_TASK_BYTES // (1024 * 1024)} MiB a cluster "
                "task carries; a run without --scheduler grades it"
            )
        files[name] = data
    return {
        "config": str(config_path.resolve()),
        "assignment": assignment.name,
        "fingerprint": fingerprint,
        "figures": figures,
        "name": path.name,
        "folder": folder,
        "files": files,
    }


def accepted(
    reply: object, assignment: AssignmentConfig, sha256: str, fingerprint: str, figures: bool
) -> GradeOutput:
    """The grading a worker returned, checked before anything is written; raises ValueError
    with the reason when it is not a grading of this submission by this course."""
    if not isinstance(reply, str) or len(reply) > MAX_REPLY_CHARS:
        raise ValueError("the worker's answer is not JSON text of a bounded size")
    try:
        data = json.loads(reply)
    except RecursionError:
        raise ValueError("the worker's answer is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("the worker's answer is not a JSON object")
    if data.get("status") != "graded":
        reason = data.get("reason")
        raise ValueError(str(reason) if reason else "the worker gave no grading and no reason")
    results, report = data.get("results"), data.get("report")
    if not isinstance(results, dict) or not isinstance(report, dict):
        raise ValueError("the worker's answer lacks results or report")
    try:
        result = from_gradescope(results)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise ValueError(f"the worker's results are malformed ({error!r})") from None
    _check_result(result, assignment, sha256, fingerprint)
    try:  # every field of the kind results.json needs (a number where text is due fails here)
        json.dumps(to_gradescope(result))
    except Exception as error:
        raise ValueError(f"the worker's results are malformed ({error!r})") from None
    try:  # the figures' numbers: whatever cannot be read back just draws no picture
        feedback = _arrays(data.get("feedback"))
    except (ValueError, TypeError, RecursionError):
        feedback = None
    feedback_module = None
    if figures:
        from autograder.feedback.pages import load_feedback_module

        feedback_module = load_feedback_module(assignment.release_dir)
    return GradeOutput(
        result,
        report,
        assignment.title,
        feedback_module,
        feedback if isinstance(feedback, dict) else None,
        lesson=lesson_text(assignment),
    )


def _check_result(
    result: GradeResult, assignment: AssignmentConfig, sha256: str, fingerprint: str
) -> None:
    """Raise ValueError unless ``result`` is a grading of this submission, this course and its
    checks, with points that add up."""
    problems = []
    if result.assignment != assignment.name:
        problems.append(f"assignment {result.assignment!r}")
    if result.sha256 != sha256:
        problems.append("a different submission (its sha256 differs)")
    if result.config_fingerprint != fingerprint:
        problems.append("a different course (its grading fingerprint differs)")
    if not result.graded:
        problems.append("no grade")
    if [c.check_id for c in result.checks] != list(assignment.checks):
        problems.append("checks other than grading.yaml's")
    else:
        for check in result.checks:
            points = assignment.checks[check.check_id].points
            if check.max_score != points or not 0 <= check.score <= points:
                problems.append(f"{check.score:g} / {check.max_score:g} points on {check.check_id}")
    total = sum(c.score for c in result.checks)
    if not math.isclose(result.score, total, abs_tol=1e-3) or result.max_score != (
        assignment.max_score
    ):
        problems.append(f"a score of {result.score:g} / {result.max_score:g}")
    isolation = result.isolation
    if not isinstance(isolation, dict) or not isinstance(isolation.get("level"), str):
        problems.append("no isolation record")
    if problems:
        raise ValueError("the worker's result is not to be trusted: " + "; ".join(problems))


def _connect(scheduler: str):
    from distributed import Client

    try:
        return Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise UsageError(
            f"--scheduler {scheduler}: no dask scheduler answered there ({error})"
        ) from None


def _workers(client) -> set[str]:
    """The addresses of the cluster's workers now."""
    return set(client.nthreads())


def _settle(client, futures: dict[Any, Any]) -> None:
    """Wait until every future in ``futures`` is done, or its workers have left the cluster
    (a task restricted to workers that are gone would wait for ever)."""
    checked = time.monotonic()
    while not all(future.done() for future in futures):
        time.sleep(0.05)
        if time.monotonic() - checked > POLL_SECONDS:
            checked = time.monotonic()
            if not _workers(client) & set(futures.values()):
                return


def check_cluster(client, scheduler: str, payload: dict) -> tuple[list[str], list[str]]:
    """Grade the reference on every worker present; return the workers that may grade and a
    sentence for each that may not. Raises :class:`GradingError` when the reference loses
    points on a worker with the submitter's course (the checks or grading.yaml are wrong)."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except (TimeoutError, OSError):
        raise UsageError(
            f"--scheduler {scheduler}: the cluster has no worker (waited {WORKERS_SECONDS:g} s)"
        ) from None
    run = uuid.uuid4().hex[:8]
    futures = {
        address: client.submit(
            check_reference_on_worker,
            payload,
            key=f"autograder-reference-{run}-{number}",
            workers=[address],
            allow_other_workers=False,
            pure=False,
        )
        for number, address in enumerate(sorted(_workers(client)))
    }
    _settle(client, {future: address for address, future in futures.items()})
    good, refused = [], []
    for address, future in futures.items():
        if not future.done():
            refused.append(f"the dask worker {address} left the cluster")
            continue
        try:
            reply = json.loads(future.result())
            status, reason = reply.get("status"), str(reply.get("reason", ""))
        except Exception as error:  # the worker died or left, or answered nonsense
            status, reason = "failed", f"the dask worker {address} failed ({error!r})"
        if status == "ok":
            good.append(address)
        elif status == "wrong":
            raise GradingError(reason)
        else:
            refused.append(reason or f"the dask worker {address} did not grade the reference")
    return good, refused


def grade_on_cluster(
    entries: Sequence[Entry],
    assignment: AssignmentConfig,
    config_path: Path,
    out: Path,
    scheduler: str,
    force: bool = False,
    on_progress: Callable[[StudentResult, bool], None] | None = None,
    figures: bool = True,
    on_worker_refused: Callable[[str], None] | None = None,
) -> BatchOutcome:
    """Grade ``entries`` on the cluster at ``scheduler`` into ``out`` (see the module's doc).

    Students whose results are up to date are reused and nothing is sent for them; when every
    student is, the cluster is not even contacted. ``on_worker_refused`` hears one sentence
    per worker that may not grade (another course, a failure).
    """
    started = time.monotonic()
    fingerprint = config_fingerprint(assignment, config_path)
    done: dict[str, StudentResult] = {}
    pending, reused = sort_out(entries, assignment, out, fingerprint, force, done, on_progress)
    interrupted = False
    if pending:
        client = _connect(scheduler)
        try:
            payload = {
                "config": str(config_path.resolve()),
                "assignment": assignment.name,
                "fingerprint": fingerprint,
            }
            good, refused = check_cluster(client, scheduler, payload)
            for sentence in refused:
                if on_worker_refused:
                    on_worker_refused(sentence)
            if not good:
                reason = refused[0] if refused else "the cluster has no worker"
                for entry, _ in pending:
                    _record(done, entry, None, f"not graded: {reason}", on_progress)
            else:
                course = (assignment, config_path, fingerprint, figures)
                _run_tasks(client, good, pending, course, out, done, on_progress)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            client.close()
    ordered = tuple(done[e.student_id] for e in entries if e.student_id in done)
    graded = sum(1 for s in ordered if s.result is not None) - reused
    return BatchOutcome(ordered, graded, reused, time.monotonic() - started, interrupted)


def _record(
    done: dict[str, StudentResult],
    entry: Entry,
    result: GradeResult | None,
    failure: str | None,
    on_progress: Callable[[StudentResult, bool], None] | None,
) -> None:
    done[entry.student_id] = StudentResult(entry.student_id, result, failure)
    if on_progress:
        on_progress(done[entry.student_id], False)


def _run_tasks(
    client,
    good: list[str],
    pending: list[tuple[Entry, str]],
    course: tuple[AssignmentConfig, Path, str, bool],
    out: Path,
    done: dict[str, StudentResult],
    on_progress: Callable[[StudentResult, bool], None] | None,
) -> None:
    """Send ``pending`` (entry, sha256) to the workers ``good``, a few at a time; write each
    accepted result as it comes back. ``course`` is the assignment, grading.yaml's path, the
    grading fingerprint and whether to draw the figures."""
    assignment, config_path, fingerprint, figures = course
    run = uuid.uuid4().hex[:8]
    checked = time.monotonic()
    queue = list(pending)
    futures: dict[Any, tuple[Entry, str]] = {}
    try:
        while queue or futures:
            while queue and len(futures) < IN_FLIGHT_PER_WORKER * len(good):
                entry, sha256 = queue.pop(0)
                try:
                    payload = task_payload(entry, config_path, assignment, fingerprint, figures)
                except (SubmissionNotFound, OSError) as error:
                    _record(done, entry, None, f"not graded: {error}", on_progress)
                    continue
                # a key of its own: dask gives every task of one key the same result
                future = client.submit(
                    grade_on_worker,
                    payload,
                    key=f"autograder-{run}-{len(pending) - len(queue)}",
                    workers=good,
                    allow_other_workers=False,
                    pure=False,
                )
                futures[future] = (entry, sha256)
            if not futures:
                continue
            finished = [future for future in futures if future.done()]
            if not finished:
                time.sleep(0.05)
                if time.monotonic() - checked > POLL_SECONDS:
                    checked = time.monotonic()
                    if not _workers(client) & set(good):
                        for entry, _ in [*futures.values(), *queue]:
                            _record(done, entry, None, WORKERS_LEFT, on_progress)
                        client.cancel(list(futures))
                        return
                continue
            for future in finished:
                entry, sha256 = futures.pop(future)
                _finish(
                    future, entry, sha256, assignment, out, fingerprint, figures, done, on_progress
                )
    except KeyboardInterrupt:
        client.cancel(list(futures))
        raise


def _finish(
    future,
    entry: Entry,
    sha256: str,
    assignment: AssignmentConfig,
    out: Path,
    fingerprint: str,
    figures: bool,
    done: dict[str, StudentResult],
    on_progress: Callable[[StudentResult, bool], None] | None,
) -> None:
    """Check one task's reply and write the student's files, or record why not."""
    try:
        reply = future.result()
    except Exception as error:  # the task was lost: its workers died (KilledWorker), ...
        _record(
            done, entry, None, f"not graded: the cluster lost its task ({error!r})", on_progress
        )
        return
    try:
        output = accepted(reply, assignment, sha256, fingerprint, figures)
    except ValueError as error:
        _record(done, entry, None, f"not graded: {error}", on_progress)
        return
    try:
        # the answer to the lesson's question is read here, from the submission this process
        # sent, as a local grading reads it (the worker's reply carries none)
        if assignment.question is not None:
            submission = read_submission(entry.path, assignment.module, list(assignment.functions))
            output = dataclasses.replace(output, answer=question_answer(assignment, submission))
        write_outputs(output, out / entry.student_id)
    except Exception as error:  # as a local grader process that fails to write: say so, go on
        _record(done, entry, None, f"not graded: {error}", on_progress)
        return
    _record(done, entry, output.result, None, on_progress)
