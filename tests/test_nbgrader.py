"""The nbgrader workflow, for real: source notebook, generate_assignment, autograde, export, import.

A temporary course gets the source notebook from ``autograder nbgrader-source``; nbgrader
generates the student version; four students hand in notebooks made from it (a correct one,
a sign-flipped ``mse_grad``, ``abs`` instead of ``sign`` in ``mae_grad``, and an ``mse`` that
never returns) with proper ``timestamp.txt`` files; ``nbgrader autograde`` and ``nbgrader
export`` grade them. Every student's nbgrader score, and every test cell's, must equal what
``autograder grade`` gives the same submitted notebook; then the kit's results are imported
into the gradebook and read back through nbgrader's own API.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, samples_of

from autograder.config import load_config
from autograder.nbgrader.cells import CellError, course_root, notebook_to_grade
from autograder.nbgrader.command import write_nbgrader_source
from autograder.nbgrader.gradebook import GradebookError, import_grades
from autograder.nbgrader.points import function_points, grade_id, owners
from autograder.nbgrader.source import MODEL_ANSWER_NOTE, build_source_notebook, reference_cells
from autograder.release.bundle import find_leaks
from autograder.release.stubs import MARKERS, stubs_for

nbgrader_api = pytest.importorskip(
    "nbgrader.api", reason="nbgrader is not installed (pip install nbgrader to test this workflow)"
)

BIN = Path(sys.executable).parent
ASSIGNMENT = "regression_losses"
COURSE_ID = "sign101"
TIMESTAMP = "2026-01-01 12:00:00.000000 UTC"
# The first test cell pays for the kit's whole grade (about 2 s, plus the kit's 2 s per-call
# limit when a function never returns) and its own public checks (2 s at most per function).
CELL_TIMEOUT = 15
# grading.yaml's question.points of the assignment, read without the loader under test
QUESTION_POINTS = yaml.safe_load((REPO_ROOT / "grading.yaml").read_text(encoding="utf-8"))[
    "assignments"
][ASSIGNMENT]["question"]["points"]
NBGRADER_KEYS = {"schema_version", "grade", "solution", "locked", "grade_id", "points", "task"}


@dataclass(frozen=True)
class Course:
    root: Path
    students: dict[str, Path]  # each student's submitted/<student>/<assignment>/ folder
    exported: dict[str, dict[str, str]]  # `nbgrader export` rows by student id


@dataclass(frozen=True)
class KitRun:
    out: Path  # OUT/<student>/results.json
    results: dict[str, dict]


@pytest.fixture(scope="module")
def config():
    return load_config(REPO_ROOT / "grading.yaml")


@pytest.fixture(scope="module")
def assignment(config):
    return config.assignment(ASSIGNMENT)


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the nbgrader program of this environment in ``course`` (its bin first on PATH)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(BIN / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def student_sources(assignment) -> dict[str, str]:
    """Each student's module: a correct one, two catalogued mistakes, one that never returns."""
    correct = (samples_of(ASSIGNMENT) / "correct_vectorised.py").read_text(encoding="utf-8")
    hangs = correct.replace(
        "def mse(y_pred, y_true):\n", "def mse(y_pred, y_true):\n    while True:\n        pass\n", 1
    )
    assert hangs != correct
    return {
        "alice": correct,
        "bob": (samples_of(ASSIGNMENT) / "mse_grad__sign_flipped.py").read_text(encoding="utf-8"),
        "carol": (samples_of(ASSIGNMENT) / "mae_grad__abs_not_sign.py").read_text(encoding="utf-8"),
        "dave": hangs,
    }


def fill_answers(release: dict, module_text: str, functions: list[str]) -> dict:
    """The release notebook with each answer cell replaced by that function from ``module_text``."""
    sources = dict(reference_cells(module_text, functions)[1])
    notebook = json.loads(json.dumps(release))
    for cell in notebook["cells"]:
        cell_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if cell_id.startswith("answer_") and cell_id.removeprefix("answer_") in sources:
            cell["source"] = sources[cell_id.removeprefix("answer_")]
    return notebook


def write_source_with_the_command(config, course: Path) -> None:
    """``autograder nbgrader-source --course COURSE``, through the command's entry function."""
    assert write_nbgrader_source(config, None, course) == 0


@pytest.fixture(scope="module")
def course(tmp_path_factory, config, assignment):
    """A course taken through generate_assignment, submission, autograde and export."""
    root = tmp_path_factory.mktemp("course")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(root / 'gradebook.db')!r}\n"
        f"c.Execute.timeout = {CELL_TIMEOUT}\n",
        encoding="utf-8",
    )
    write_source_with_the_command(config, root)
    nbgrader(root, "generate_assignment", ASSIGNMENT)
    release = root / "release" / ASSIGNMENT
    release_notebook = json.loads((release / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8"))
    students = {}
    for student, text in student_sources(assignment).items():
        folder = root / "submitted" / student / ASSIGNMENT
        shutil.copytree(release, folder)
        notebook = fill_answers(release_notebook, text, list(assignment.functions))
        (folder / f"{ASSIGNMENT}.ipynb").write_text(
            json.dumps(notebook, indent=1), encoding="utf-8"
        )
        (folder / "timestamp.txt").write_text(TIMESTAMP, encoding="utf-8")
        students[student] = folder
    nbgrader(root, "autograde", ASSIGNMENT)
    nbgrader(root, "export", "--to", str(root / "grades.csv"))
    with open(root / "grades.csv", newline="", encoding="utf-8") as stream:
        exported = {row["student_id"]: row for row in csv.DictReader(stream)}
    return Course(root, students, exported)


@pytest.fixture(scope="module")
def kit(course, tmp_path_factory) -> KitRun:
    """``autograder grade`` of each submitted notebook, into OUT/<student>/ (run in parallel)."""
    out = tmp_path_factory.mktemp("kit-out")
    runs = {
        student: subprocess.Popen(
            [str(BIN / "autograder"), "grade", str(folder), "--out", str(out / student)],
            cwd=course.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for student, folder in course.students.items()
    }
    for student, run in runs.items():
        stdout, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, f"autograder grade of {student} failed:\n{stdout}\n{stderr}"
    return KitRun(out, {s: json.loads((out / s / "results.json").read_text()) for s in runs})


def kit_points_by_tag(results: dict, functions) -> dict[str, float]:
    """The kit's points per student function, read from the tests' tags (not from check ids)."""
    points = dict.fromkeys(functions, 0.0)
    for test in results["tests"]:
        assert len(test["tags"]) == 1, test["name"]
        points[test["tags"][0]] += test["score"]
    return points


def gradebook(course):
    return nbgrader_api.Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", course_id=COURSE_ID)


# -- the source notebook --------------------------------------------------------------------------


def test_the_question_is_worth_what_grading_yaml_says(assignment):
    assert assignment.question.points == QUESTION_POINTS


def test_each_check_belongs_to_the_first_function_its_grades_marker_names(assignment):
    owner = owners(assignment)  # from the @grades markers in the checks, as grading reads them
    assert owner["mse_values"] == "mse"
    assert owner["mse_grad_values"] == "mse_grad"
    assert owner["linear_grads_mse"] == "linear_grads"
    assert set(owner) == set(assignment.checks)
    worth = function_points(assignment)
    assert worth["mse"] == 1 and worth["mse_grad"] == 4 and worth["fit"] == 4
    assert sum(worth.values()) == assignment.max_score


def test_the_source_notebook_has_the_cells_nbgrader_needs(config, assignment):
    notebook = build_source_notebook(config, assignment)
    import nbformat

    nbformat.validate(nbformat.from_dict(notebook))
    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in notebook["cells"]}
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader")
        if meta:
            assert set(meta) <= NBGRADER_KEYS and meta["schema_version"] == 3
    worth = function_points(assignment)
    for function in assignment.functions:
        answer = "".join(cells[f"answer_{function}"]["source"])
        assert answer.count("### BEGIN SOLUTION") == answer.count("### END SOLUTION") == 1
        test = cells[grade_id(function)]
        meta = test["metadata"]["nbgrader"]
        assert (meta["grade"], meta["locked"], meta["solution"]) == (True, True, False)
        assert meta["points"] == worth[function]
        source = "".join(test["source"])
        visible, hidden = source.split("### BEGIN HIDDEN TESTS\n")
        assert f'public_checks("{function}")' in visible
        assert hidden.strip().splitlines()[-2] == (
            f'points_for("{function}", assignment="{ASSIGNMENT}")'
        )
    question = cells["answer_question"]
    assert question["cell_type"] == "markdown"
    meta = question["metadata"]["nbgrader"]
    assert (meta["grade"], meta["solution"], meta["points"]) == (True, True, QUESTION_POINTS)
    model_answer = assignment.question.model_answer.read_text(encoding="utf-8").strip()
    assert "".join(question["source"]) == f"{MODEL_ANSWER_NOTE} {model_answer}"
    experiment = "".join(
        next(c for c in notebook["cells"] if c["id"] == "run-experiment")["source"]
    )
    assert assignment.experiment.script in experiment and "run_experiment()" in experiment
    check_text = "".join(
        next(c for c in notebook["cells"] if c["id"] == "check-your-work")["source"]
    )
    assert "(“How you are graded”)" in check_text
    preamble = "".join(cells["preamble"]["source"])
    assert not any(marker in preamble for marker in MARKERS)


def test_the_release_answer_cells_are_the_kits_stubs_and_leak_nothing(course, config, assignment):
    release = course.root / "release" / ASSIGNMENT
    notebook = json.loads((release / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8"))
    stubs = dict(
        reference_cells(stubs_for(assignment.reference_file), list(assignment.functions))[1]
    )
    answers = {
        c["metadata"]["nbgrader"]["grade_id"].removeprefix("answer_"): "".join(c["source"])
        for c in notebook["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("answer_")
        and c["cell_type"] == "code"
    }
    assert answers.keys() == stubs.keys()
    for function, stub in stubs.items():
        assert answers[function].rstrip() == stub.rstrip(), function
    files = {p.name: p.read_bytes() for p in release.iterdir() if p.is_file()}
    assert find_leaks(files, config, assignment) == []
    assert "points_for" not in files[f"{ASSIGNMENT}.ipynb"].decode("utf-8")


# -- autograde ------------------------------------------------------------------------------------


def test_nbgrader_scores_equal_the_kits_per_student_and_per_cell(course, kit, assignment):
    worth = function_points(assignment)
    scores = {}
    with gradebook(course) as gb:
        for student in course.students:
            results = kit.results[student]
            exported = course.exported[student]
            assert float(exported["score"]) == pytest.approx(results["score"], abs=1e-6), student
            assert float(exported["max_score"]) == assignment.max_score + QUESTION_POINTS
            by_tag = kit_points_by_tag(results, assignment.functions)
            for function in worth:
                grade = gb.find_grade(grade_id(function), ASSIGNMENT, ASSIGNMENT, student)
                assert grade.auto_score == pytest.approx(by_tag[function], abs=1e-6), (
                    student,
                    function,
                )
            scores[student] = results["score"]
    # The mistakes cost what they should, and only there.
    assert scores["alice"] == assignment.max_score
    assert scores["alice"] - scores["bob"] == worth["mse_grad"]
    assert scores["alice"] - scores["carol"] == worth["mae_grad"]
    assert scores["alice"] - scores["dave"] == worth["mse"]


def test_test_cells_print_the_public_checks_and_nothing_on_stderr(course):
    for student in course.students:
        path = course.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            kinds = [(o["output_type"], o.get("name")) for o in cell.get("outputs", [])]
            assert ("stream", "stderr") not in kinds and ("error", None) not in kinds, (
                student,
                cell["id"],
                cell["outputs"],
            )
        outputs = {
            cell["id"]: "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
            for cell in notebook["cells"]
        }
        assert "Public checks of mse_grad:" in outputs["test-mse_grad"]
        if student == "dave":
            assert "did not return within 2 s" in outputs["test-mse"]
        if student == "bob":
            assert "✗ mse_grad_by_hand" in outputs["test-mse_grad"]


def test_validate_passes_the_source_and_shows_a_student_their_failing_public_checks(course):
    source = course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert (
        "Success! Your notebook passes all the tests."
        in nbgrader(course.root, "validate", str(source)).stdout
    )
    bob = nbgrader(course.root, "validate", str(course.students["bob"] / f"{ASSIGNMENT}.ipynb"))
    assert "public checks of mse_grad that did not pass: mse_grad_by_hand (" in bob.stdout
    assert "public checks of mse " not in bob.stdout


def test_the_hidden_cells_find_the_course_and_the_submitted_notebook(course, tmp_path):
    working = course.root / "autograded" / "alice" / ASSIGNMENT
    assert course_root(working) == course.root
    assert notebook_to_grade(course.root, working, f"{ASSIGNMENT}.ipynb") == (
        course.root / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    )
    with pytest.raises(CellError, match="found no nbgrader course"):
        course_root(tmp_path)


# -- import ---------------------------------------------------------------------------------------


def test_import_sets_each_cells_manual_score_to_the_kits_points(course, kit, assignment, tmp_path):
    out = shutil.copytree(kit.out, tmp_path / "out")
    shutil.rmtree(out / "bob")  # a regrade: the kit now gives bob alice's points
    shutil.copytree(out / "alice", out / "bob")
    shutil.copytree(out / "alice", out / "erin")  # graded by the kit only: created on import
    (out / "zed").mkdir()  # results of another assignment: left out, with the reason
    (out / "zed" / "results.json").write_text('{"tests": [], "extra_data": {"assignment": "x"}}')
    report = import_grades(out, course.root, assignment)
    assert {s.student for s in report.students} == {*course.students, "erin"}
    assert [s.student for s in report.students if s.created] == ["erin"]
    assert report.skipped == (("zed", "its results are for 'x'"),)
    assert "skipped zed: its results are for 'x'" in report.summary()
    results = {**kit.results, "bob": kit.results["alice"], "erin": kit.results["alice"]}
    with gradebook(course) as gb:
        for imported in report.students:
            by_tag = kit_points_by_tag(results[imported.student], assignment.functions)
            assert imported.score == pytest.approx(results[imported.student]["score"])
            for function in function_points(assignment):
                grade = gb.find_grade(grade_id(function), ASSIGNMENT, ASSIGNMENT, imported.student)
                assert grade.manual_score == pytest.approx(by_tag[function]), function
                assert grade.score == pytest.approx(by_tag[function])
                assert not grade.needs_manual_grade
        bob = gb.find_grade(grade_id("mse_grad"), ASSIGNMENT, ASSIGNMENT, "bob")
        assert (bob.auto_score, bob.manual_score, bob.score) == (0.0, 4.0, 4.0)
    nbgrader(course.root, "export", "--to", str(tmp_path / "imported.csv"))
    with open(tmp_path / "imported.csv", newline="", encoding="utf-8") as stream:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(stream)}
    assert exported == {s.student: pytest.approx(s.score) for s in report.students}
    assert exported["bob"] == assignment.max_score


def test_import_refuses_a_course_without_gradebook_or_assignment(course, kit, tmp_path):
    config = load_config(REPO_ROOT / "grading.yaml")
    assignment = config.assignment(ASSIGNMENT)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    with pytest.raises(GradebookError, match="has no nbgrader gradebook"):
        import_grades(kit.out, tmp_path, assignment)
    assert not (tmp_path / "gradebook.db").exists()
    other = dataclasses.replace(assignment, name="other_assignment")
    with pytest.raises(GradebookError, match="has no assignment 'other_assignment'"):
        import_grades(kit.out, course.root, other)
