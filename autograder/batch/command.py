"""``autograder grade-batch``: find the class's submissions, grade them, write the class files.

Per student, ``OUT/<student>/results.json`` and ``report.json`` (exactly as
``autograder grade`` writes them). For the class: ``class.json`` (every
student's score and where their results are), the LMS exports and the
summary. Class files are written only when every student has been
processed, each atomically, so an interrupted run never leaves a half-class
gradebook behind; rerun the same command to resume.
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
from autograder.grading.results import write_json_atomic


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
        if source.is_file() and source.suffix == ".zip":
            unpacked = Path(tempfile.mkdtemp(prefix="autograder-unpacked-"))
            source = unpack_zip(source, unpacked)
        entries = discover(source, assignment.module, assignment.name)
    except DiscoveryError as error:
        raise UsageError(str(error)) from None
    try:
        out.mkdir(parents=True, exist_ok=True)
        layout = entries[0].layout if entries else "plain"
        chosen = (
            ""
            if options.assignment or len(config.assignments) == 1
            else " (the default; --assignment chooses)"
        )
        print(
            f"Grading {len(entries)} submissions ({layout} layout) of {assignment.name!r}{chosen} "
            f"with {jobs} grader processes into {out}"
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
            f"\nInterrupted: {finished} of {len(entries)} students have results in {out}; "
            "run the same command again to grade the rest.",
            file=sys.stderr,
        )
        return 130
    write_class_files(entries, outcome, assignment, out, roster, options.canvas_assignment_id)
    stats = class_statistics(outcome.students, assignment.name, assignment.max_score)
    print(summary_text(stats, reused=outcome.reused, wall_seconds=outcome.wall_seconds))
    print(
        f"Class files: {out}/summary.html, summary.md, class.json, grades.csv, scores.jsonl, moodle.csv"
    )
    return 0


def write_class_files(
    entries: list[Entry],
    outcome: BatchOutcome,
    assignment: AssignmentConfig,
    out: Path,
    roster: object,
    canvas_assignment_id: int | None,
) -> None:
    """class.json, the LMS exports and the summary, from the student results."""
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
                    "score": s.result.score if s.result else None,
                    "graded": s.result is not None,
                    "failure": s.failure,
                    "results": f"{s.student_id}/results.json" if s.result else None,
                }
                for s in outcome.students
            ],
        },
    )
    _write_exports(outcome, assignment, out, roster, canvas_assignment_id)
    write_summary(class_statistics(outcome.students, assignment.name, assignment.max_score), out)


def _write_exports(outcome, assignment, out, roster, canvas_assignment_id) -> None:
    from autograder.export.canvas import canvas_csv
    from autograder.export.lti import lti_scores, write_jsonl
    from autograder.export.moodle import moodle_csv

    students = list(outcome.students)
    _write_text_atomic(
        out / "grades.csv", canvas_csv(students, assignment, roster, canvas_assignment_id)
    )
    _write_text_atomic(out / "moodle.csv", moodle_csv(students, assignment, roster))
    write_jsonl(lti_scores(students, assignment, roster, datetime.now(UTC)), out / "scores.jsonl")


def _write_text_atomic(path: Path, text: str) -> None:
    staging = path.with_name(f".{path.name}.partial")
    staging.write_text(text, encoding="utf-8", newline="")
    staging.replace(path)
