"""Which functions a check grades (autograder/grading/graded.py): the @grades marker, read
without importing the check file, is the one rule; the check's id says nothing.

The real check files are compared with what pytest itself records on the imported check
functions (``pytestmark``), an independent reading of the same markers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO_ROOT

from autograder.config import ConfigError, load_config
from autograder.grading.graded import GradedCheck, graded_functions
from autograder.loading import load_file_module
from autograder.nbgrader.points import earned_by_function, function_points, owners

CONFIG = load_config(REPO_ROOT / "grading.yaml")


def checks_folder(tmp_path: Path, source: str) -> Path:
    folder = tmp_path / "checks"
    folder.mkdir()
    (folder / "test_checks.py").write_text(source, encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", sorted(CONFIG.assignments))
def test_every_configured_check_reads_as_pytest_records_its_marker(name):
    assignment = CONFIG.assignment(name)
    graded = graded_functions(assignment.checks_dir)
    assert set(graded) == set(assignment.checks)
    for path in sorted(assignment.checks_dir.glob("test_*.py")):
        module = load_file_module(path, f"checks_of_{name}_{path.stem}")
        for attribute in dir(module):
            function = getattr(module, attribute)
            if not attribute.startswith("test_") or not callable(function):
                continue
            marks = [m for m in getattr(function, "pytestmark", []) if m.name == "grades"]
            assert len(marks) == 1, attribute
            expected = GradedCheck(tuple(marks[0].args), marks[0].kwargs.get("partial", True))
            assert graded[attribute.removeprefix("test_")] == expected, attribute
            assert set(expected.functions) <= set(assignment.functions)


def test_the_marker_decides_not_the_check_id(tmp_path):
    folder = checks_folder(
        tmp_path,
        "import pytest\n"
        "from autograder.grading.plugin import grades\n\n"
        "@grades('fit', 'loss')\n"
        "def test_loss_grad_values(verdict):\n    pass\n\n"
        "@pytest.mark.grades('loss_grad', partial=False)\n"
        "def test_fit_history(verdict):\n    pass\n\n"
        "def test_unmarked(verdict):\n    pass\n\n"
        "def helper():\n    pass\n",
    )
    graded = graded_functions(folder)
    assert graded == {
        "loss_grad_values": GradedCheck(("fit", "loss"), True),
        "fit_history": GradedCheck(("loss_grad",), False),
    }
    assert graded["loss_grad_values"].owner == "fit"


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("@grades(*NAMES)", "as string literals"),
        ("@grades(NAME)", "as string literals"),
        ("@grades()", "names no function"),
        ("@grades('loss', partial=0)", "partial as True or False"),
        ("@grades('loss', weight=2)", "unknown argument 'weight'"),
    ],
)
def test_a_marker_that_is_not_plain_is_one_sentence_with_file_and_line(tmp_path, marker, message):
    folder = checks_folder(
        tmp_path, f"NAME = 'loss'\n\n\n{marker}\ndef test_loss_values():\n    pass\n"
    )
    with pytest.raises(ConfigError, match=message) as raised:
        graded_functions(folder)
    text = str(raised.value)
    assert text.startswith(f"{folder / 'test_checks.py'}:4: ") and "test_loss_values" in text
    assert "\n" not in text


def test_a_check_file_that_does_not_parse_is_named(tmp_path):
    folder = checks_folder(tmp_path, "def test_loss_values((:\n")
    with pytest.raises(ConfigError, match="syntax error at line 1"):
        graded_functions(folder)


def test_a_changed_file_is_read_again(tmp_path):
    folder = checks_folder(tmp_path, "@grades('loss')\ndef test_a():\n    pass\n")
    assert graded_functions(folder)["a"].functions == ("loss",)
    (folder / "test_checks.py").write_text("@grades('fit')\ndef test_a():\n    pass\n")
    assert graded_functions(folder)["a"].functions == ("fit",)


# -- the nbgrader cells use the same rule ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONFIG.assignments))
def test_cell_points_and_earned_points_follow_the_markers(name):
    assignment = CONFIG.assignment(name)
    graded = graded_functions(assignment.checks_dir)
    owner = owners(assignment)
    assert owner == {c: graded[c].functions[0] for c in assignment.checks}
    worth = function_points(assignment)
    assert sum(worth.values()) == pytest.approx(assignment.max_score)
    for function, points in worth.items():
        mine = [c for c in assignment.checks if graded[c].functions[0] == function]
        assert points == pytest.approx(sum(assignment.checks[c].points for c in mine))
    full = [(c, check.points) for c, check in assignment.checks.items()]
    assert earned_by_function(full, assignment) == pytest.approx(
        worth | dict.fromkeys([f for f in assignment.functions if f not in worth], 0.0)
    )
