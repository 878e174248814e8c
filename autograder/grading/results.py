"""Grading results as plain typed records, what a student may see of them, and their
Gradescope ``results.json`` form.

Every exporter (Gradescope, LTI, Canvas, Moodle, feedback pages) reads these
records; nothing reads the worker's output directly. What a student may read
of a result is decided in one place, :func:`student_view`: every page and
export a student sees is made from it, never from ``GradeResult.output``
(the grader's own summary, for the instructor).

Text that came from a submission (what it printed, exception messages, file
names) may hold anything, lone surrogates included; every file is written by
:mod:`autograder.outputs` (one writer per format, through
:mod:`autograder.outputs.atomic`, which cleans the text and swaps the file in whole).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from autograder.outputs.atomic import clean_text

MAX_TEST_OUTPUT_CHARS = 4000
MAX_TOP_OUTPUT_CHARS = 8000
MAX_PRINTED_CHARS = 2000  # of what the submission printed, shown to the student

# When a student looks: at submission (Gradescope, the feedback pages) only ``visible``
# checks are shown; exporting grades to the gradebook is publishing them, after the due
# date, so ``after_due_date`` and ``after_published`` checks are shown then too.
# ``hidden`` checks are never described.
Moment = Literal["submission", "published"]
SHOWN_AT: dict[str, frozenset[str]] = {
    "submission": frozenset({"visible"}),
    "published": frozenset({"visible", "after_due_date", "after_published"}),
}
NOT_GRADED = (
    "Not graded: the autograder could not grade this submission, so your instructor will grade it."
)
# The markers around what the submission printed in the grader's summary (GradeResult.output).
PRINTED_START = "----- what your code printed (the first part; it plays no part in the grade) -----"
PRINTED_END = "----- end of what your code printed -----"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check for one submission."""

    check_id: str
    name: str
    score: float
    max_score: float
    passed: bool
    output: str
    visibility: str
    tags: tuple[str, ...]
    cases: int = 0
    cases_failed: int = 0
    mistake: str | None = None  # the catalog name of the diagnosed misconception, if any
    mistake_summary: str | None = None
    # How its failed cases failed, each kind once, the most frequent first: ``"wrong"`` (a
    # value came back and was wrong) or a ``CallFailed.kind`` (``"not_implemented"``,
    # ``"timeout"``, ``"crash"``, ...; see autograder.sandbox.client.CALL_FAILURE_KINDS).
    # Empty when it passed or no case ran. Whoever must know what went wrong reads this,
    # never ``output``, whose sentences are for the student.
    failure_kinds: tuple[str, ...] = ()

    def failed_only_with(self, *kinds: str) -> bool:
        """Whether the check failed and every failed case failed in one of ``kinds``."""
        return not self.passed and bool(self.failure_kinds) and set(self.failure_kinds) <= {*kinds}


def nothing_implemented(checks: Sequence[CheckResult]) -> bool:
    """Whether there are checks and every one failed only on ``NotImplementedError``: the
    released stub, unchanged."""
    return bool(checks) and all(c.failed_only_with("not_implemented") for c in checks)


@dataclass(frozen=True)
class GradeResult:
    """Everything known about grading one submission."""

    assignment: str
    submission: str
    score: float
    max_score: float
    execution_time: float
    output: str
    checks: tuple[CheckResult, ...]
    seed: int
    sha256: str
    kit_version: str
    isolation: dict = field(default_factory=dict)
    load_problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # sentences on what was read and left out (e.g. a %%bash cell)
    graded: bool = True  # False when grading itself failed (not the submission)
    config_fingerprint: str = ""  # hash of grading.yaml, checks and reference (for re-runs)
    printed: str = ""  # what the submission printed (its own text, untrusted), at most 2000 chars
    failure: str = ""  # why grading itself failed, when ``graded`` is False
    # why the file could not be loaded at all ("" when it was): a key of
    # autograder.sandbox.client.LOAD_FAILURE_KINDS ("timeout", "crash", "refused")
    load_failure_kind: str = ""


@dataclass(frozen=True)
class StudentResult:
    """One student's entry in a batch: their result, or why grading itself failed."""

    student_id: str
    result: GradeResult | None
    failure: str | None = None  # set when the grader (not the submission) failed

    @property
    def graded(self) -> bool:
        return self.result is not None and self.failure is None and self.result.graded

    @property
    def reason(self) -> str | None:
        """Why this student has no grade (one sentence for the instructor), or None when graded."""
        if self.graded:
            return None
        if self.failure:
            return self.failure
        if self.result is None:
            return "not graded: no result was produced"
        return self.result.failure or "not graded: grading itself failed"

    @property
    def why_not_graded(self) -> str | None:
        """:attr:`reason` without its leading "not graded: ", for a line that already says so."""
        reason = self.reason
        return None if reason is None else reason.removeprefix("not graded: ")


@dataclass(frozen=True)
class StudentView:
    """What a student may see of one result at one moment (see :func:`student_view`).

    ``checks`` are the checks shown in detail, in grading order; ``held_back``
    counts the others. ``score`` and ``max_score`` are None unless the total
    may be shown. ``summary`` is the text the student reads (lines joined by
    newlines; without what their code printed), ``printed`` what their code
    printed (their own text, untrusted: fence or escape it).
    """

    graded: bool
    checks: tuple[CheckResult, ...]
    held_back: int
    score: float | None
    max_score: float | None
    summary: str
    printed: str
    load_problems: tuple[str, ...] = ()

    @property
    def total_shown(self) -> bool:
        return self.score is not None

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The shown checks that did not pass."""
        return tuple(c for c in self.checks if not c.passed)


def student_view(result: GradeResult | None, moment: Moment = "submission") -> StudentView:
    """What a student may see of ``result`` at ``moment`` (None: grading failed).

    At ``"submission"`` (results.json, the feedback pages) only ``visible``
    checks are shown, and while any check is held back (``hidden``,
    ``after_due_date``, ``after_published``) neither the total nor how many
    checks failed in all is shown, as Gradescope hides the total then. At
    ``"published"`` (the gradebook exports, which publish the grade itself)
    ``after_due_date`` and ``after_published`` checks are shown too and the
    total is shown; ``hidden`` checks are never described.

    The summary is made from the typed fields of ``result``, never from its
    ``output`` text.
    """
    if result is None or not result.graded:
        return StudentView(False, (), 0, None, None, NOT_GRADED, "")
    shown_visibilities = SHOWN_AT[moment]
    shown = tuple(c for c in result.checks if c.visibility in shown_visibilities)
    held_back = len(result.checks) - len(shown)
    total_shown = moment == "published" or held_back == 0
    printed = result.printed or _printed_in(result.output)
    # the file name and exception messages are the submission's: one line for the name, and a
    # message's later lines indented, so that neither can add a line that looks like the kit's
    name = show_controls(result.submission, keep_newlines=False)
    lines = []
    if total_shown:
        lines.append(f"Graded {name}: {result.score:g} / {result.max_score:g} points.")
    else:
        lines.append(
            f"Graded {name}. {held_back} of the {len(result.checks)} checks are "
            "shown later (after the due date, or once grades are published) or not at all, "
            "so your total is not shown yet."
        )
    nothing_done = nothing_implemented(result.checks)
    if nothing_done:
        lines.append("Nothing is implemented yet: every function still raises NotImplementedError.")
    if result.notes:
        lines.append("Notes on what was read:")
        lines += [f"  - {show_controls(note, keep_newlines=False)}" for note in result.notes]
    if result.load_problems:
        lines.append("Problems loading your file (functions after the problem may be missing):")
        for problem in result.load_problems:
            first, *rest = problem.rstrip("\n").split("\n")
            lines += [f"  - {first}", *(f"    {line}" for line in rest)]
    failed = [c for c in shown if not c.passed]
    if failed and not nothing_done:
        functions = sorted({tag for check in failed for tag in check.tags or (check.check_id,)})
        counted = (
            f"{len(failed)} of {len(shown)} checks"
            if total_shown
            else (f"{len(failed)} of the {len(shown)} checks shown")
        )
        lines.append(f"{counted} did not pass; they grade: {', '.join(functions)}.")
    return StudentView(
        graded=True,
        checks=shown,
        held_back=held_back,
        score=result.score if total_shown else None,
        max_score=result.max_score if total_shown else None,
        summary="\n".join(lines),
        printed=printed[:MAX_PRINTED_CHARS],
        load_problems=result.load_problems,
    )


def student_text(view: StudentView) -> str:
    """The view's summary and, between markers, what the code printed, each of its lines
    after ``| `` (so that no printed line can pass for the kit's): plain text."""
    if not view.printed.strip():
        return view.summary
    printed = [f"| {line}" for line in view.printed.split("\n")]
    return "\n".join([view.summary, PRINTED_START, *printed, PRINTED_END])


def _printed_in(output: str) -> str:
    """What the submission printed, from a grader's summary made before ``printed`` existed."""
    start = output.find(PRINTED_START)
    if start < 0:
        return ""
    end = output.rfind(PRINTED_END)
    body = output[start + len(PRINTED_START) : end if end > start else len(output)]
    return body.strip("\n")


def to_gradescope(result: GradeResult) -> dict[str, Any]:
    """The Gradescope autograder results format (``results.json``).

    The top-level ``output`` is what the student may see at submission
    (:func:`student_view`): Gradescope shows it whatever the tests'
    visibility. Each test's ``output`` is shown or hidden by Gradescope with
    the test. The grader's own summary, which may give the total, is kept in
    ``extra_data`` (stored, never shown to students). Control characters in
    the outputs are written out (:func:`show_controls`), so that printing a
    results.json never sends a terminal escape sequence.
    """
    return {
        "score": round(result.score, 4),
        "execution_time": round(result.execution_time, 3),
        "output": _cut(show_controls(student_text(student_view(result))), MAX_TOP_OUTPUT_CHARS),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": check.name,
                "number": f"{number}",
                "score": round(check.score, 4),
                "max_score": check.max_score,
                "status": "passed" if check.passed else "failed",
                "output": _cut(show_controls(check.output), MAX_TEST_OUTPUT_CHARS),
                "visibility": check.visibility,
                "tags": list(check.tags),
                "extra_data": {
                    "check": check.check_id,
                    "cases": check.cases,
                    "cases_failed": check.cases_failed,
                    "mistake": check.mistake,
                    "mistake_summary": check.mistake_summary,
                    "failure_kinds": list(check.failure_kinds),
                },
            }
            for number, check in enumerate(result.checks, start=1)
        ],
        "extra_data": {
            "assignment": result.assignment,
            "submission": result.submission,
            "max_score": result.max_score,
            "seed": result.seed,
            "sha256": result.sha256,
            "kit_version": result.kit_version,
            "isolation": result.isolation,
            "graded": result.graded,
            "load_problems": list(result.load_problems),
            "notes": list(result.notes),
            "config_fingerprint": result.config_fingerprint,
            "summary": _cut(result.output, MAX_TOP_OUTPUT_CHARS),
            "printed": result.printed,
            "failure": result.failure,
            "load_failure_kind": result.load_failure_kind,
        },
    }


def from_gradescope(data: dict[str, Any]) -> GradeResult:
    """Rebuild a :class:`GradeResult` from a ``results.json`` written by :func:`to_gradescope`."""
    extra = data.get("extra_data", {})
    checks = tuple(
        CheckResult(
            check_id=t["extra_data"]["check"],
            name=t["name"],
            score=float(t["score"]),
            max_score=float(t["max_score"]),
            passed=t["status"] == "passed",
            output=t.get("output", ""),
            visibility=t.get("visibility", "visible"),
            tags=tuple(t.get("tags", ())),
            cases=t["extra_data"].get("cases", 0),
            cases_failed=t["extra_data"].get("cases_failed", 0),
            mistake=t["extra_data"].get("mistake"),
            mistake_summary=t["extra_data"].get("mistake_summary"),
            failure_kinds=tuple(str(k) for k in t["extra_data"].get("failure_kinds", ())),
        )
        for t in data.get("tests", [])
    )
    return GradeResult(
        assignment=extra.get("assignment", ""),
        submission=extra.get("submission", ""),
        score=float(data["score"]),
        max_score=float(extra.get("max_score", sum(c.max_score for c in checks))),
        execution_time=float(data.get("execution_time", 0.0)),
        output=extra.get("summary", data.get("output", "")),
        checks=checks,
        seed=int(extra.get("seed", 0)),
        sha256=extra.get("sha256", ""),
        kit_version=extra.get("kit_version", ""),
        isolation=extra.get("isolation", {}),
        load_problems=tuple(extra.get("load_problems", ())),
        notes=tuple(str(n) for n in extra.get("notes", ())),
        graded=bool(extra.get("graded", True)),
        config_fingerprint=extra.get("config_fingerprint", ""),
        printed=extra.get("printed", ""),
        failure=extra.get("failure", ""),
        load_failure_kind=str(extra.get("load_failure_kind", "")),
    )


# -- characters ---------------------------------------------------------------------------------


def spoken_list(items: Sequence[str]) -> str:
    """``items`` as a sentence lists them: "a", "a and b", "a, b and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def show_controls(text: str, keep_newlines: bool = True) -> str:
    """``text`` cleaned, with control characters written out as ``\\xNN`` / ``\\uNNNN``.

    Control characters are C0 and C1 (ESC starts a terminal escape sequence),
    DEL, the line and paragraph separators (which split lines as a newline does), and the
    bidirectional embeddings, overrides and isolates (which reorder what is shown). Tabs are
    kept, and newlines unless ``keep_newlines`` is False.

    >>> print(show_controls("a" + chr(27) + "[2Jb" + chr(10) + "c", keep_newlines=False))
    a\\x1b[2Jb\\x0ac
    """
    text = _CONTROLS.sub(_escaped, clean_text(text))
    return text if keep_newlines else text.replace("\n", "\\x0a")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters cut]"
