"""What grade-batch wrote, read back for a push: ``OUT/class.json`` and each ``results.json``.

``class.json`` (autograder/batch/command.py)::

    {"assignment": "week1", "max_score": 20.0,
     "students": [{"student": "ada", "name": "doeada", "graded": true, "score": 17.5,
                   "failure": null, "results": "ada/results.json", "canvas_id": "4712",
                   "email": "", "late": false, "group": ["ada"]}, ...]}

``canvas_id`` (the Canvas user id, digits, or null) is the one the batch knew: from a
Canvas zip's file name, else from the roster it was given; a push uses it when the
roster gives none. Keys this module does not know are
ignored. ``results`` is a path inside OUT; one that would lead outside OUT
(``..``, an absolute path, a symbolic link out) is refused.

Every problem is one LmsError sentence naming the file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.grading.results import GradeResult, from_gradescope
from autograder.lms.errors import LmsError

CLASS_FILE = "class.json"


@dataclass(frozen=True)
class ClassStudent:
    """One student of class.json; ``score`` is None exactly when ``graded`` is false."""

    student: str
    name: str
    graded: bool
    score: float | None
    failure: str | None
    results: str | None
    canvas_id: str | None


@dataclass(frozen=True)
class ClassFile:
    """class.json: the assignment, its maximum, every student in the batch's order."""

    path: Path
    assignment: str
    max_score: float
    students: tuple[ClassStudent, ...]

    @property
    def out(self) -> Path:
        """The grade-batch folder (where class.json is)."""
        return self.path.parent

    def student(self, name: str) -> ClassStudent | None:
        """The student whose submission is named ``name``, or None."""
        return next((s for s in self.students if s.student == name), None)


def load_class_file(path: Path) -> ClassFile:
    """Read and check ``path`` (an ``OUT/class.json``); LmsError naming it when it is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LmsError(
            f"{path}: no such file; give the folder grade-batch wrote (it holds class.json)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise LmsError(f"{path}: cannot be read as JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("students"), list):
        raise LmsError(f"{path}: is not a class.json of grade-batch (no students list)")
    maximum = data.get("max_score")
    if not _number(maximum) or maximum <= 0:
        raise LmsError(f"{path}: max_score must be a number above 0, not {maximum!r}")
    students = []
    seen: set[str] = set()
    for number, entry in enumerate(data["students"], start=1):
        student = _student(path, number, entry)
        if student.student in seen:
            raise LmsError(f"{path}: student {student.student!r} appears twice")
        seen.add(student.student)
        students.append(student)
    return ClassFile(
        path=path,
        assignment=str(data.get("assignment") or ""),
        max_score=float(maximum),
        students=tuple(students),
    )


def load_result(class_file: ClassFile, student: ClassStudent) -> GradeResult:
    """The student's GradeResult from the results.json class.json points to (inside OUT)."""
    if not student.results:
        raise LmsError(f"{class_file.path}: student {student.student!r} has no results file")
    out = class_file.out.resolve()
    path = (out / student.results).resolve()
    if not path.is_relative_to(out):
        raise LmsError(
            f"{class_file.path}: the results of {student.student!r} ({student.results}) lead "
            "outside the grade-batch folder"
        )
    try:
        return from_gradescope(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise LmsError(
            f"{path}: no such file (class.json lists it for {student.student!r})"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise LmsError(f"{path}: is not a results.json of the kit ({error!r})") from None


def _student(path: Path, number: int, entry: Any) -> ClassStudent:
    where = f"{path}: student {number}"
    if not isinstance(entry, dict) or not isinstance(entry.get("student"), str):
        raise LmsError(f"{where} has no submission name ('student')")
    graded = entry.get("graded")
    score = entry.get("score")
    if not isinstance(graded, bool):
        raise LmsError(f"{where} ({entry['student']!r}): 'graded' must be true or false")
    if graded and (not _number(score) or score < 0):
        raise LmsError(
            f"{where} ({entry['student']!r}) is graded but its score is {score!r}, "
            "not a number >= 0"
        )
    canvas_id = entry.get("canvas_id")
    if isinstance(canvas_id, int) and not isinstance(canvas_id, bool):
        canvas_id = str(canvas_id)
    if canvas_id in ("", None):
        canvas_id = None
    elif not (isinstance(canvas_id, str) and canvas_id.isascii() and canvas_id.isdigit()):
        raise LmsError(
            f"{where} ({entry['student']!r}): canvas_id must be a whole number, not {canvas_id!r}"
        )
    results = entry.get("results")
    failure = entry.get("failure")
    return ClassStudent(
        student=entry["student"],
        name=str(entry.get("name") or ""),
        graded=graded,
        score=float(score) if graded else None,
        failure=str(failure) if failure else None,
        results=results if isinstance(results, str) and results else None,
        canvas_id=canvas_id,
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
