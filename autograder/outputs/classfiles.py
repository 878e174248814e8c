"""The class files of a ``grade-batch`` run, each from one :class:`ClassRecord`.

They are written only once every student has been processed (an interrupted run writes none,
so no half-class gradebook is left behind), each atomically, in :data:`CLASS_OUTPUTS` order.
Every one lists every student found, each on their own row (:mod:`autograder.batch.rows`);
one who is not graded has no score anywhere and their reason where the format has room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.batch.rows import ClassRow
from autograder.batch.summary import ClassStatistics, write_summary
from autograder.config import AssignmentConfig
from autograder.export.roster import Roster
from autograder.grading.results import StudentResult
from autograder.integrity.report import CSV_NAME, HTML_NAME
from autograder.outputs import Output
from autograder.outputs.atomic import write_json_atomic, write_text_atomic

if TYPE_CHECKING:
    from autograder.integrity.command import Comparison


@dataclass(frozen=True)
class ClassRecord:
    """Everything the class files say, gathered once.

    ``rows``: every student, in the order found; ``people``: the roster joined with what the
    export knows of each student (:func:`autograder.export.roster.with_known`);
    ``statistics``: the summary's numbers (with the integrity counts when compared);
    ``canvas_assignment_id``: the id for grades.csv's column; ``timestamp``: the time of the
    LTI Scores (timezone-aware); ``similarity``: the comparison of the submissions, or None
    when none was made.
    """

    assignment: AssignmentConfig
    rows: tuple[ClassRow, ...]
    people: Roster
    statistics: ClassStatistics
    timestamp: datetime
    canvas_assignment_id: int | None = None
    similarity: Comparison | None = None

    @property
    def students(self) -> list[StudentResult]:
        """Each row's result under the student's own id, in row order."""
        return [row.student for row in self.rows]


def class_json(record: ClassRecord) -> dict[str, Any]:
    """class.json: the assignment, its maximum, and a row per student.

    Each student: ``student`` (the row's id), ``name`` (the roster's, else the export's, else
    ""), ``canvas_id`` (the Canvas user id from the export, else the roster's, else null),
    ``email`` (likewise, else null), ``late``, ``group`` (every member's id when the
    submission was a group's, else null), ``graded``, ``score``, ``failure`` and ``results``
    (the submission's results.json inside OUT, shared by a group).
    """
    students = []
    for row in record.rows:
        s = row.student
        person = record.people.entry(s.student_id)
        cells = record.people.given.get(s.student_id, {})
        students.append(
            {
                "student": s.student_id,
                "name": cells.get("name") or row.member.name,
                "canvas_id": row.member.canvas_id or person.canvas_id or None,
                "email": person.email or None,
                "late": row.entry.late,
                "group": [m.student_id for m in row.entry.members]
                if len(row.entry.members) > 1
                else None,
                "graded": s.graded,
                "score": s.result.score if s.graded and s.result is not None else None,
                "failure": s.reason,
                "results": row.results,
            }
        )
    assignment = record.assignment
    return {"assignment": assignment.name, "max_score": assignment.max_score, "students": students}


def write_class_json(record: ClassRecord, out: Path) -> bool:
    write_json_atomic(out / "class.json", class_json(record))
    return True


def write_canvas_csv(record: ClassRecord, out: Path) -> bool:
    from autograder.export.canvas import canvas_csv

    text = canvas_csv(
        record.students, record.assignment, record.people, record.canvas_assignment_id
    )
    write_text_atomic(out / "grades.csv", text)
    return True


def write_moodle_csv(record: ClassRecord, out: Path) -> bool:
    from autograder.export.moodle import moodle_csv

    write_text_atomic(
        out / "moodle.csv", moodle_csv(record.students, record.assignment, record.people)
    )
    return True


def write_lti_scores(record: ClassRecord, out: Path) -> bool:
    from autograder.export.lti import lti_scores, write_jsonl

    scores = lti_scores(record.students, record.assignment, record.people, record.timestamp)
    write_jsonl(scores, out / "scores.jsonl")
    return True


def write_class_summary(record: ClassRecord, out: Path) -> bool:
    write_summary(record.statistics, out)
    return True


def write_similarity(record: ClassRecord, out: Path) -> bool:
    """The similarity report; without a comparison, no stale report is left beside new grades."""
    if record.similarity is None:
        for name in (CSV_NAME, HTML_NAME):
            (out / name).unlink(missing_ok=True)
        return False
    record.similarity.write(out)
    return True


CLASS_OUTPUTS: tuple[Output[ClassRecord], ...] = (
    Output("summary", ("summary.html", "summary.md"), write_class_summary),
    Output("class", ("class.json",), write_class_json),
    Output("canvas", ("grades.csv",), write_canvas_csv),
    Output("lti", ("scores.jsonl",), write_lti_scores),
    Output("moodle", ("moodle.csv",), write_moodle_csv),
    Output("similarity", (HTML_NAME, CSV_NAME), write_similarity),
)


def write_class_outputs(record: ClassRecord, out: Path) -> list[str]:
    """Write every format of :data:`CLASS_OUTPUTS` into ``out``; return the files announced."""
    written = []
    for each in CLASS_OUTPUTS:
        if each.write(record, out):
            written += each.files
    return written
