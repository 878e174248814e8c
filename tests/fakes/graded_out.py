"""A grade-batch folder written by the kit's own writers from hand-made records.

``class.json``, ``scores.jsonl`` (and grades.csv, moodle.csv, the summary) come
from :func:`autograder.batch.command.write_class_files`, each student's
``results.json`` from :func:`autograder.grading.results.to_gradescope`, as a
grade-batch run writes them; only the grading itself is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.batch.command import write_class_files
from autograder.batch.discover import Entry
from autograder.batch.runner import BatchOutcome
from autograder.config import AssignmentConfig
from autograder.export.roster import Roster
from autograder.grading.results import StudentResult, to_gradescope
from autograder.outputs.atomic import write_json_atomic


def write_graded_out(
    out: Path,
    students: list[StudentResult],
    assignment: AssignmentConfig,
    roster: Roster | None,
    canvas_ids: dict[str, str] | None = None,
) -> Path:
    """Write ``out`` for ``students``; ``canvas_ids`` adds a student's ``canvas_id`` to class.json
    (as a Canvas zip's submission carries its Canvas user id). Returns ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for student in students:
        if student.result is not None:
            write_json_atomic(
                out / student.student_id / "results.json", to_gradescope(student.result)
            )
    entries = [Entry(s.student_id, out / f"{s.student_id}.py") for s in students]
    outcome = BatchOutcome(
        students=tuple(students), graded=len(students), reused=0, wall_seconds=1.0
    )
    write_class_files(entries, outcome, assignment, out, roster, None)
    if canvas_ids:
        path = out / "class.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        for entry in data["students"]:
            if entry["student"] in canvas_ids:
                entry["canvas_id"] = canvas_ids[entry["student"]]
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return out
