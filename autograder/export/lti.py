"""LTI 1.3 Assignment and Grade Services Scores, one per student, and a JSON Lines file of them.

A Score (``application/vnd.ims.lis.v1.score+json``)::

    {"userId": "0ae836b9-7fc9", "scoreGiven": 17.5, "scoreMaximum": 20.0,
     "comment": "17.5 / 20 points. Not yet right: loss_grad.",
     "timestamp": "2026-01-15T09:30:00.000000+00:00",
     "activityProgress": "Completed", "gradingProgress": "FullyGraded"}

- ``userId`` is the roster's ``lti_user_id`` (the platform's ``sub``), or
  the submission name when the roster has none.
- ``scoreGiven`` (>= 0) always comes with ``scoreMaximum``.
- ``comment`` is the plain-text summary a student reads (at most 1000 characters).
- ``timestamp`` is ISO-8601 with microseconds and a UTC offset. Canvas refuses
  a Score older than the one it holds, so give every Score of a batch the
  time of the export (``datetime.now(timezone.utc)``).
- When the student is not graded (grading failed or could not be
  attempted), ``gradingProgress`` is ``Failed`` and there is no
  ``scoreGiven`` nor ``scoreMaximum``. The Score is still written, so that
  scores.jsonl lists every student and says who was not graded, but it is
  never sent: Canvas ignores the score of a Failed Score and sets the
  submission's score to none (scores_controller.rb), which would clear a
  grade pushed earlier. :func:`autograder.export.lti_push.push_scores` skips
  every Score that is not ``FullyGraded`` with a ``scoreGiven``, and reports it.

The file is written atomically, UTF-8, with characters UTF-8 cannot encode replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from autograder.config import AssignmentConfig
from autograder.export.common import SCORE_DECIMALS, export_rows, summary
from autograder.export.roster import Roster
from autograder.grading.results import StudentResult
from autograder.outputs.atomic import write_jsonl_atomic

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")


def lti_scores(
    students: Iterable[StudentResult],
    assignment: AssignmentConfig,
    roster: Roster | None,
    timestamp: datetime,
) -> list[dict[str, Any]]:
    """One Score per student, ordered by name then submission (see the module docstring).

    ``timestamp`` must be timezone-aware; ValueError otherwise.
    """
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise ValueError(
            f"the timestamp {timestamp.isoformat()} has no UTC offset; "
            "use an aware time such as datetime.now(timezone.utc)"
        )
    when = timestamp.isoformat(timespec="microseconds")
    scores = []
    for row in export_rows(students, assignment, roster):
        score: dict[str, Any] = {"userId": row.entry.lti_user_id}
        if row.result is not None:
            score["scoreGiven"] = round(row.result.score, SCORE_DECIMALS)
            score["scoreMaximum"] = round(assignment.max_score, SCORE_DECIMALS)
        score["comment"] = summary(row.result)
        score["timestamp"] = when
        score["activityProgress"] = "Completed"
        score["gradingProgress"] = "FullyGraded" if row.result is not None else "Failed"
        scores.append(score)
    return scores


def write_jsonl(scores: Sequence[dict[str, Any]], path: Path) -> None:
    """Write ``scores`` to ``path`` as JSON Lines: one Score object per line, UTF-8, atomically."""
    write_jsonl_atomic(Path(path), list(scores))
