"""Put the kit's grades into an nbgrader gradebook, through nbgrader's own API.

``autograder grade-batch`` writes ``OUT/<student>/results.json`` (Gradescope format; each
test's ``extra_data.check`` is its check id). :func:`import_grades` sums each student's
points per student function (:mod:`autograder.nbgrader.points`: a check's points go to the
first function its ``@grades`` marker names) and sets them as the *manual score* of that
function's test cell (``test_<function>``) in the course's gradebook. nbgrader counts a
manual score instead of the autograder's, so formgrader and ``nbgrader export`` show the
kit's points. Students, and their submission records, are created as needed; the assignment
must already be in the gradebook (``nbgrader generate_assignment``). Everything is checked
before anything is written; the scores are committed together, at the end.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

from autograder.config import AssignmentConfig
from autograder.nbgrader.points import earned_by_function, function_points, grade_id

SQLITE = "sqlite:///"


class GradebookError(RuntimeError):
    """The grades cannot be imported; the message is one sentence for the instructor."""


@dataclass(frozen=True)
class ImportedStudent:
    """One student whose points were written, and whether the gradebook had to create them."""

    student: str
    score: float
    created: bool


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_grades` wrote, and which result folders it left out, and why."""

    assignment: str
    notebook: str
    gradebook: str
    students: tuple[ImportedStudent, ...]
    skipped: tuple[tuple[str, str], ...]  # (folder name, why)

    def summary(self) -> str:
        created = sum(s.created for s in self.students)
        lines = [
            f"Imported the points of {len(self.students)} students into {self.gradebook} "
            f"(assignment {self.assignment}, notebook {self.notebook}"
            + (f"; {created} students were new" if created else "")
            + ")."
        ]
        lines += [f"  skipped {name}: {why}" for name, why in self.skipped]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Points:
    student: str
    earned: dict[str, float]  # per function
    maximum: dict[str, float]


def import_grades(out_dir: Path, course_dir: Path, assignment: AssignmentConfig) -> ImportReport:
    """Set each student's per-function points from ``out_dir`` in ``course_dir``'s gradebook."""
    try:
        from nbgrader.api import Gradebook, MissingEntry
        from sqlalchemy.exc import SAWarning
    except ImportError:
        raise GradebookError(
            "nbgrader is not installed here; install it (pip install nbgrader) to import grades"
        ) from None
    out_dir, course_dir = Path(out_dir), Path(course_dir)
    db_url, course_id = course_settings(course_dir)
    if db_url.startswith(SQLITE) and not Path(db_url.removeprefix(SQLITE)).is_file():
        raise GradebookError(
            f"{course_dir} has no nbgrader gradebook ({db_url.removeprefix(SQLITE)}); run "
            f"`nbgrader generate_assignment {assignment.name}` in it first"
        )
    worth = function_points(assignment)
    results, skipped = read_results(out_dir, assignment)
    with warnings.catch_warnings(), Gradebook(db_url, course_id=course_id) as gradebook:
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission trips autoflush
        try:
            stored = gradebook.find_assignment(assignment.name)
        except MissingEntry:
            raise GradebookError(
                f"the gradebook of {course_dir} has no assignment {assignment.name!r}; run "
                f"`nbgrader generate_assignment {assignment.name}` first"
            ) from None
        notebook = _notebook(stored, assignment)
        notebook_name = notebook.name  # read now: nbgrader's commits expire loaded objects
        _check_cells(notebook, worth, assignment)
        imported = []
        for entry in results:
            wrong = [f for f in worth if abs(entry.maximum.get(f, 0.0) - worth[f]) > 1e-9]
            if wrong:
                skipped.append(
                    (entry.student, f"was graded with other points for {', '.join(wrong)}")
                )
                continue
            try:
                gradebook.find_student(entry.student)
                created = False
            except MissingEntry:
                gradebook.update_or_create_student(entry.student)
                created = True
            try:
                gradebook.find_submission(assignment.name, entry.student)
            except MissingEntry:
                gradebook.add_submission(assignment.name, entry.student)
            points = {f: min(entry.earned[f], worth[f]) for f in worth}
            for function, earned in points.items():
                grade = gradebook.find_grade(
                    grade_id(function), notebook_name, assignment.name, entry.student
                )
                grade.manual_score = earned
                grade.needs_manual_grade = False
            imported.append(ImportedStudent(entry.student, round(sum(points.values()), 6), created))
        gradebook.db.commit()
    return ImportReport(
        assignment=assignment.name,
        notebook=notebook_name,
        gradebook=db_url,
        students=tuple(imported),
        skipped=tuple(skipped),
    )


def _check_cells(notebook, worth: dict[str, float], assignment: AssignmentConfig) -> None:
    """Every function with checks has its test cell in the gradebook, worth its points."""
    cells = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
    for function, points in worth.items():
        name = grade_id(function)
        if name not in cells:
            raise GradebookError(
                f"notebook {notebook.name} of {assignment.name} in the gradebook has no test cell "
                f"{name}; write its source with `autograder nbgrader-source` and run `nbgrader "
                "generate_assignment` again"
            )
        if cells[name] != points:
            raise GradebookError(
                f"the gradebook gives {name} {cells[name]:g} points, but grading.yaml gives the "
                f"checks of {function} {points:g}; regenerate the source notebook and the assignment"
            )


def course_settings(course_dir: Path) -> tuple[str, str]:
    """The gradebook URL and course id that nbgrader uses in ``course_dir``."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    if not course_dir.is_dir():
        raise GradebookError(f"{course_dir}: no such course folder")
    config = Config()
    if (course_dir / "nbgrader_config.py").is_file():
        try:
            config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
        except Exception as error:  # the file is Python: anything can go wrong in it
            raise GradebookError(
                f"{course_dir / 'nbgrader_config.py'}: cannot be read ({error})"
            ) from None
    coursedir = CourseDirectory(config=config)
    if "root" not in config.get("CourseDirectory", {}):
        coursedir.root = str(course_dir.resolve())
    return coursedir.db_url, coursedir.course_id


def read_results(
    out_dir: Path, assignment: AssignmentConfig
) -> tuple[list[_Points], list[tuple[str, str]]]:
    """Each student's points per function from ``out_dir/<student>/results.json``; the skipped."""
    if not out_dir.is_dir():
        raise GradebookError(f"{out_dir}: no such folder of results")
    results, skipped = [], []
    for folder in sorted(p for p in out_dir.iterdir() if (p / "results.json").is_file()):
        try:
            data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
            extra = data.get("extra_data", {})
            tests = [(t["extra_data"]["check"], t) for t in data["tests"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            skipped.append((folder.name, "its results.json is not a results file of the kit"))
            continue
        if extra.get("assignment", assignment.name) != assignment.name:
            skipped.append((folder.name, f"its results are for {extra.get('assignment')!r}"))
            continue
        if extra.get("graded") is False:
            skipped.append((folder.name, "grading failed (see its results.json)"))
            continue
        earned = earned_by_function(((c, float(t["score"])) for c, t in tests), assignment)
        maximum = earned_by_function(((c, float(t["max_score"])) for c, t in tests), assignment)
        results.append(_Points(folder.name, earned, maximum))
    if not results and not skipped:
        raise GradebookError(f"{out_dir}: holds no <student>/results.json")
    return results, skipped


def _notebook(stored, assignment: AssignmentConfig):
    """The assignment's notebook in the gradebook: ``<module>``, or its only notebook."""
    notebooks = {n.name: n for n in stored.notebooks}
    if assignment.module in notebooks:
        return notebooks[assignment.module]
    if len(notebooks) == 1:
        return next(iter(notebooks.values()))
    raise GradebookError(
        f"assignment {assignment.name} in the gradebook has no notebook {assignment.module} "
        f"(it has {', '.join(sorted(notebooks)) or 'none'})"
    )
