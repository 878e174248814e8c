"""The Canvas gradebook CSV (Gradebook > Import), as canvas-lms lib/gradebook_importer.rb reads it.

::

    Student,ID,SIS User ID,SIS Login ID,Section,Week 1 (4242)
    Points Possible,,,,,20
    "Lovelace, Ada",101,S001,alovelace,Section 1,17.5

- Column 1 contains ``Student`` and column 2 ``ID`` (the numeric Canvas user
  id, from the roster only; see :mod:`autograder.export.roster`). Canvas
  recognises ``SIS User ID`` only when ``SIS Login ID`` follows it, so both are
  always written; ``Section`` must be the last identity column.
- The assignment column is ``<title> (<Canvas assignment id>)``; Canvas reads
  the id with ``\\A(.*)\\s\\((\\d+)\\)\\z``. Without an id it matches the exact
  title, and an unknown title creates a new assignment.
- The second row starts with ``Points Possible`` and gives the maximum.
- Canvas matches a row by ID, then SIS User ID, then SIS Login ID, then name.
- A score is a plain number; a student who is not graded still has a row,
  with a blank score cell (no score), never 0. Canvas shows a blank against an
  existing score as a change in its import preview, so re-importing may clear
  an earlier grade: check the preview.
- Rows are ordered by name, then submission; names with commas and double
  quotes are quoted, and a cell a spreadsheet would run as a formula gets a
  leading ``'`` (see :mod:`autograder.export.common`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from autograder.config import AssignmentConfig
from autograder.export.common import csv_text, export_rows
from autograder.export.roster import Roster
from autograder.grading.results import StudentResult

IDENTITY_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
TITLE_WITH_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z", re.DOTALL)  # Ruby's \z is Python's \Z
# Canvas drops any column whose title contains one of these (gradebook_importer.rb).
COMPUTED_COLUMNS = (
    "Current Score",
    "Current Points",
    "Current Grade",
    "Final Score",
    "Final Points",
    "Final Grade",
    "Override Score",
    "Override Grade",
    "Override Status",
)


def canvas_csv(
    students: Iterable[StudentResult],
    assignment: AssignmentConfig,
    roster: Roster | None,
    canvas_assignment_id: int | None,
) -> str:
    """The gradebook CSV text for ``assignment``, one row per student (see the module docstring)."""
    column = assignment_column(assignment.title, canvas_assignment_id)
    rows: list[list[str | float | None]] = [
        [*IDENTITY_HEADER, column],
        ["Points Possible", "", "", "", "", assignment.max_score],
    ]
    for row in export_rows(students, assignment, roster):
        entry = row.entry
        score = row.result.score if row.result is not None else None
        rows.append(
            [
                entry.name,
                entry.canvas_id,
                entry.sis_user_id,
                entry.sis_login_id,
                entry.section,
                score,
            ]
        )
    return csv_text(rows)


def assignment_column(title: str, canvas_assignment_id: int | None) -> str:
    """The assignment column's title: ``<title> (<id>)``, or the bare title without an id.

    Raises ValueError for a title Canvas would misread: one containing a
    computed column's name (Canvas drops it), or, without an id, one ending
    like ``(12)`` (Canvas would take 12 for the id).

    Examples
    --------
    >>> assignment_column("Week 1", 4242)
    'Week 1 (4242)'
    """
    title = title.strip()
    for computed in COMPUTED_COLUMNS:
        if computed in title:
            raise ValueError(
                f"the assignment title {title!r} contains {computed!r}; Canvas ignores "
                "such columns on import, so rename the assignment in grading.yaml"
            )
    if canvas_assignment_id is None:
        if TITLE_WITH_ID.match(title):
            raise ValueError(
                f"the assignment title {title!r} ends like a Canvas assignment id; "
                "give the Canvas assignment id too, so that Canvas does not misread it"
            )
        return title
    if isinstance(canvas_assignment_id, bool) or not isinstance(canvas_assignment_id, int):
        raise ValueError(
            f"the Canvas assignment id must be a whole number, not {canvas_assignment_id!r}"
        )
    if canvas_assignment_id <= 0:
        raise ValueError(f"the Canvas assignment id must be positive, not {canvas_assignment_id}")
    return f"{title} ({canvas_assignment_id})"
