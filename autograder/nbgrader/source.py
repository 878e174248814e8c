"""The nbgrader source notebook of an assignment, generated from the same sources as the stubs.

From the lesson (the release folder's README, cut into its parts by
:func:`autograder.release.notebook.lesson_parts`) and the reference (with its solution
markers):

* the teaching and "What you implement" in markdown cells; "Check your work" and the
  question are worded for a notebook;
* the reference's preamble (imports, constants, helpers) and the notebook helpers
  (``helpers_cell.py``), as read-only cells;
* per student function, an autograded answer cell (the reference function, its body between
  the solution markers) and an autograder test cell worth the grading.yaml points of that
  function's checks: its visible part prints the public checks of that function, its hidden
  part returns the points the kit's hidden checks give it (:mod:`autograder.nbgrader.cells`);
* the experiment (grading.yaml's ``experiment``: a read-only cell that runs its script), and
  a manually graded markdown answer to the question, holding the model answer
  (grading.yaml's ``question``) for the graders.

nbgrader (``generate_assignment``) turns this into the student version: it replaces the
solution regions by ``# YOUR CODE HERE`` + ``raise NotImplementedError()``, exactly as the
kit's stubs do, replaces the answer cell, and removes the hidden parts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from autograder.config import AssignmentConfig, GradingConfig
from autograder.nbgrader.points import function_points, grade_id
from autograder.outputs.atomic import write_bytes_atomic
from autograder.release.bundle import SKIPPED_NAMES, ReleaseError, read_lesson
from autograder.release.notebook import (
    NOTEBOOK_METADATA,
    lesson_parts,
    module_cells,
    notebook_text,
    section_title,
)

SCHEMA_VERSION = 3
QUESTION_POINTS = 2  # the question's points when grading.yaml gives the assignment no question
HELPERS = Path(__file__).with_name("helpers_cell.py")

CHECK_YOUR_WORK = """\
After each function comes its test cell. Run it to check that function: it runs the public
checks of `{tests}` on the numbers of this lesson, and prints ✓ for each check that
passes and ✗ for each that fails, with what was called, what came back, what was expected and
why. Each check tests one function on its own: the functions it calls are replaced by
known-correct stand-ins while it runs. A check that runs longer than {seconds:g} s is stopped.
When your notebook is graded, the same cells also run the hidden checks{see}; each test
cell is worth the points of its function."""

ANSWER_INTRO = (
    "Answer in the cell below, in a few sentences of your own. A person reads it and grades it."
)

MODEL_ANSWER_NOTE = "*Model answer, for the graders (students see an empty answer cell).*"
NO_MODEL_ANSWER = "(No model answer has been written yet: grading.yaml's question.model_answer.)"

VISIBLE_TEST = """\
# Public checks of {function} (from {tests}): ✓ passed, ✗ failed, with the reason.
public_checks("{function}")
"""

HIDDEN_TEST = """\
### BEGIN HIDDEN TESTS
# The kit grades this notebook in its sandbox (once per kernel); this cell earns the points
# of the hidden checks of {function}.
from autograder.nbgrader.cells import points_for

points_for({arguments})
### END HIDDEN TESTS
"""


def build_source_notebook(config: GradingConfig, assignment: AssignmentConfig) -> dict:
    """The nbgrader source notebook of ``assignment`` as an nbformat 4.5 dictionary."""
    lesson = lesson_parts(read_lesson(assignment))
    reference = assignment.reference_file.read_text(encoding="utf-8")
    preamble, functions = reference_cells(reference, list(assignment.functions))
    worth = function_points(assignment)
    tests = assignment.public_tests.name

    cells = [_markdown("lesson", lesson.teaching)]
    if lesson.implement is not None:
        cells.append(_markdown("what-you-implement", lesson.implement))
    see = f" (“{section_title(lesson.grading)}”)" if lesson.grading else ""
    check_text = CHECK_YOUR_WORK.format(
        tests=tests, seconds=assignment.limits.call_seconds, see=see
    )
    cells.append(_markdown("check-your-work", _retitle(lesson.check, check_text)))
    cells.append(_code("module-preamble", preamble, _read_only("preamble")))
    cells.append(_code("helpers", helpers_source(assignment), _read_only("helpers")))
    for name, source in functions:
        points = worth.get(name)
        worth_text = f" ({_number(points)} point{'s' if points != 1 else ''})" if points else ""
        cells.append(_markdown(f"heading-{name}", f"### `{name}`{worth_text}"))
        cells.append(_code(f"answer-{name}", source, _solution(f"answer_{name}")))
        if points:
            test = VISIBLE_TEST.format(function=name, tests=tests)
            test += HIDDEN_TEST.format(
                function=name, arguments=_arguments(config, assignment, name)
            )
            cells.append(_code(f"test-{name}", test, _test(grade_id(name), points)))
    if lesson.experiment is not None:
        cells.append(_markdown("experiment", lesson.experiment))
    if assignment.experiment is not None:
        script = assignment.experiment.script
        run = f"# Runs {script} on the functions above and shows the pictures it saves.\n"
        run += "run_experiment()\n"
        cells.append(_code("run-experiment", run, _read_only("experiment")))
    if lesson.grading is not None:
        cells.append(_markdown("grading", lesson.grading))
    for number, section in enumerate(lesson.other, start=1):
        cells.append(_markdown(f"more-{number}", section))
    if lesson.question is not None:
        points = assignment.question.points if assignment.question else QUESTION_POINTS
        cells.append(_markdown("question", _answer_here(lesson.question)))
        cells.append(
            _cell(
                "markdown", "answer", model_answer(assignment), _manual("answer_question", points)
            )
        )
    return {"cells": cells, "metadata": NOTEBOOK_METADATA, "nbformat": 4, "nbformat_minor": 5}


def model_answer(assignment: AssignmentConfig) -> str:
    """The text of the source's answer cell: the model answer, for the graders."""
    question = assignment.question
    if question is None or question.model_answer is None:
        return f"{MODEL_ANSWER_NOTE} {NO_MODEL_ANSWER}"
    answer = question.model_answer.read_text(encoding="utf-8").strip()
    return f"{MODEL_ANSWER_NOTE} {answer}"


def reference_cells(reference: str, functions: Sequence[str]) -> tuple[str, list[tuple[str, str]]]:
    """The reference's preamble (all but the student functions) and each function's source."""
    try:
        return module_cells(reference, functions)
    except ValueError as error:
        raise ReleaseError(f"the reference: {error}") from None


def helpers_source(assignment: AssignmentConfig) -> str:
    """The notebook helpers cell: ``helpers_cell.py`` with this assignment's names filled in."""
    text = HELPERS.read_text(encoding="utf-8")
    for placeholder, value in {
        "@MODULE@": assignment.module,
        "@FUNCTIONS@": " ".join(assignment.functions),
        "@TESTS@": f"test_{assignment.module}.py",
        "@EXPERIMENT@": assignment.experiment.script if assignment.experiment else "",
        "@SECONDS@": f"{assignment.limits.call_seconds:g}",
    }.items():
        text = text.replace(placeholder, value)
    return text


def source_files(config: GradingConfig, assignment: AssignmentConfig) -> dict[str, bytes]:
    """Every file of ``source/<assignment>/``: the notebook and the release folder's other files.

    The lesson (in the notebook now), the stubs and the plain student notebook are left out.
    """
    left_out = {"README.md", f"{assignment.module}.py", f"{assignment.module}.ipynb"}
    files: dict[str, bytes] = {}
    for path in sorted(assignment.release_dir.rglob("*")):
        relative = path.relative_to(assignment.release_dir)
        if path.is_dir() or relative.as_posix() in left_out:
            continue
        if any(part in SKIPPED_NAMES for part in relative.parts):
            continue
        files[relative.as_posix()] = path.read_bytes()
    notebook = build_source_notebook(config, assignment)
    files[f"{assignment.module}.ipynb"] = notebook_text(notebook).encode("utf-8")
    return files


def write_source(config: GradingConfig, assignment: AssignmentConfig, course_dir: Path) -> Path:
    """Write ``course_dir/source/<assignment>/`` (replacing the files it generates); return it."""
    files = source_files(config, assignment)
    folder = Path(course_dir) / "source" / assignment.name
    for name, data in files.items():
        write_bytes_atomic(folder / name, data, mode=0o644)  # nbgrader copies these to students
    return folder


def _arguments(config: GradingConfig, assignment: AssignmentConfig, function: str) -> str:
    """The hidden call's arguments; a grading.yaml other than the kit's own is named explicitly."""
    from autograder.kit import kit_config_path

    arguments = f"{json.dumps(function)}, assignment={json.dumps(assignment.name)}"
    if config.path.resolve() != kit_config_path().resolve():
        arguments += f", config={json.dumps(str(config.path.resolve()))}"
    return arguments


def _retitle(section: str | None, text: str) -> str:
    """``text`` under the heading of ``section`` (or a heading of its own)."""
    heading = section.splitlines()[0] if section else "## Check your work"
    return f"{heading}\n\n{text}"


def _answer_here(section: str) -> str:
    """The question section, its instructions (before the quoted question) worded for a notebook."""
    lines = section.splitlines()
    quoted = next((i for i, line in enumerate(lines) if line.startswith(">")), None)
    rest = lines[quoted:] if quoted is not None else lines[1:]
    return "\n".join([lines[0], "", ANSWER_INTRO, "", *rest]).strip()


def _number(points: float) -> int | float:
    return int(points) if float(points).is_integer() else points


def _nbgrader(grade_id_: str, **flags: object) -> dict:
    meta = {"grade": False, "grade_id": grade_id_, "locked": False, "solution": False}
    return {"nbgrader": {**meta, **flags, "schema_version": SCHEMA_VERSION}}


def _read_only(grade_id_: str) -> dict:
    return _nbgrader(grade_id_, locked=True)


def _solution(grade_id_: str) -> dict:
    return _nbgrader(grade_id_, solution=True)


def _test(grade_id_: str, points: float) -> dict:
    return _nbgrader(grade_id_, grade=True, locked=True, points=_number(points))


def _manual(grade_id_: str, points: float) -> dict:
    return _nbgrader(grade_id_, grade=True, solution=True, points=_number(points))


def _markdown(cell_id: str, text: str) -> dict:
    return _cell("markdown", cell_id, text, {})


def _code(cell_id: str, text: str, metadata: dict) -> dict:
    return _cell("code", cell_id, text, metadata)


def _cell(kind: str, cell_id: str, text: str, metadata: dict) -> dict:
    cell = {"cell_type": kind, "id": cell_id, "metadata": metadata, "source": _lines(text)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)
