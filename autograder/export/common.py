"""What every exporter shares: checked rows in a fixed order, plain numbers, CSV cells, a
student's summary.

A student is *not graded* when grading failed or could not be attempted: the
``StudentResult`` has no result or a ``failure``, or its ``GradeResult`` says
``graded=False`` (``StudentResult.graded``). Such a student still has a row
in every export, with the score left blank (never 0, which would look like a
real grade) and a comment saying their instructor will grade it; the LTI
push sends nothing for them (see :mod:`autograder.export.lti_push`).

The summary is what a student reads beside their grade (LTI comment, Moodle
feedback). What it may say is decided by
:func:`autograder.grading.results.student_view` at the moment ``published``:
exporting grades publishes them, so ``after_due_date`` and ``after_published``
checks are described, ``hidden`` ones never.

CSV cells are written by :func:`csv_text`. A text cell that a spreadsheet
would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return, or their full-width forms) gets a leading ``'`` and is
quoted, as OWASP's CSV injection rule says; so a roster name
``=HYPERLINK(...)`` is shown as text, not run, in Excel, LibreOffice and
Sheets. The gradebook then sees the ``'`` too: an id starting with one of
those characters no longer matches, so the student is matched on another
column. Numbers the kit writes (scores, points) are written plainly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from autograder.config import AssignmentConfig
from autograder.export.roster import Roster, RosterEntry
from autograder.grading.results import NOT_GRADED, GradeResult, StudentResult, student_view

__all__ = [
    "NOT_GRADED",
    "SCORE_DECIMALS",
    "SUMMARY_CHARS",
    "ExportRow",
    "csv_cell",
    "csv_text",
    "export_rows",
    "plain_number",
    "summary",
]

SCORE_DECIMALS = 4  # as in results.json; Canvas itself compares scores to 2 decimals
SUMMARY_CHARS = 1000  # a comment beside a grade, not a report
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CSV_QUOTE_WHEN = (",", '"', "\r", "\n")


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
        result = student.result if student.graded else None
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

    Made from ``student_view(result, "published")``; at most SUMMARY_CHARS
    characters; ``None`` or a result that is not graded gives NOT_GRADED.
    """
    view = student_view(result, "published")
    if not view.graded or view.score is None or view.max_score is None:
        return NOT_GRADED
    parts = [f"{plain_number(view.score)} / {plain_number(view.max_score)} points."]
    if view.load_problems:
        more = len(view.load_problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        first = " ".join(view.load_problems[0].split()).rstrip(".")
        parts.append(f"Your file did not load cleanly: {first}{extra}.")
    functions = _unique(f for c in view.failed for f in (c.tags or (c.check_id,)))
    if functions:
        parts.append(f"Not yet right: {', '.join(functions)}.")
    mistakes = _unique(
        f"{', '.join(c.tags or (c.check_id,))}: {c.mistake_summary or c.mistake}"
        for c in view.failed
        if c.mistake
    )
    if mistakes:
        parts.append(f"Likely mistakes: {'; '.join(mistakes)}.")
    return _cut(" ".join(" ".join(parts).split()), SUMMARY_CHARS)


def csv_cell(value: str | float | None) -> str:
    """One CSV cell: a number as :func:`plain_number`, None blank, text made safe and quoted.

    Text a spreadsheet would run as a formula gets a leading ``'`` and quotes
    (see the module docstring); text with a comma, a double quote or a line
    break is quoted, its double quotes doubled (RFC 4180).

    Examples
    --------
    >>> csv_cell(17.5), csv_cell(None), csv_cell("Lovelace, Ada")
    ('17.5', '', '"Lovelace, Ada"')
    >>> print(csv_cell("=HYPERLINK(1)"))
    "'=HYPERLINK(1)"
    """
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return plain_number(float(value))
    text = str(value)
    formula = text.startswith(FORMULA_STARTS)
    if formula:
        text = "'" + text
    if formula or any(c in text for c in CSV_QUOTE_WHEN):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(rows: Iterable[Sequence[str | float | None]]) -> str:
    """The CSV text of ``rows``: cells by :func:`csv_cell`, ``,`` between, ``\\n`` after each row."""
    return "".join(",".join(csv_cell(cell) for cell in row) + "\n" for row in rows)


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
