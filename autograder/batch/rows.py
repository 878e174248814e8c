"""A class as rows: every student of every submission found, with the result graded for them.

Every class file lists every student found, each on their own row: a submission is graded
once (one results folder, named by the entry's id), and every student it belongs to (each
member of a Gradescope group) gets a row with its grade, pointing at that folder. An entry
the batch has no result for is *not graded* (:data:`NO_RESULT`), so no class file can leave
a student out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autograder.batch.discover import Entry, Member
from autograder.batch.runner import BatchOutcome
from autograder.batch.summary import ClassStatistics, Who, class_statistics
from autograder.config import AssignmentConfig
from autograder.export.roster import Known
from autograder.grading.results import StudentResult

NO_RESULT = "not graded: the batch produced no result for this submission"


@dataclass(frozen=True)
class ClassRow:
    """One student's row of the class files: who they are, the submission graded for them,
    and its result under their own id."""

    member: Member
    entry: Entry
    student: StudentResult

    @property
    def results(self) -> str | None:
        """The submission's results.json, relative to OUT (shared by a group), or None."""
        return f"{self.entry.student_id}/results.json" if self.student.result is not None else None


def class_students(entries: Sequence[Entry], outcome: BatchOutcome) -> list[StudentResult]:
    """One StudentResult per entry, in the entries' order; an entry the outcome lacks is not
    graded (NO_RESULT)."""
    results = {s.student_id: s for s in outcome.students}
    return [
        results.get(e.student_id, StudentResult(e.student_id, None, NO_RESULT)) for e in entries
    ]


def class_rows(entries: Sequence[Entry], outcome: BatchOutcome) -> list[ClassRow]:
    """Every student of every entry (:attr:`Entry.students`), in the entries' order, each with
    the entry's result (:func:`class_students`) under the student's own id."""
    rows = []
    for entry, graded in zip(entries, class_students(entries, outcome), strict=True):
        for member in entry.students:
            rows.append(
                ClassRow(
                    member, entry, StudentResult(member.student_id, graded.result, graded.failure)
                )
            )
    return rows


def known_students(entries: Sequence[Entry]) -> list[Known]:
    """What the export says about each student, for
    :func:`autograder.export.roster.with_known`: a Canvas user id is the student's id, but no
    SIS id."""
    return [
        Known(
            m.student_id,
            name=m.name,
            email=m.email,
            canvas_id=m.canvas_id,
            sis_from_submission=entry.layout != "canvas",
        )
        for entry in entries
        for m in entry.students
    ]


def class_summary(rows: Sequence[ClassRow], assignment: AssignmentConfig) -> ClassStatistics:
    """The class statistics of ``rows``, with each student's name, lateness and group."""
    who = {
        row.member.student_id: Who(
            name=row.member.name,
            late=row.entry.late,
            group=tuple(m.student_id for m in row.entry.members)
            if len(row.entry.members) > 1
            else (),
            submission=row.entry.student_id,
        )
        for row in rows
    }
    return class_statistics(
        [row.student for row in rows], assignment.name, assignment.max_score, who
    )
