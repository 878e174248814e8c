"""What every exporter shares: checked rows in a fixed order, plain numbers, a student's summary.

A student's grading *failed* when the grader (not the submission) failed: the
``StudentResult`` has no result or a ``failure``, or its ``GradeResult`` says
``graded=False``. Exporters then leave the score blank (never 0, which would
look like a real grade) and tell the student their instructor will grade it.

The summary is what a student reads beside their grade (LTI comment, Moodle
feedback). It names only what checks with a student-visible visibility found:
exporting grades is publishing them, so ``after_due_date`` and
``after_published`` checks count, ``hidden`` ones are never described.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from autograder.config import AssignmentConfig
from autograder.export.roster import Roster, RosterEntry
from autograder.grading.results import GradeResult, StudentResult

SCORE_DECIMALS = 4  # as in results.json; Canvas itself compares scores to 2 decimals
SUMMARY_CHARS = 1000  # a comment beside a grade, not a report
STUDENT_VISIBLE = ("visible", "after_due_date", "after_published")
NOT_GRADED = (
    "Not graded: the autograder could not grade this submission, so your instructor will grade it."
)


@dataclass(frozen=True)
class ExportRow:
    """One student to export: who they are, and their result (None when grading failed)."""

    entry: RosterEntry
    result: GradeResult | None


def export_rows(
    students: Iterable[StudentResult], assignment: AssignmentConfig, roster: Roster | None
) -> list[ExportRow]:
    """The students as rows, ordered by name then submission, after checking they fit together.

    Raises ValueError when a submission appears twice, or a result belongs to
    another assignment, is out of other points than ``assignment.max_score``,
    or has a score that is not a finite number >= 0.
    """
    roster = roster if roster is not None else Roster()
    rows: dict[str, ExportRow] = {}
    for student in students:
        if student.student_id in rows:
            raise ValueError(f"submission {student.student_id!r} appears twice in the results")
        result = student.result if student.graded and student.result.graded else None
        if result is not None:
            _check_result(student.student_id, result, assignment)
        rows[student.student_id] = ExportRow(roster.entry(student.student_id), result)
    return sorted(rows.values(), key=lambda r: (r.entry.name.casefold(), r.entry.submission))


def plain_number(value: float) -> str:
    """``value`` rounded to SCORE_DECIMALS places, without trailing zeros or an exponent.

    Examples
    --------
    >>> plain_number(20.0), plain_number(17.5), plain_number(2 / 3), plain_number(-0.0)
    ('20', '17.5', '0.6667', '0')
    """
    if not math.isfinite(value):
        raise ValueError(f"a score must be a finite number, not {value!r}")
    text = f"{value:.{SCORE_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def summary(result: GradeResult | None) -> str:
    """One line of plain text for the student: the score, what is not yet right and why.

    At most SUMMARY_CHARS characters; ``None`` (grading failed) gives NOT_GRADED.
    """
    if result is None:
        return NOT_GRADED
    parts = [f"{plain_number(result.score)} / {plain_number(result.max_score)} points."]
    if result.load_problems:
        more = len(result.load_problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        first = " ".join(result.load_problems[0].split()).rstrip(".")
        parts.append(f"Your file did not load cleanly: {first}{extra}.")
    failed = [c for c in result.checks if not c.passed and c.visibility in STUDENT_VISIBLE]
    functions = _unique(f for c in failed for f in (c.tags or (c.check_id,)))
    if functions:
        parts.append(f"Not yet right: {', '.join(functions)}.")
    mistakes = _unique(
        f"{', '.join(c.tags or (c.check_id,))}: {c.mistake_summary or c.mistake}"
        for c in failed
        if c.mistake
    )
    if mistakes:
        parts.append(f"Likely mistakes: {'; '.join(mistakes)}.")
    return _cut(" ".join(" ".join(parts).split()), SUMMARY_CHARS)


def _check_result(submission: str, result: GradeResult, assignment: AssignmentConfig) -> None:
    if result.assignment != assignment.name:
        raise ValueError(
            f"the result of {submission!r} is for assignment {result.assignment!r}, "
            f"not {assignment.name!r}"
        )
    if not math.isclose(result.max_score, assignment.max_score):
        raise ValueError(
            f"the result of {submission!r} is out of {result.max_score:g} points but "
            f"{assignment.name} is worth {assignment.max_score:g} in grading.yaml; grade it again"
        )
    if not math.isfinite(result.score) or result.score < 0:
        raise ValueError(
            f"the result of {submission!r} has score {result.score!r}; "
            "a score must be a finite number >= 0"
        )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
