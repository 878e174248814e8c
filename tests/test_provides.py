"""An assignment that builds on another: ``provides`` gives the sandbox a module of stand-ins.

A tiny course with two assignments: regression_losses (the real one) and
``loss_gap``, whose students call ``regression_losses.mse`` and ``.mae``. In
the sandbox, ``regression_losses`` is a module of stand-ins computed by the
first assignment's reference in the grader; its code never reaches the worker.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT

from autograder.config import ConfigError, load_config
from autograder.grading.runner import grade_submission, load_reference
from autograder.grading.submission import read_submission

REFERENCE = '''\
import regression_losses


def loss_gap(y_pred, y_true):
    """MSE minus MAE of the same predictions."""
    ### BEGIN SOLUTION
    return regression_losses.mse(y_pred, y_true) - regression_losses.mae(y_pred, y_true)
    ### END SOLUTION
'''

CHECKS = '''\
from autograder.grading.plugin import grades


@grades("loss_gap")
def test_loss_gap_values(verdict, reference):
    """loss_gap: MSE minus MAE"""
    for y_pred, y_true in [([4.0, 1.0], [3.0, 3.0]), ([0.0], [2.0]), ([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])]:
        with verdict.case("loss_gap", y_pred, y_true) as case:
            case.expect_close(case.call(), reference.loss_gap(y_pred, y_true))
'''


@pytest.fixture
def course(tmp_path) -> Path:
    kit_names = yaml.safe_load((REPO_ROOT / "grading.yaml").read_text())["assignments"]
    for part in [f"{tree}/{name}" for name in kit_names for tree in ("reference", "assignments")]:
        target = tmp_path / part
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(REPO_ROOT / part)
    (tmp_path / "reference" / "loss_gap.py").write_text(REFERENCE)
    (tmp_path / "checks_gap").mkdir()
    (tmp_path / "checks_gap" / "test_checks.py").write_text(CHECKS)
    (tmp_path / "release_gap").mkdir()
    config = (REPO_ROOT / "grading.yaml").read_text() + textwrap.indent(
        textwrap.dedent(
            """
          loss_gap:
            title: The gap between MSE and MAE
            module: loss_gap
            reference: reference/loss_gap.py
            checks_dir: checks_gap
            release_dir: release_gap
            provides:
              regression_losses: {from: regression_losses, functions: [mse, mae]}
            functions:
              loss_gap: []
            limits: {call_seconds: 2, submission_seconds: 20, memory_mb: 512, output_kb: 8}
            seed: {base: 1}
            tolerances: {rtol: 1.0e-9, atol: 1.0e-12}
            checks:
              loss_gap_values: {points: 3}
        """
        ),
        "  ",
    )
    (tmp_path / "grading.yaml").write_text(config)
    return tmp_path


def grade_source(course: Path, tmp_path: Path, source: str):
    assignment = load_config(course / "grading.yaml").assignment("loss_gap")
    path = tmp_path / "loss_gap.py"
    path.write_text(source)
    return grade_submission(
        assignment, read_submission(path, "loss_gap"), reference=load_reference(assignment)
    ).result


def test_student_code_imports_the_provided_module(course, tmp_path):
    solved = "".join(line for line in REFERENCE.splitlines(keepends=True) if "### " not in line)
    result = grade_source(course, tmp_path, solved)
    assert result.score == 3, result.checks[0].output


def test_the_provided_module_holds_stand_ins_not_code(course, tmp_path):
    source = textwrap.dedent(
        """
        import inspect

        import regression_losses


        def loss_gap(y_pred, y_true):
            try:
                leaked = inspect.getsource(regression_losses.mse)
            except (OSError, TypeError):
                leaked = ""
            if "mean" in leaked or hasattr(regression_losses, "mse_grad"):
                raise RuntimeError("the reference leaked")
            return regression_losses.mse(y_pred, y_true) - regression_losses.mae(y_pred, y_true)
        """
    )
    assert grade_source(course, tmp_path, source).score == 3


def test_a_worker_cannot_ask_for_functions_that_were_not_offered(course, tmp_path):
    source = textwrap.dedent(
        """
        import sys

        worker = sys.modules["autograder.sandbox.worker"]


        def loss_gap(y_pred, y_true):
            self = next(o for o in __import__("gc").get_objects() if isinstance(o, worker.Worker))
            return self.make_standin("fit")([0.0, 1.0], [1.0, 3.0], epochs=10**9)
        """
    )
    result = grade_source(course, tmp_path, source)
    assert result.score == 0
    assert "fit is not available here" in result.checks[0].output


def test_provides_must_name_an_assignment(course):
    text = (course / "grading.yaml").read_text()
    head, _, tail = text.rpartition("from: regression_losses")  # loss_gap's, the last one
    text = head + "from: nowhere" + tail
    (course / "grading.yaml").write_text(text)
    with pytest.raises(
        ConfigError,
        match=r"loss_gap\.provides\.regression_losses\.from must be the name of an assignment",
    ):
        load_config(course / "grading.yaml")
