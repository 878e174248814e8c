"""The student release: stubs and notebook generated from the reference, and a bundle that cannot leak."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REFERENCE_PATH, REPO_ROOT

from autograder.cli import main
from autograder.config import ConfigError, ExperimentConfig, load_config
from autograder.lesson import LessonMarkupError, file_wording
from autograder.release import ReleaseError, write_release
from autograder.release.notebook import build_notebook, lesson_parts, section_title
from autograder.release.stubs import MARKERS, StubError, make_stubs

RELEASE_DIR = REPO_ROOT / "assignments" / "regression_losses"
NOT_IMPLEMENTED = "is not implemented yet (it still raises NotImplementedError)"


def run_python(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=folder, capture_output=True, text=True, timeout=120
    )


# -- the generator -----------------------------------------------------------------------------


def test_stubs_keep_names_signatures_and_docstrings_and_drop_every_solution():
    reference = ast.parse(REFERENCE_PATH.read_text())
    stubs_text = (RELEASE_DIR / "regression_losses.py").read_text()
    stubs = ast.parse(stubs_text)

    def functions(tree):
        return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}

    ref_functions, stub_functions = functions(reference), functions(stubs)
    assert ref_functions.keys() == stub_functions.keys()
    for name, ref in ref_functions.items():
        stub = stub_functions[name]
        assert ast.dump(ref.args) == ast.dump(stub.args), name
        assert ast.get_docstring(ref) == ast.get_docstring(stub), name
    assert not any(marker in stubs_text for marker in MARKERS)
    assert stubs_text.count("# YOUR CODE HERE\n") == 8
    assert stubs_text.count("raise NotImplementedError()") == 8


def test_a_region_becomes_a_stub_at_its_indentation():
    source = (
        "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    )
    assert make_stubs(source) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (
            "def f():\n    ### BEGIN SOLUTION\n    return 1\n",
            ":2: the solution region opened here is never closed",
        ),
        ("def f():\n    return 1\n    ### END SOLUTION\n", ":3: ### END SOLUTION without"),
        (
            "def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n",
            ":3: a solution region starts inside the one opened at line 2",
        ),
    ],
)
def test_malformed_markers_are_errors_naming_the_line(source, words):
    with pytest.raises(StubError, match=words):
        make_stubs(source, "ref.py")


# -- the bundle --------------------------------------------------------------------------------


def test_release_bundle_fails_untouched_and_passes_a_correct_solution(tmp_path):
    bundle = tmp_path / "bundle"
    assert main(["release", "--out", str(bundle)]) == 0
    names = {p.name for p in bundle.iterdir()}
    assert names == {
        "README.md",
        "regression_losses.py",
        "regression_losses.ipynb",
        "test_regression_losses.py",
        "sign_flip_experiment.py",
        "selfcheck.py",
        "selfcheck_data.json",
        "feedback_figures.py",
    }
    for path in bundle.iterdir():
        text = path.read_text()
        assert not any(marker in text for marker in MARKERS), path.name

    untouched = run_python(bundle, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert untouched.returncode == 1
    assert f"mse {NOT_IMPLEMENTED}" in untouched.stdout
    assert "31 failed" in untouched.stdout

    shutil.copy(REFERENCE_PATH, bundle / "regression_losses.py")
    solved = run_python(bundle, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert solved.returncode == 0, solved.stdout
    assert "31 passed" in solved.stdout


def test_the_bundle_folder_is_readable_by_others_like_its_files(tmp_path):
    """Handed out through a shared folder or a web server, the bundle must be readable by
    others: the folder gets the mode a new folder gets under the umask, not mkdtemp's 0700."""
    previous = os.umask(0o022)
    try:
        assert main(["release", "--out", str(tmp_path / "bundle")]) == 0
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "bundle").iterdir()}
    assert stat.S_IMODE((tmp_path / "bundle").stat().st_mode) == 0o755
    assert set(modes.values()) == {0o644}, modes


def test_release_never_overwrites_a_folder_with_content(tmp_path, assignment):
    config = load_config(REPO_ROOT / "grading.yaml")
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "students-work.py").write_text("precious")
    with pytest.raises(ReleaseError, match="already exists and is not empty"):
        write_release(config, assignment, out)
    assert (out / "students-work.py").read_text() == "precious"


@pytest.fixture
def course(tmp_path) -> Path:
    """A copy of the course (config, reference, checks, release folder) that a test may spoil."""
    root = tmp_path / "course"
    for part in ("grading.yaml", "reference", "assignments"):
        source, target = REPO_ROOT / part, root / part
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    return root


def spoil_and_release(course: Path, tmp_path: Path, spoil) -> str:
    release_dir = course / "assignments" / "regression_losses"
    spoil(course, release_dir)
    config = load_config(course / "grading.yaml")
    out = tmp_path / "leaky-bundle"
    with pytest.raises(ReleaseError) as error:
        write_release(config, config.assignment("regression_losses"), out)
    assert not out.exists()
    return str(error.value)


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (
            lambda c, r: (r / "hint.py").write_text(
                "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n"
            ),
            "hint.py contains the marker '### BEGIN SOLUTION'",
        ),
        (
            lambda c, r: shutil.copy(
                c / "reference" / "regression_losses" / "regression_losses.py",
                r / "solution_copy.py",
            ),
            "solution_copy.py contains the marker",
        ),
        (
            lambda c, r: (r / "notes.py").write_text(
                "# a helpful hint\nreturn 2.0 * (y_pred - y_true) / y_pred.size\n"
            ),
            "notes.py contains a line of the reference solution",
        ),
        (
            lambda c, r: shutil.copy(c / "grading.yaml", r / "grading.yaml"),
            "grading.yaml has the name of a hidden grading file",
        ),
        (
            lambda c, r: shutil.copy(c / "grading.yaml", r / "points.txt"),
            "points.txt is a copy of the reference, a hidden check or the grading config",
        ),
        (
            lambda c, r: shutil.copy(
                c / "reference" / "regression_losses" / "checks" / "test_checks.py",
                r / "extra_tests.py",
            ),
            "extra_tests.py is a copy of the reference, a hidden check or the grading config",
        ),
        (
            lambda c, r: (r / "more_tests.py").write_text(
                _first_hidden_check(
                    c / "reference" / "regression_losses" / "checks" / "test_checks.py"
                )
            ),
            "more_tests.py contains the code of a hidden check",
        ),
        (
            lambda c, r: (r / "HINTS.md").write_text(
                "# Hints\n\n"
                # rewrapped: the sentence is found whatever its line breaks
                + _second_sentence(
                    c / "reference" / "regression_losses" / "model_answer.md"
                ).replace(" ", "\n", 3)
            ),
            "HINTS.md contains a sentence of the graders' model answer",
        ),
    ],
    ids=[
        "marker",
        "reference-copy",
        "solution-line",
        "config-name",
        "config-copy",
        "checks-copy",
        "check-code",
        "model-answer",
    ],
)
def test_release_refuses_every_leak(course, tmp_path, spoil, words):
    assert words in spoil_and_release(course, tmp_path, spoil)


def _first_hidden_check(path: Path) -> str:
    text = path.read_text()
    node = next(
        n
        for n in ast.parse(text).body
        if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    )
    return "import numpy as np\n\n\n" + ast.get_source_segment(text, node) + "\n"


def _second_sentence(path: Path) -> str:
    """A sentence from the middle of a model answer, its line breaks kept."""
    text = path.read_text()
    start = text.index(". ") + 2
    return text[start : text.index(". ", start) + 1]


def test_a_leaky_release_is_one_sentence_and_exit_2(course, tmp_path, capsys):
    (course / "assignments" / "regression_losses" / "hint.py").write_text("### BEGIN SOLUTION\n")
    code = main(["release", "--out", str(tmp_path / "b"), "--config", str(course / "grading.yaml")])
    error = capsys.readouterr().err.strip()
    assert code == 2
    assert error.startswith("autograder: refusing to write the student bundle: hint.py")
    assert error.count("\n") == 0


# -- the notebook ------------------------------------------------------------------------------


def _notebook_script(notebook: dict, answers: dict[str, str] | None) -> str:
    """The notebook's code cells as a script (the experiment cell, which needs IPython, left out)."""
    cells = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code" or cell["id"] == "run-experiment":
            continue
        source = "".join(cell["source"])
        name = cell["id"].removeprefix("answer-")
        if answers and cell["id"].startswith("answer-"):
            source = answers[name]
        cells.append(source)
    return "\n\n".join(cells)


def _reference_functions() -> dict[str, str]:
    text = REFERENCE_PATH.read_text()
    return {
        n.name: ast.get_source_segment(text, n)
        for n in ast.parse(text).body
        if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
    }


@pytest.mark.parametrize("solved", [False, True], ids=["stubs", "solved"])
def test_the_notebook_self_check_runs_the_public_checks_on_its_own_functions(tmp_path, solved):
    notebook = json.loads((RELEASE_DIR / "regression_losses.ipynb").read_text())
    for name in ("test_regression_losses.py", "selfcheck_data.json", "feedback_figures.py"):
        shutil.copy(RELEASE_DIR / name, tmp_path)
    shutil.copy(
        REPO_ROOT / "autograder" / "release" / "selfcheck_template.py", tmp_path / "selfcheck.py"
    )
    script = _notebook_script(notebook, _reference_functions() if solved else None)
    (tmp_path / "notebook_as_script.py").write_text(
        script.replace("selfcheck.main(inline=True)", "selfcheck.main()")
    )
    result = run_python(tmp_path, "notebook_as_script.py")
    if solved:
        assert "8 of 8 functions pass their public checks" in result.stdout, (
            result.stdout + result.stderr
        )
        assert "Looks like" not in result.stdout
    else:
        assert "0 of 8 functions pass their public checks" in result.stdout, (
            result.stdout + result.stderr
        )
        table = result.stdout.split("Pictures")[0]
        assert table.count("not implemented yet") == 8
    assert (tmp_path / "selfcheck_descent_path.png").read_bytes().startswith(b"\x89PNG")


def test_the_notebook_teaches_before_it_asks():
    notebook = json.loads((RELEASE_DIR / "regression_losses.ipynb").read_text())
    ids = [cell["id"] for cell in notebook["cells"]]
    assert (
        ids.index("lesson")
        < ids.index("answer-mse")
        < ids.index("self-check")
        < ids.index("question")
    )
    lesson = "".join(notebook["cells"][0]["source"])
    assert "## 2. The gradient keeps it" in lesson
    assert notebook["nbformat"] == 4 and notebook["nbformat_minor"] == 5


# -- the lesson's parts, found by their headings -----------------------------------------------------

LESSON = """\
# A title

Intro text.

## 1. Why

Teaching.

## 2. The experiment of Galileo

Still teaching: this comes before "What you implement".

## 3. What you implement

The table.

## 4. Check your work

Run pytest.

## 5. A note on style

Extra.

## 6. How you are graded

Hidden checks.

## 7. Check your work

A second one.

## 8. Question for your grader

> Why?
"""


def test_a_lessons_parts_are_found_by_their_headings_not_their_numbers():
    parts = lesson_parts(LESSON)
    assert parts.teaching.startswith("# A title\n\nIntro text.\n\n## 1. Why")
    assert parts.teaching.endswith('before "What you implement".')
    assert section_title(parts.implement) == "What you implement"
    assert parts.check.startswith("## 4. Check your work")
    assert parts.experiment is None
    assert section_title(parts.grading) == "How you are graded"
    assert parts.question.endswith("> Why?")
    assert [section_title(s) for s in parts.other] == ["A note on style", "Check your work"]
    unnumbered = lesson_parts(
        "## Basics\n\nx\n\n## What you implement\n\ny\n\n## The experiment\n\nz"
    )
    assert unnumbered.teaching == "## Basics\n\nx"
    assert unnumbered.experiment == "## The experiment\n\nz"
    assert unnumbered.question is None


STUBS = "import numpy as np\n\n\ndef loss(a):\n    raise NotImplementedError()\n"


def test_the_notebook_has_a_cell_for_each_part_the_lesson_has_and_no_other():
    notebook = build_notebook(LESSON, STUBS, "week1", ["loss"])
    ids = [cell["id"] for cell in notebook["cells"]]
    assert ids == [
        "lesson",
        "what-you-implement",
        "module-preamble",
        "heading-loss",
        "answer-loss",
        "check-your-work",
        "self-check",
        "grading",
        "more-1",
        "more-2",
        "question",
        "answer",
    ]
    bare = build_notebook("## What you implement\n\nloss", STUBS, "week1", ["loss"])
    assert "question" not in [cell["id"] for cell in bare["cells"]]


def test_the_experiment_cell_runs_the_script_grading_yaml_names():
    experiment = ExperimentConfig(script="tilt.py", picture="tilt.png")
    notebook = build_notebook(LESSON, STUBS, "week1", ["loss"], experiment)
    cells = {cell["id"]: "".join(cell["source"]) for cell in notebook["cells"]}
    assert "%run -e tilt.py\n" in cells["run-experiment"]  # -e: its sys.exit is no traceback
    assert cells["run-experiment"].endswith(
        'Image("tilt.png") if Path("tilt.png").exists() else None\n'
    )
    without_picture = build_notebook(
        LESSON, STUBS, "week1", ["loss"], ExperimentConfig(script="tilt.py")
    )
    run = next(c for c in without_picture["cells"] if c["id"] == "run-experiment")
    assert "Image" not in "".join(run["source"])


WORDED = """\
Intro.

## 6. What you implement

<!-- file -->
Open `week1.py` and fill in `loss`.
<!-- notebook
Fill in the cell of `loss` below.
-->
It returns a float.

## 7. Check your work

<!-- file -->
Run `python selfcheck.py`.
<!-- notebook
Run the self-check cell.
-->
"""


def test_the_notebook_says_its_own_text_where_the_lesson_gives_one():
    notebook = build_notebook(WORDED, STUBS, "week1", ["loss"])
    cells = {cell["id"]: "".join(cell["source"]) for cell in notebook["cells"]}
    assert cells["what-you-implement"] == (
        "## 6. What you implement\n\nFill in the cell of `loss` below.\nIt returns a float."
    )
    assert cells["check-your-work"] == "## 7. Check your work\n\nRun the self-check cell."
    assert "<!--" not in "".join(cells.values())
    # and the README's readers get the other text, the markers gone too
    as_file = file_wording(WORDED)
    assert "Open `week1.py` and fill in `loss`.\nIt returns a float." in as_file
    assert "Run `python selfcheck.py`." in as_file
    assert "<!--" not in as_file and "self-check cell" not in as_file


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        (
            WORDED.replace("<!-- notebook\nFill in the cell of `loss` below.\n-->\n", ""),
            "line 11: '<!-- file -->' comes before the pair of line 5 ends",
        ),
        (
            WORDED.replace("<!-- file -->\nRun `python selfcheck.py`.\n", ""),
            "line 14: '<!-- notebook' has no '<!-- file -->' before it",
        ),
        (
            WORDED.replace("<!-- notebook\nRun the self-check cell.\n-->\n", ""),
            "line 14: '<!-- file -->' has no '<!-- notebook' after it",
        ),
        (
            WORDED.removesuffix("-->\n"),
            "line 16: '<!-- notebook' is never closed by a line '-->'",
        ),
    ],
    ids=["file-in-a-pair", "notebook-without-file", "file-without-notebook", "unclosed"],
)
def test_an_unpaired_marker_is_an_error_naming_its_line(broken, words):
    with pytest.raises(LessonMarkupError) as error:
        build_notebook(broken, STUBS, "week1", ["loss"])
    assert str(error.value).startswith(words + " (the text for students of the .py file")


def test_a_release_with_an_unpaired_marker_names_the_lesson(course, tmp_path):
    lesson = course / "assignments" / "regression_losses" / "README.md"
    lesson.write_text(lesson.read_text().replace("<!-- notebook", "<!-- notes", 1))
    config = load_config(course / "grading.yaml")
    with pytest.raises(ReleaseError, match=r"README\.md: line \d+: '<!-- file -->' comes before"):
        write_release(config, config.assignment("regression_losses"), tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


# -- grading.yaml's experiment and question ----------------------------------------------------------


def configured(course: Path, **keys) -> Path:
    """The course's grading.yaml with ``keys`` replacing regression_losses's keys of those names."""
    import yaml

    path = course / "grading.yaml"
    data = yaml.safe_load(path.read_text())
    data["assignments"]["regression_losses"].update(keys)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def test_the_experiment_and_the_question_are_read_into_the_assignment(course):
    assignment = load_config(course / "grading.yaml").assignment("regression_losses")
    assert assignment.experiment.script == "sign_flip_experiment.py"
    assert (assignment.release_dir / assignment.experiment.script).is_file()
    assert assignment.question.points == 2
    assert assignment.question.model_answer.read_text().startswith("The loss forgets the sign")


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        (
            {"experiment": {"script": "missing.py"}},
            "experiment.script names 'missing.py', which is not a file in",
        ),
        ({"experiment": {"script": "../grading.yaml"}}, "a file name without a folder"),
        ({"experiment": {"picture": "x.png"}}, "experiment.script is missing"),
        ({"experiment": {"script": "sign_flip_experiment.py", "pictures": 1}}, "unknown keys"),
        ({"question": {"points": -1}}, "question.points must be a number >= 0"),
        ({"question": {"points": 2, "model_answer": "nowhere.md"}}, "which does not exist"),
        ({"question": {"points": 2, "model_answer": "reference"}}, "must be a file (markdown)"),
    ],
)
def test_a_wrong_experiment_or_question_is_one_sentence_naming_the_key(course, keys, words):
    path = configured(course, **keys)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert words in str(error.value) and str(error.value).startswith(str(path))
    assert "\n" not in str(error.value)


def test_without_an_experiment_the_notebook_has_no_experiment_cell(course):
    import yaml

    path = course / "grading.yaml"
    data = yaml.safe_load(path.read_text())
    del data["assignments"]["regression_losses"]["experiment"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    from autograder.release.bundle import generated_files

    assignment = load_config(path).assignment("regression_losses")
    notebook = json.loads(generated_files(assignment)["regression_losses.ipynb"])
    assert "run-experiment" not in [cell["id"] for cell in notebook["cells"]]
    assert "experiment" in [cell["id"] for cell in notebook["cells"]]  # the lesson's section
