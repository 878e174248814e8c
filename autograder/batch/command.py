"""``autograder grade-batch``: find the class's submissions, grade them, write the class files.

Per student, ``OUT/<student>/results.json`` and ``report.json`` (exactly as
``autograder grade`` writes them). For the class: ``class.json`` (every
student's score and where their results are), the LMS exports and the
summary. Class files are written only when every student has been
processed, each atomically, so an interrupted run never leaves a half-class
gradebook behind; rerun the same command to resume.

Every class file lists every submission found: one that is not graded
(grading failed or could not be attempted) is there with its reason and no
score. Whatever is printed passes through
:func:`autograder.report.terminal_text`: student ids are file names and
reasons are exception messages, either may hold terminal escape sequences.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from autograder.batch.discover import DiscoveryError, Entry, discover, unpack_zip
from autograder.batch.runner import BatchOutcome, Progress, default_jobs, grade_batch
from autograder.batch.summary import class_statistics, summary_text, write_summary
from autograder.config import AssignmentConfig, GradingConfig
from autograder.export.roster import Roster
from autograder.grading.results import StudentResult, write_json_atomic, write_text_atomic
from autograder.report import terminal_text


def grade_class(
    options: argparse.Namespace, config: GradingConfig, assignment: AssignmentConfig
) -> int:
    from autograder.cli import UsageError

    jobs = options.jobs if options.jobs is not None else default_jobs()
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    roster = None
    if options.roster is not None:
        from autograder.export.roster import RosterError, load_roster

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
        out.mkdir(parents=True, exist_ok=True)
        layout = entries[0].layout if entries else "plain"
        chosen = (
            ""
            if options.assignment or len(config.assignments) == 1
            else " (the default; --assignment chooses)"
        )
        print(
            terminal_text(
                f"Grading {len(entries)} submissions ({layout} layout) of {assignment.name!r}"
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
            figures=not options.no_figures,
        )
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
    students = write_class_files(
        entries, outcome, assignment, out, roster, options.canvas_assignment_id
    )
    stats = class_statistics(students, assignment.name, assignment.max_score)
    print(
        terminal_text(summary_text(stats, reused=outcome.reused, wall_seconds=outcome.wall_seconds))
    )
    print(
        terminal_text(
            f"Class files: {out}/summary.html, summary.md, class.json, grades.csv, "
            "scores.jsonl, moodle.csv"
        )
    )
    return 0


NO_RESULT = "not graded: the batch produced no result for this submission"


def class_students(entries: list[Entry], outcome: BatchOutcome) -> list[StudentResult]:
    """One StudentResult per entry, in the entries' order; an entry the outcome lacks is not
    graded (NO_RESULT), so no class file can leave a student out."""
    results = {s.student_id: s for s in outcome.students}
    return [
        results.get(e.student_id, StudentResult(e.student_id, None, NO_RESULT)) for e in entries
    ]


def write_class_files(
    entries: list[Entry],
    outcome: BatchOutcome,
    assignment: AssignmentConfig,
    out: Path,
    roster: Roster | None,
    canvas_assignment_id: int | None,
) -> list[StudentResult]:
    """class.json, the LMS exports and the summary, with every entry; return the students written.

    class.json and the summary list the entries in their order; the gradebook
    exports order them by name (see :mod:`autograder.export.common`). A student
    who is not graded has no score anywhere and their reason in class.json and
    the summary.
    """
    students = class_students(entries, outcome)
    names = {e.student_id: e.name for e in entries}
    write_json_atomic(
        out / "class.json",
        {
            "assignment": assignment.name,
            "max_score": assignment.max_score,
            "students": [
                {
                    "student": s.student_id,
                    "name": names.get(s.student_id, ""),
                    "graded": s.graded,
                    "score": s.result.score if s.graded and s.result is not None else None,
                    "failure": s.reason,
                    "results": f"{s.student_id}/results.json" if s.result is not None else None,
                }
                for s in students
            ],
        },
    )
    _write_exports(students, assignment, out, roster, canvas_assignment_id)
    write_summary(class_statistics(students, assignment.name, assignment.max_score), out)
    return students


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
