"""Grading real submissions of regression_losses: the hints' numbers, other styles, hostile ones.

The reference, the samples (correct ones and each catalogued mistake) and the released stub of
every assignment are graded in test_contract.py.

Expected scores come from grading.yaml's points (read here, not copied from
the grader's output) and from what each submission is built to get wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLES, samples_of

from autograder.grading.graded import graded_functions


def points_of(assignment, function: str) -> float:
    """The points grading.yaml gives the checks whose @grades marker names ``function`` first."""
    graded = graded_functions(assignment.checks_dir)
    return sum(c.points for name, c in assignment.checks.items() if graded[name].owner == function)


def failing_functions(result) -> set[str]:
    return {tag for check in result.checks if not check.passed for tag in check.tags}


def test_a_correct_submission_gets_no_misconception_hint(grade):
    result = grade(samples_of("regression_losses") / "correct_oop_style.py")
    assert all(c.mistake is None and "What went wrong" not in c.output for c in result.checks)


def test_the_sign_flip_hint_has_the_numbers(grade):
    result = grade(samples_of("regression_losses") / "mse_grad__sign_flipped.py")
    values = next(c for c in result.checks if c.check_id == "mse_grad_values")
    # the smallest case is ŷ = 4, y = 3: the slope 2·(4 − 3)/1 = 2, the flipped answer −2
    assert "for ŷ = [4], y = [3] your mse_grad gave [-2]" in values.output
    assert "positive means 'decrease ŷ'" in values.output


def test_the_seed_is_recorded_and_reproducible(grade):
    path = samples_of("regression_losses") / "correct_vectorised.py"
    first, second = grade(path, fresh=True), grade(path, fresh=True)
    assert first.seed == second.seed
    assert grade(path, seed=7).seed == 7


# -- the kit's own examples (tests/submissions/examples) ------------------------------------


@pytest.mark.parametrize(
    "path",
    [EXAMPLES / "correct_comprehensions.py", EXAMPLES / "correct_notebook.ipynb"],
    ids=lambda p: p.name,
)
def test_correct_examples_in_other_styles_get_full_marks(grade, assignment, path):
    result = grade(path)
    assert result.score == assignment.max_score, result.output
    assert not result.load_problems


@pytest.mark.parametrize(
    ("name", "function", "words"),
    [
        ("mse_grad__sign_flipped.py", "mse_grad", "opposite sign"),
        ("mae_grad__abs_not_sign.py", "mae_grad", "lost the sign"),
        ("gd_step__ascent.py", "gd_step", "climbs the loss"),
    ],
)
def test_sign_mistakes_lose_only_their_function(grade, assignment, name, function, words):
    result = grade(samples_of("regression_losses") / name)
    assert failing_functions(result) == {function}
    assert result.score == assignment.max_score - points_of(assignment, function)
    assert any(words in c.output for c in result.checks if not c.passed)


def test_hang_loses_only_mse_in_bounded_time(grade, assignment):
    result = grade(EXAMPLES / "hangs_in_mse.py")
    assert failing_functions(result) == {"mse"}
    assert result.score == assignment.max_score - points_of(assignment, "mse")
    mse_check = next(c for c in result.checks if "mse" in c.tags)
    assert "time limit of 2 s" in mse_check.output
    # one time limit for the hanging function (it is not run again), plus ordinary grading
    assert result.execution_time < assignment.limits.call_seconds + 5


def test_syntax_error_gets_zero_with_the_line(grade):
    # the file leaves the bracket opened on its line 11 unclosed
    result = grade(EXAMPLES / "syntax_error.py")
    assert result.score == 0
    assert any("Syntax error at line 11" in p for p in result.load_problems)
    assert "Syntax error at line 11" in result.output


def test_the_file_of_another_assignment_is_said_to_be_one(grade, tmp_path):
    """A correct backprop_sign file handed in for regression_losses: 0, and the reason says it
    defines none of this assignment's functions, naming the ones it does define."""
    path = tmp_path / "regression_losses.py"
    path.write_bytes((samples_of("backprop_sign") / "correct_vectorised.py").read_bytes())
    result = grade(path)
    assert result.score == 0
    said = [p for p in result.load_problems if "defines none of the functions" in p]
    assert len(said) == 1, result.load_problems
    assert "regression_losses (mse, mae, mse_grad" in said[0]
    assert "backward, forward" in said[0] and "another assignment" in said[0]
    # a file that defines some of them (a partial one) is not told so
    partial = tmp_path / "partial" / "regression_losses.py"
    partial.parent.mkdir()
    partial.write_text("def mse(y_pred, y_true):\n    return 0.0\n\n\ndef helper():\n    pass\n")
    assert not [p for p in grade(partial).load_problems if "defines none" in p]


def test_fake_results_writer_changes_no_results_file(tmp_path, monkeypatch):
    from autograder.cli import main

    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    assert main(["grade", str(EXAMPLES / "writes_fake_results.py"), "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["score"] == 0
    assert not (tmp_path / "results.json").exists()
    assert not Path("/tmp/results.json").exists()
