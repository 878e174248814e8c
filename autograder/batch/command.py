"""``autograder grade-batch``: find the class's submissions, grade them, write the class files.

Per student, ``OUT/<student>/results.json`` and ``report.json`` (exactly as
``autograder grade`` writes them). For the class: ``class.json`` (every
student's score and where their results are), the LMS exports and the
summary. Class files are written only when every student has been
processed, each atomically, so an interrupted run never leaves a half-class
gradebook behind; rerun the same command to resume.

Every class file lists every student found, each on their own row: a
submission is graded once (one results folder, named by the entry's id), and
every student it belongs to (each member of a Gradescope group) gets a row
with its grade, pointing at that folder. One that is not graded (grading
failed or could not be attempted) is there with its reason and no score. The
student's name, Canvas user id and email come from the roster where it gives
them, else from the export (a Canvas file name, Gradescope's metadata); see
:func:`autograder.export.roster.with_known`. Whatever is printed passes through
:func:`autograder.report.terminal_text`: student ids are file names and
reasons are exception messages, either may hold terminal escape sequences.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.batch.discover import DiscoveryError, Entry, Member, discover, unpack_zip
from autograder.batch.runner import BatchOutcome, Progress, default_jobs, grade_batch
from autograder.batch.summary import (
    ClassStatistics,
    Who,
    class_statistics,
    summary_text,
    write_summary,
)
from autograder.config import AssignmentConfig, GradingConfig
from autograder.errors import UsageError
from autograder.export.roster import Known, Roster, RosterError, with_known
from autograder.grading.results import StudentResult, write_json_atomic, write_text_atomic
from autograder.report import terminal_text

if TYPE_CHECKING:
    from autograder.integrity.command import IntegrityReport


@dataclass(frozen=True)
class BatchOptions:
    """What ``autograder grade-batch`` grades, where it writes, and how.

    ``submissions`` is a folder or a zip in any layout :func:`discover` knows; ``out`` the
    folder for every student's results and the class files; ``jobs`` the grader processes
    (None: one per core); ``force`` regrades students whose results are up to date;
    ``figures`` draws the feedback pictures; ``roster`` is the optional roster CSV;
    ``similarity`` writes the integrity report; ``canvas_assignment_id`` goes into grades.csv.
    """

    submissions: Path
    out: Path
    jobs: int | None = None
    force: bool = False
    figures: bool = True
    roster: Path | None = None
    similarity: bool = True
    canvas_assignment_id: int | None = None


def grade_class(options: BatchOptions, config: GradingConfig, assignment_name: str | None) -> int:
    """Grade a class and write the class files; return the exit status (0, or 130 when
    interrupted). Misuse raises :class:`UsageError` before anything is graded."""
    assignment = config.assignment(assignment_name)
    jobs = options.jobs if options.jobs is not None else default_jobs()
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    roster = None
    if options.roster is not None:
        from autograder.export.roster import load_roster

        try:
            roster = load_roster(options.roster)
        except RosterError as error:
            raise UsageError(str(error)) from None
    out: Path = options.out
    unpacked = None
    try:
        source = options.submissions
        try:
            if source.is_file() and source.suffix == ".zip":
                unpacked = Path(tempfile.mkdtemp(prefix="autograder-unpacked-"))
                source = unpack_zip(source, unpacked)
            entries = discover(
                source, assignment.module, assignment.name, list(assignment.functions)
            )
        except DiscoveryError as error:
            message = str(error)
            if unpacked is not None:  # name the zip the user gave, not our temporary copy
                message = message.replace(str(unpacked), str(options.submissions))
            raise UsageError(message) from None
        try:  # a roster that contradicts the export stops the run before anything is graded
            with_known(roster, known_students(entries))
        except RosterError as error:
            raise UsageError(str(error)) from None
        out.mkdir(parents=True, exist_ok=True)
        layout = entries[0].layout if entries else "plain"
        people = sum(len(e.students) for e in entries)
        groups = f" of {people} students" if people != len(entries) else ""
        chosen = (
            ""
            if assignment_name or len(config.assignments) == 1
            else " (the default; --assignment chooses)"
        )
        print(
            terminal_text(
                f"Grading {len(entries)} submissions{groups} ({layout} layout) of "
                f"{assignment.name!r}"
                f"{chosen} with {jobs} grader processes into {out}"
            )
        )
        outcome = grade_batch(
            entries,
            assignment,
            config.path,
            out,
            jobs,
            force=options.force,
            on_progress=Progress(len(entries)),
            figures=options.figures,
        )
        # the integrity report reads the submissions again: before an unpacked zip is removed
        similarity = _integrity_report(options, entries, outcome, assignment, config, out, jobs)
    finally:
        if unpacked is not None:
            shutil.rmtree(unpacked, ignore_errors=True)
    if outcome.interrupted:
        finished = sum(1 for s in outcome.students if s.result is not None)
        print(
            terminal_text(
                f"\nInterrupted: {finished} of {len(entries)} students have results in {out}; "
                "run the same command again to grade the rest."
            ),
            file=sys.stderr,
        )
        return 130
    write_class_files(
        entries,
        outcome,
        assignment,
        out,
        roster,
        options.canvas_assignment_id,
        integrity=(len(similarity.pairs), similarity.flagged) if similarity else None,
    )
    stats = class_summary(class_rows(entries, outcome), assignment)
    print(
        terminal_text(summary_text(stats, reused=outcome.reused, wall_seconds=outcome.wall_seconds))
    )
    print(
        terminal_text(
            f"Class files: {out}/summary.html, summary.md, class.json, grades.csv, "
            f"scores.jsonl, moodle.csv{', similarity.html, similarity.csv' if similarity else ''}"
        )
    )
    return 0


def _integrity_report(
    options: BatchOptions,
    entries: list[Entry],
    outcome: BatchOutcome,
    assignment: AssignmentConfig,
    config: GradingConfig,
    out: Path,
    jobs: int,
) -> IntegrityReport | None:
    """similarity.csv and .html, unless --no-similarity (then no stale report is left) or the
    run was interrupted; None when none was written."""
    if not options.similarity:
        for name in ("similarity.csv", "similarity.html"):
            (out / name).unlink(missing_ok=True)
        return None
    if outcome.interrupted:
        return None
    from autograder.integrity.command import missing_dependency, write_integrity_report

    reason = missing_dependency()
    if reason:
        print(terminal_text(f"No integrity report: {reason}."), file=sys.stderr)
        return None
    report = write_integrity_report(entries, outcome.students, assignment, config.path, out, jobs)
    print(terminal_text(report.line()))
    return report


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


def class_students(entries: list[Entry], outcome: BatchOutcome) -> list[StudentResult]:
    """One StudentResult per entry, in the entries' order; an entry the outcome lacks is not
    graded (NO_RESULT), so no class file can leave a student out."""
    results = {s.student_id: s for s in outcome.students}
    return [
        results.get(e.student_id, StudentResult(e.student_id, None, NO_RESULT)) for e in entries
    ]


def class_rows(entries: list[Entry], outcome: BatchOutcome) -> list[ClassRow]:
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
    """What the export says about each student, for :func:`with_known`: a Canvas user id is
    the student's id, but no SIS id."""
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


def write_class_files(
    entries: list[Entry],
    outcome: BatchOutcome,
    assignment: AssignmentConfig,
    out: Path,
    roster: Roster | None,
    canvas_assignment_id: int | None,
    integrity: tuple[int, int] | None = None,
) -> list[StudentResult]:
    """class.json, the LMS exports and the summary, a row per student; return the rows written.

    Each entry gives a row to each of its students (a Gradescope group: every member, with the
    group's result). class.json and the summary list them in the entries' order; the
    gradebook exports order them by name (see :mod:`autograder.export.common`). A student
    who is not graded has no score anywhere and their reason in class.json and the summary.
    Raises RosterError when the roster contradicts the export (see
    :func:`autograder.export.roster.with_known`), before anything is written.

    class.json's students: ``student`` (the row's id), ``name`` (the roster's, else the
    export's, else ""), ``canvas_id`` (the Canvas user id from the export, else the
    roster's, else null), ``email`` (likewise, else null), ``late``, ``group`` (every
    member's id when the submission was a group's, else null), ``graded``, ``score``,
    ``failure`` and ``results`` (the submission's results.json inside OUT, shared by a group).
    """
    rows = class_rows(entries, outcome)
    people = with_known(roster, known_students(entries))
    students = []
    for row in rows:
        s = row.student
        person = people.entry(s.student_id)
        cells = people.given.get(s.student_id, {})
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
    write_json_atomic(
        out / "class.json",
        {"assignment": assignment.name, "max_score": assignment.max_score, "students": students},
    )
    graded = [row.student for row in rows]
    _write_exports(graded, assignment, out, people, canvas_assignment_id)
    write_summary(replace(class_summary(rows, assignment), integrity=integrity), out)
    return graded


def _write_exports(
    students: list[StudentResult],
    assignment: AssignmentConfig,
    out: Path,
    roster: Roster | None,
    canvas_assignment_id: int | None,
) -> None:
    from autograder.export.canvas import canvas_csv
    from autograder.export.lti import lti_scores, write_jsonl
    from autograder.export.moodle import moodle_csv

    write_text_atomic(
        out / "grades.csv", canvas_csv(students, assignment, roster, canvas_assignment_id)
    )
    write_text_atomic(out / "moodle.csv", moodle_csv(students, assignment, roster))
    write_jsonl(lti_scores(students, assignment, roster, datetime.now(UTC)), out / "scores.jsonl")
