"""A long CSV table for Moodle's grade import (Grades > Import > CSV file).

::

    student_id,name,email,id_number,username,score,feedback
    ada,"Lovelace, Ada",ada@example.edu,S001,alovelace,17.5,17.5 / 20 points. Not yet right: loss_grad.

Moodle's import is free-form: after the upload the teacher maps one column to
the user (``email`` to "Email address", ``id_number`` to "ID number" or
``username`` to "Username"), ``score`` to the grade item and ``feedback`` to
"Feedback for <item>"; other columns are ignored. ``student_id`` is the
submission name, ``name`` is there to check rows by eye. ``id_number`` and
``username`` are the roster's SIS user and login ids (the submission name
without a roster; see :mod:`autograder.export.roster`).

The score is a plain number, blank for a student who is not graded (Moodle
reads a blank as no grade, never as 0); their row is still there. The
feedback is the one-line plain-text summary a student reads. One row per
student, ordered by name then submission; a cell a spreadsheet would run as a
formula gets a leading ``'`` (see :mod:`autograder.export.common`).
"""

from __future__ import annotations

from collections.abc import Iterable

from autograder.config import AssignmentConfig
from autograder.export.common import csv_text, export_rows, summary
from autograder.export.roster import Roster
from autograder.grading.results import StudentResult

HEADER = ("student_id", "name", "email", "id_number", "username", "score", "feedback")


def moodle_csv(
    students: Iterable[StudentResult], assignment: AssignmentConfig, roster: Roster | None
) -> str:
    """The CSV text for Moodle's import: one row per student (see the module docstring)."""
    rows: list[list[str | float | None]] = [list(HEADER)]
    for row in export_rows(students, assignment, roster):
        entry = row.entry
        rows.append(
            [
                entry.submission,
                entry.name,
                entry.email,
                entry.sis_user_id,
                entry.sis_login_id,
                row.result.score if row.result is not None else None,
                summary(row.result),
            ]
        )
    return csv_text(rows)
