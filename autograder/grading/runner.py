"""Grade one submission: sandbox it, run the hidden checks in this (trusted) process, write results.

The results are assembled here, from values this process computed or
checked, and written last and atomically; nothing the submission does can
reach them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from pytest_jsonreport.plugin import JSONReport

from autograder import __version__
from autograder.config import AssignmentConfig, ConfigError
from autograder.errors import GradingError
from autograder.feedback.pages import load_feedback_module
from autograder.grading.diagnosis import load_catalog
from autograder.grading.plugin import GradingPlugin
from autograder.grading.results import (
    MAX_PRINTED_CHARS,
    CheckResult,
    GradeResult,
    nothing_implemented,
)
from autograder.grading.submission import Submission
from autograder.loading import load_file_module
from autograder.sandbox.client import Sandbox, SandboxLimits

NO_CODE_RAN = {
    "level": "not needed",
    "mechanisms": [],
    "missing": [],
    "note": "no student code ran",
}


def weaker_than_full(isolation: dict) -> bool:
    """Whether a result's isolation record (``extra_data.isolation``) says student code ran
    with less than the full sandbox: a level neither ``full`` nor ``not needed``."""
    return isolation.get("level", "none") not in ("full", "not needed")


@contextlib.contextmanager
def quiet_numerics() -> Iterator[None]:
    """Keep the grader's own numeric warnings (the reference or a picture computed on a student's
    diverging values) out of the terminal: they are the grader's business, not the user's."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@dataclass(frozen=True)
class GradeOutput:
    """A graded submission, the pytest-json-report report of its check run, and feedback data."""

    result: GradeResult
    report: dict
    title: str = ""
    feedback_module: ModuleType | None = None
    feedback_data: dict | None = None
    answer: str | None = None  # the answer to the lesson's question, for a person to grade
    lesson: str = ""  # the lesson's text, whose sections the feedback page quotes where cited


def load_reference(assignment: AssignmentConfig) -> ModuleType:
    """Import the assignment's reference solution (trusted; never sent to a worker).

    Modules the assignment ``provides`` (other assignments' references) are
    importable by their names in this process, as the reference may import them.
    """
    for module, reference in load_providers(assignment).items():
        sys.modules.setdefault(module, reference)
    path = assignment.reference
    if path.is_dir():
        path = path / f"{assignment.module}.py"
    return _load_trusted_module(path)


def load_providers(assignment: AssignmentConfig) -> dict[str, ModuleType]:
    """The references behind the modules the assignment provides, by module name."""
    return {module: _load_trusted_module(p.reference) for module, p in assignment.provides.items()}


def _load_trusted_module(path: Path) -> ModuleType:
    return load_file_module(path, "reference")


def standin_handler(assignment: AssignmentConfig, reference: ModuleType):
    """Compute a stand-in in the grader: ``name`` is one of the assignment's functions, or
    ``module.function`` of a module the assignment ``provides`` (another assignment's reference)."""
    providers = load_providers(assignment)
    allowed = {f"{module}.{f}" for module, p in assignment.provides.items() for f in p.functions}

    def handle(name: str, args: list, kwargs: dict):
        if "." in name:
            if name not in allowed:
                raise ValueError(f"{name} is not provided")
            module, function = name.split(".", 1)
            return getattr(providers[module], function)(*args, **kwargs)
        if name not in assignment.functions:
            raise ValueError(f"{name} is not a function of this assignment")
        return getattr(reference, name)(*args, **kwargs)

    return handle


def config_fingerprint(assignment: AssignmentConfig, config_path: Path) -> str:
    """A hash of everything that decides a grade (or its pages) besides the submission: config,
    checks, reference, figure code, lesson, kit."""
    digest = hashlib.sha256(__version__.encode())
    reference = assignment.reference
    files = [Path(config_path), *sorted(assignment.checks_dir.rglob("*.py"))]
    files += sorted(assignment.release_dir.glob("feedback_figures.py"))
    files += [assignment.lesson] if assignment.lesson.is_file() else []  # quoted by the pages
    files += sorted(reference.rglob("*.py")) if reference.is_dir() else [reference]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def seed_for(assignment: AssignmentConfig, sha256: str, override: int | None) -> int:
    """The seed of the random check inputs: ``override``, or the policy's base mixed with the hash."""
    if override is not None:
        return override
    if not assignment.seed.per_submission:
        return assignment.seed.base
    return (assignment.seed.base + int(sha256[:12], 16)) % (2**32)


def sandbox_limits(assignment: AssignmentConfig) -> SandboxLimits:
    limits = assignment.limits
    return SandboxLimits(
        call_seconds=limits.call_seconds,
        submission_seconds=limits.submission_seconds,
        memory_bytes=limits.memory_mb * 1024 * 1024,
        output_chars=limits.output_kb * 1024,
    )


def grade_submission(
    assignment: AssignmentConfig,
    submission: Submission,
    seed: int | None = None,
    reference: ModuleType | None = None,
    fingerprint: str = "",
    feedback: bool = True,
) -> GradeOutput:
    """Grade ``submission`` against ``assignment``'s checks; return the records (writes nothing).

    Raises :class:`GradingError` when the check run itself failed (a check crashed in the
    grader, a check file did not load, a configured check gave no result): then there is no
    grade, and nothing must be written that looks like one.
    """
    with quiet_numerics():
        return _grade_submission(assignment, submission, seed, reference, fingerprint, feedback)


def _grade_submission(
    assignment: AssignmentConfig,
    submission: Submission,
    seed: int | None,
    reference: ModuleType | None,
    fingerprint: str,
    feedback: bool,
) -> GradeOutput:
    started = time.monotonic()
    reference = reference or load_reference(assignment)
    catalog = load_catalog(assignment.checks_dir)
    seed = seed_for(assignment, submission.sha256, seed)
    scratch_root = Path(tempfile.mkdtemp(prefix="autograder-"))
    try:
        sandbox = Sandbox(
            module_name=assignment.module,
            chunks=submission.chunks if not submission.problem else (),
            scratch=scratch_root / "student",
            limits=sandbox_limits(assignment),
            standin_handler=standin_handler(assignment, reference),
            packages=assignment.packages,
            provided={module: p.functions for module, p in assignment.provides.items()},
        )
        with sandbox:
            if submission.problem:
                sandbox.refuse_load(submission.problem)
            load = sandbox.load()
            plugin = GradingPlugin(assignment, sandbox, reference, catalog, seed)
            report, exit_code = run_checks(assignment, plugin)
            feedback_module = load_feedback_module(assignment.release_dir) if feedback else None
            feedback_data = collect_feedback(feedback_module, sandbox, reference)
            process_output = sandbox.close()
    finally:
        remove_scratch(scratch_root)
    _refuse_failed_run(assignment, plugin, exit_code)
    checks = tuple(_ordered_records(assignment, plugin.records))
    problems = _load_problems(load, submission) + _elsewhere(load, assignment)
    result = GradeResult(
        assignment=assignment.name,
        submission=submission.path.name,
        score=round(sum(c.score for c in checks), 6),
        max_score=assignment.max_score,
        execution_time=time.monotonic() - started,
        output=_summary(submission, checks, problems, assignment),
        printed=(load.output + process_output).strip()[:MAX_PRINTED_CHARS],
        checks=checks,
        seed=seed,
        sha256=submission.sha256,
        kit_version=__version__,
        isolation=sandbox.isolation or NO_CODE_RAN,
        load_problems=tuple(problems),
        notes=submission.notes,
        config_fingerprint=fingerprint,
        load_failure_kind=load.failure_kind,
    )
    return GradeOutput(
        result,
        report,
        assignment.title,
        feedback_module,
        feedback_data,
        question_answer(assignment, submission),
        lesson_text(assignment),
    )


def question_answer(assignment: AssignmentConfig, submission: Submission) -> str | None:
    """The submission's answer to the lesson's question, when the assignment asks one."""
    return submission.answer if assignment.question is not None else None


def lesson_text(assignment: AssignmentConfig) -> str:
    """The lesson students read (the instructor's file), or "" when it cannot be read."""
    try:
        return assignment.lesson.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def remove_scratch(folder: Path) -> None:
    """Remove a worker's scratch folder, whatever the worker left there.

    shutil.rmtree works on file descriptors (it follows no link and opens no FIFO), but it
    recurses in Python: a tree thousands of folders deep (possible where the worker's scratch
    is not its own tmpfs) raises RecursionError, which ``ignore_errors`` does not catch.
    """
    try:
        shutil.rmtree(folder, ignore_errors=True)
    except RecursionError:
        subprocess.run(
            ["rm", "-rf", "--one-file-system", "--", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def collect_feedback(
    module: ModuleType | None, sandbox: Sandbox, reference: ModuleType
) -> dict | None:
    """The numbers behind the feedback pictures, from the student's own functions (no stand-ins)."""
    if module is None or sandbox.load_report is None or sandbox.load_report.failure:
        return None
    try:
        return module.collect(lambda name, *a, **k: sandbox.call(name, *a, **k).value, reference)
    except Exception:  # pictures are a bonus: never let them cost a grade
        return None


def _refuse_failed_run(assignment: AssignmentConfig, plugin: GradingPlugin, exit_code: int) -> None:
    """Raise :class:`GradingError` unless every configured check ran and gave a result."""
    if plugin.grader_errors:
        raise GradingError(plugin.grader_errors[0])
    if plugin.config_problem:
        raise ConfigError(f"{assignment.checks_dir}: {plugin.config_problem}")
    missing = [name for name in assignment.checks if name not in plugin.records]
    if missing:
        raise GradingError(
            f"{assignment.checks_dir}: the check run gave no result for "
            f"{', '.join(missing)} (pytest exit status {exit_code})"
        )
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise GradingError(
            f"{assignment.checks_dir}: the check run failed (pytest exit status {exit_code})"
        )


def run_checks(assignment: AssignmentConfig, plugin: GradingPlugin) -> tuple[dict, int]:
    """Run the assignment's check files with pytest, in this process.

    Returns pytest-json-report's report and pytest's exit status.
    """
    json_report = JSONReport()
    arguments = [
        str(assignment.checks_dir),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        # these two plugins call gc.collect() at the end of every session: ~20 ms a submission
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "--import-mode=importlib",
        "--rootdir",
        str(assignment.checks_dir),
        "-c",
        str(Path(__file__).with_name("pytest.ini")),
        "--json-report-file=none",
        "-q",
    ]
    _forget_other_check_modules(assignment.checks_dir)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        exit_code = pytest.main(arguments, plugins=[plugin, json_report])
    report = json_report.report or {}
    report.pop("environment", None)
    return report, int(exit_code)


def _forget_other_check_modules(checks_dir: Path) -> None:
    """Drop cached check modules of another assignment that share a file name with these.

    pytest imports a check file under its name relative to the rootdir (the checks folder),
    so two assignments' ``test_checks.py`` would meet under one name in ``sys.modules``.
    """
    for path in checks_dir.glob("test_*.py"):
        cached = sys.modules.get(path.stem)
        cached_file = getattr(cached, "__file__", None)
        if cached is not None and (
            not cached_file or Path(cached_file).resolve() != path.resolve()
        ):
            del sys.modules[path.stem]


def write_outputs(output: GradeOutput, out_dir: Path) -> None:
    """Write every file of a graded submission into ``out_dir``, each atomically, results.json
    last (:data:`autograder.outputs.student.STUDENT_OUTPUTS`)."""
    from autograder.outputs.student import write_student_outputs

    write_student_outputs(output, out_dir)


def _ordered_records(
    assignment: AssignmentConfig, records: dict[str, CheckResult]
) -> list[CheckResult]:
    return [records[name] for name in assignment.checks if name in records]


def _load_problems(load, submission: Submission) -> list[str]:
    if load.failure:
        return [load.failure]
    problems = []
    for error in load.errors:
        where = error.get("where")
        place = f" in {where}" if where and where != "file" else ""
        line = f" at line {error.get('line')}" if error.get("line") else ""
        if error.get("kind") == "syntax":
            text = f": {error.get('text')}" if error.get("text") else ""
            problems.append(f"Syntax error{place}{line}: {error.get('message')}{text}")
        elif error.get("type") == "SystemExit":
            problems.append(
                f"Your file called sys.exit(){place}{line} while being loaded; "
                "nothing after that line ran"
            )
        else:
            problems.append(
                f"{error.get('type')}{place}{line} while loading your file: {error.get('message')}"
            )
    return problems


def _elsewhere(load, assignment: AssignmentConfig) -> list[str]:
    """A sentence when the file loaded, defines functions, but none of the assignment's: most
    likely the file of another assignment (or another course). The names are the worker's,
    checked by :mod:`autograder.sandbox.messages`; at most 8 are shown."""
    if load.failure or not load.functions or set(load.functions) & set(assignment.functions):
        return []
    defined = sorted(load.functions)
    shown = ", ".join(defined[:8]) + (f" and {len(defined) - 8} more" if len(defined) > 8 else "")
    return [
        f"Your file defines none of the functions of {assignment.name} "
        f"({', '.join(assignment.functions)}), but defines {shown}: was it written for "
        "another assignment?"
    ]


def _summary(
    submission: Submission,
    checks: tuple[CheckResult, ...],
    problems: list[str],
    assignment: AssignmentConfig,
) -> str:
    score = sum(c.score for c in checks)
    lines = [f"Graded {submission.path.name}: {score:g} / {assignment.max_score:g} points."]
    nothing_done = nothing_implemented(checks)
    if nothing_done:
        lines.append("Nothing is implemented yet: every function still raises NotImplementedError.")
    if submission.notes:
        lines.append("Notes on what was read:")
        lines += [f"  - {note}" for note in submission.notes]
    if problems:
        lines.append("Problems loading your file (functions after the problem may be missing):")
        lines += [f"  - {p}" for p in problems]
    failed = [c for c in checks if not c.passed]
    if failed and not nothing_done:
        functions = sorted({tag for check in failed for tag in check.tags})
        lines.append(
            f"{len(failed)} of {len(checks)} checks did not pass; they grade: {', '.join(functions)}."
        )
    return "\n".join(lines)
