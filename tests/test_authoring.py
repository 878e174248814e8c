"""docs/authoring.md, followed for real: ``autograder new`` in a fresh folder, then generate,
release, grade and grade-batch on what it scaffolded, with the outcomes the page promises.

The walk runs once (module fixture) in a temporary course folder, as an instructor would, from
inside it; the tests read what it left. Everything is graded in real sandboxes. Then: the
scaffold's hidden check fails every way of gaming it (the wrappers of test_checks_gaming.py
around the scaffolded reference), and ``new`` refuses, writing nothing, what it must refuse.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import SUBMISSIONS

from autograder.authoring import ScaffoldError, new_assignment
from autograder.cli import main
from autograder.config import load_config
from autograder.grading.runner import grade_submission, load_reference
from autograder.grading.submission import read_submission

NAME = "tiny_loss"
SECOND = "second_loss"
MAX_SCORE = 2.0  # the scaffold's one check, mse_values, is worth 2 points
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@contextlib.contextmanager
def inside(folder: Path):
    """Work from ``folder``, as an instructor in a shell would; come back afterwards."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def run(*args: str) -> tuple[int, str, str]:
    """``autograder ARGS`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes (what "nothing was written" is checked against)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module")
def walk(tmp_path_factory) -> dict:
    """docs/authoring.md's commands, in a fresh folder: what each returned, and where it wrote."""
    course = tmp_path_factory.mktemp("course")
    steps: dict = {"course": course}
    with inside(course):
        steps["new"] = new_assignment(NAME)
        steps["generate"] = run("generate", "--assignment", NAME)
        steps["release"] = run("release", "--assignment", NAME, "--out", "bundle")
        steps["grade_reference"] = run(
            "grade",
            f"reference/{NAME}/{NAME}.py",
            "--assignment",
            NAME,
            "--out",
            "graded_reference",
        )
        steps["grade_stub"] = run(
            "grade", f"assignments/{NAME}/{NAME}.py", "--assignment", NAME, "--out", "graded_stub"
        )
        students = Path("class")
        students.mkdir()
        samples = Path("reference", NAME, "samples")
        (students / "ada.py").write_bytes((samples / "correct_loop.py").read_bytes())
        (students / "bea.py").write_bytes((samples / "mse__sum_not_mean.py").read_bytes())
        (students / "cy.py").write_bytes(Path("assignments", NAME, f"{NAME}.py").read_bytes())
        steps["grade_batch"] = run(
            "grade-batch", "class", "--assignment", NAME, "--out", "graded_class", "--jobs", "2"
        )
    return steps


def results(walk: dict, folder: str) -> dict:
    return json.loads((walk["course"] / folder / "results.json").read_text(encoding="utf-8"))


# -- new ---------------------------------------------------------------------------------------


def test_new_writes_both_trees_and_a_grading_yaml_the_kit_reads(walk):
    course = walk["course"]
    scaffold = walk["new"]
    assert scaffold.config_created
    expected = {
        f"reference/{NAME}/{NAME}.py",
        f"reference/{NAME}/checks/test_checks.py",
        f"reference/{NAME}/checks/mistakes.py",
        f"reference/{NAME}/samples/correct_loop.py",
        f"reference/{NAME}/samples/mse__sum_not_mean.py",
        f"assignments/{NAME}/README.md",
        f"assignments/{NAME}/test_{NAME}.py",
        f"assignments/{NAME}/feedback_figures.py",
        "grading.yaml",
    }
    assert {p.as_posix() for p in scaffold.files} == expected
    assert all((course / p).is_file() for p in expected)
    assignment = load_config(course / "grading.yaml").assignment(NAME)
    assert assignment.module == NAME
    assert dict(assignment.functions) == {"mse": ()}
    assert set(assignment.checks) == {"mse_values"}
    assert assignment.max_score == MAX_SCORE
    assert assignment.samples_dir == course / "reference" / NAME / "samples"
    reference = (course / "reference" / NAME / f"{NAME}.py").read_text(encoding="utf-8")
    assert all(marker in reference for marker in MARKERS)
    assert "__NAME__" not in json.dumps(snapshot(course / "reference"), default=str)


def test_the_catalog_points_to_a_heading_of_the_lesson(walk):
    course = walk["course"]
    lesson = (course / "assignments" / NAME / "README.md").read_text(encoding="utf-8")
    headings = {
        line.removeprefix("## ").strip() for line in lesson.splitlines() if line.startswith("## ")
    }
    mistakes = (course / "reference" / NAME / "checks" / "mistakes.py").read_text(encoding="utf-8")
    assert 'MSE_SECTION = "1. The mean squared error"' in mistakes
    assert "1. The mean squared error" in headings


# -- generate and release -----------------------------------------------------------------------


def test_generate_writes_the_stubs_the_notebook_and_the_selfcheck_data(walk):
    status, _, stderr = walk["generate"]
    assert status == 0, stderr
    release = walk["course"] / "assignments" / NAME
    stubs = (release / f"{NAME}.py").read_text(encoding="utf-8")
    assert "raise NotImplementedError()" in stubs and "np.mean" not in stubs
    assert not any(marker in stubs for marker in MARKERS)
    notebook = json.loads((release / f"{NAME}.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert any(s.startswith("def mse(y_pred, y_true):") for s in sources)
    assert any("## 1. The mean squared error" in s for s in sources)
    data = json.loads((release / "selfcheck_data.json").read_text(encoding="utf-8"))
    mistakes = data["functions"]["mse"]["mistakes"]
    assert [m["name"] for m in mistakes] == ["sum_not_mean"]
    # the first probe, worked out by hand: errors [1, -2, 0], mean 5/3, sum 5
    assert data["functions"]["mse"]["probes"][0]["expected"] == pytest.approx(5 / 3)
    assert mistakes[0]["outputs"][0] == pytest.approx(5.0)


def test_release_writes_a_bundle_without_the_hidden_tree(walk):
    status, _, stderr = walk["release"]
    assert status == 0, stderr
    bundle = walk["course"] / "bundle"
    assert set(snapshot(bundle)) == {
        "README.md",
        f"{NAME}.py",
        f"{NAME}.ipynb",
        f"test_{NAME}.py",
        "feedback_figures.py",
        "selfcheck.py",
        "selfcheck_data.json",
    }
    for name, data in snapshot(bundle).items():
        text = data.decode("utf-8")
        assert not any(marker in text for marker in MARKERS), name
        assert "float(np.mean(errors**2))" not in text, name


def selfcheck(bundle: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "selfcheck.py"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )


def test_the_students_selfcheck_not_implemented_then_the_mistake_then_all_pass(walk, tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name, data in snapshot(walk["course"] / "bundle").items():
        (bundle / name).write_bytes(data)
    fresh = selfcheck(bundle)
    assert fresh.returncode == 1, fresh.stderr
    assert "not implemented yet" in fresh.stdout
    sample = walk["course"] / "reference" / NAME / "samples" / "mse__sum_not_mean.py"
    (bundle / f"{NAME}.py").write_bytes(sample.read_bytes())
    mistaken = selfcheck(bundle)
    assert mistaken.returncode == 1, mistaken.stderr
    assert "Looks like: sum instead of mean (no 1/n)" in mistaken.stdout
    assert "1. The mean squared error" in mistaken.stdout
    assert (bundle / "selfcheck_mse_curve.png").read_bytes().startswith(b"\x89PNG")
    sample = walk["course"] / "reference" / NAME / "samples" / "correct_loop.py"
    (bundle / f"{NAME}.py").write_bytes(sample.read_bytes())
    correct = selfcheck(bundle)
    assert correct.returncode == 0, correct.stdout + correct.stderr
    assert f"Self-check of {NAME}.py: 1 of 1 functions pass" in correct.stdout
    assert "Looks like" not in correct.stdout


# -- grade ---------------------------------------------------------------------------------------


def test_the_reference_gets_full_marks(walk):
    status, _, stderr = walk["grade_reference"]
    assert status == 0, stderr
    graded = results(walk, "graded_reference")
    assert graded["score"] == MAX_SCORE
    assert [t["name"] for t in graded["tests"]] == ["mse: the mean of the squared errors"]
    assert "✓ All 9 cases right." in graded["tests"][0]["output"]
    assert (
        (walk["course"] / "graded_reference" / "mse_curve.png").read_bytes().startswith(b"\x89PNG")
    )


def test_the_released_stub_gets_zero_not_implemented(walk):
    status, _, stderr = walk["grade_stub"]
    assert status == 0, stderr
    graded = results(walk, "graded_stub")
    assert graded["score"] == 0
    assert "implemented yet" in graded["output"]
    assert "not implemented yet" in graded["tests"][0]["output"]


def test_grade_batch_grades_the_class_and_names_the_mistake(walk):
    status, _, stderr = walk["grade_batch"]
    assert status == 0, stderr
    out = walk["course"] / "graded_class"
    scores = {s: results(walk, f"graded_class/{s}")["score"] for s in ("ada", "bea", "cy")}
    assert scores["ada"] == MAX_SCORE
    assert scores["cy"] == 0
    # bea sums: right only on the 3 of 9 cases with one element (n = 1), so 2 · 3/9 points
    assert scores["bea"] == pytest.approx(MAX_SCORE * 3 / 9, abs=1e-4)
    bea = results(walk, "graded_class/bea")["tests"][0]["output"]
    assert "the sum of the squared errors" in bea and "1. The mean squared error" in bea
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "sum instead of mean" in summary
    for name in ("grades.csv", "scores.jsonl", "moodle.csv", "class.json"):
        assert (out / name).is_file(), name


# -- the scaffold's check cannot be gamed ---------------------------------------------------------

GAMING = SUBMISSIONS / "gaming" / "wrappers.py"
VARIANTS = ("constant", "echo", "memo_first", "memo_shape", "liar_object", "liar_subclass")


def test_the_scaffolds_check_fails_every_way_of_gaming_it(walk, tmp_path):
    assignment = load_config(walk["course"] / "grading.yaml").assignment(NAME)
    reference = load_reference(assignment)
    source = assignment.reference.read_text(encoding="utf-8")  # the entry names the file
    for variant in VARIANTS:
        gamed = f"{source}\n\n{GAMING.read_text()}\n\nmse = _gaming_wrap(mse, {variant!r})\n"
        path = tmp_path / variant / f"{NAME}.py"
        path.parent.mkdir()
        path.write_text(gamed, encoding="utf-8")
        graded = grade_submission(
            assignment, read_submission(path, NAME), reference=reference, feedback=False
        ).result
        check = graded.checks[0]
        assert check.score < check.max_score, f"{variant} earned {check.score}: {check.output}"


# -- a second assignment, and what new refuses ----------------------------------------------------


def test_a_second_new_adds_its_entry_and_keeps_every_line_of_the_file(walk, tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    with inside(course):
        new_assignment(NAME)
        config = Path("grading.yaml")
        # a key after the assignments block: the new entry must go above it, inside the block
        before = (
            config.read_text(encoding="utf-8")
            + "\n# which one by default\ndefault_assignment: tiny_loss\n"
        )
        config.write_text(before, encoding="utf-8")
        scaffold = new_assignment(SECOND)
    after = (course / "grading.yaml").read_text(encoding="utf-8")
    assert not scaffold.config_created
    # the new entry (and one blank line before it) is inserted at the end of the block; taking
    # it out gives back the old file, byte for byte
    lines = after.splitlines(keepends=True)
    start, end = lines.index(f"  {SECOND}:\n"), lines.index("# which one by default\n")
    assert lines[start - 1] == "\n" and lines[end - 1] == "\n"
    assert "".join(lines[: start - 1] + lines[end - 1 :]) == before
    config = load_config(course / "grading.yaml")
    assert set(config.assignments) == {NAME, SECOND}
    assert config.default == NAME
    assert config.assignment(SECOND).reference == course / "reference" / SECOND / f"{SECOND}.py"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (NAME, "already defines an assignment 'tiny_loss'"),
        ("my-loss", "is not a Python identifier"),
        ("2fast", "is not a Python identifier"),
        ("class", "is a Python keyword"),
        ("test_losses", "starts with 'test'"),
        ("math", "the name of a module"),
        ("selfcheck", "the name of a module"),
    ],
)
def test_new_refuses_with_one_sentence_and_writes_nothing(walk, name, words):
    course = walk["course"]
    before = snapshot(course)
    with inside(course), pytest.raises(ScaffoldError) as refused:
        new_assignment(name)
    message = str(refused.value)
    assert words in message and "\n" not in message
    assert snapshot(course) == before


def test_new_refuses_a_folder_that_exists_and_writes_nothing(tmp_path):
    (tmp_path / "assignments" / "week1").mkdir(parents=True)
    (tmp_path / "assignments" / "week1" / "notes.md").write_text("mine\n")
    before = snapshot(tmp_path)
    with inside(tmp_path), pytest.raises(ScaffoldError, match="already exists"):
        new_assignment("week1")
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "grading.yaml").exists()


def test_a_write_that_fails_part_way_leaves_nothing(tmp_path):
    # reference/ can be made, assignments/ cannot (a file has its name): the first tree is
    # written, the second fails, and the first must go again, with the folder made for it
    (tmp_path / "assignments").write_text("not a folder\n")
    before = snapshot(tmp_path)
    with inside(tmp_path), pytest.raises(ScaffoldError, match="nothing was kept"):
        new_assignment("week1")
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assignments"]


@pytest.mark.parametrize(
    "text",
    [
        "assignments: {week0: {title: x}}\n",  # a flow mapping: no block to add to
        "assignments:\n  week0: [unclosed\n",  # not YAML
        "- a list\n",
    ],
)
def test_new_refuses_a_grading_yaml_it_cannot_extend_safely(tmp_path, text):
    (tmp_path / "grading.yaml").write_text(text)
    with inside(tmp_path), pytest.raises(ScaffoldError, match=r"grading\.yaml"):
        new_assignment("week1")
    assert snapshot(tmp_path) == {"grading.yaml": text.encode()}


def test_a_name_yaml_would_misread_is_quoted(tmp_path):
    with inside(tmp_path):
        new_assignment("yes")
    entry = yaml.safe_load((tmp_path / "grading.yaml").read_text())["assignments"]
    assert list(entry) == ["yes"] and entry["yes"]["module"] == "yes"
    assert load_config(tmp_path / "grading.yaml").assignment("yes").title == "Yes"


def test_the_example_reference_is_the_mean_of_squares(walk):
    """The scaffold's own reference, against numbers worked out here: a wrong example would teach wrong."""
    assignment = load_config(walk["course"] / "grading.yaml").assignment(NAME)
    reference = load_reference(assignment)
    assert reference.mse([4.0, 1.0], [3.0, 3.0]) == 2.5  # errors [1, -2]: (1 + 4) / 2
    y = np.array([0.5, -1.0, 2.0, 0.0])
    assert reference.mse(y + 3.0, y) == pytest.approx(9.0)
