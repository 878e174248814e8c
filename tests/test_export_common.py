"""What the exporters share (autograder/export/common.py), and the records the export tests build.

Results here are built by hand, never by running the grader: the exporters
read records, so their tests need only records. ``small_class`` is the fixed
class of the golden files in tests/golden/.
"""

from __future__ import annotations

import csv
import doctest
import io
from dataclasses import replace
from pathlib import Path

import pytest

from autograder.config import AssignmentConfig, CheckConfig, LimitsConfig, SeedPolicy
from autograder.export import canvas, common, lti_push
from autograder.export.common import (
    NOT_GRADED,
    SUMMARY_CHARS,
    csv_cell,
    csv_text,
    export_rows,
    plain_number,
    summary,
)
from autograder.export.roster import Roster, load_roster
from autograder.grading.results import CheckResult, GradeResult, StudentResult

GOLDEN = Path(__file__).resolve().parent / "golden"
TITLE = "Regression losses and the sign of the gradient"
# check id: (points, visibility, the student functions it grades)
CHECKS = {
    "mse_values": (1.0, "visible", ("mse",)),
    "mse_grad_values": (2.0, "visible", ("mse_grad",)),
    "fit_mse_converges": (2.0, "visible", ("fit",)),
    "fit_mae_converges": (1.0, "hidden", ("fit",)),
}


def small_assignment(title: str = TITLE, name: str = "regression_losses") -> AssignmentConfig:
    """A hand-made assignment worth 6 points (the paths are never opened)."""
    return AssignmentConfig(
        name=name,
        title=title,
        module="regression_losses",
        reference=Path("reference/regression_losses/regression_losses.py"),
        checks_dir=Path("reference/regression_losses/checks"),
        release_dir=Path("assignments/regression_losses"),
        packages=("numpy",),
        functions={"mse": (), "mse_grad": (), "fit": ()},
        limits=LimitsConfig(call_seconds=2, submission_seconds=60, memory_mb=512, output_kb=32),
        seed=SeedPolicy(base=1, per_submission=False),
        tolerances={"rtol": 1e-7},
        checks={k: CheckConfig(points=p, visibility=v) for k, (p, v, _) in CHECKS.items()},
    )


def check(
    check_id: str,
    fraction: float = 1.0,
    mistake: str | None = None,
    mistake_summary: str | None = None,
) -> CheckResult:
    """The record of one of CHECKS, with ``fraction`` of its cases right (1.0 passes)."""
    points, visibility, tags = CHECKS[check_id]
    return CheckResult(
        check_id=check_id,
        name=check_id.replace("_", " "),
        score=points * fraction,
        max_score=points,
        passed=fraction == 1.0,
        output="",
        visibility=visibility,
        tags=tags,
        cases=4,
        cases_failed=round(4 * (1 - fraction)),
        mistake=mistake,
        mistake_summary=mistake_summary,
    )


def graded(
    submission: str,
    failing: dict[str, CheckResult] | None = None,
    score: float | None = None,
    load_problems: tuple[str, ...] = (),
    assignment: str = "regression_losses",
    max_score: float = 6.0,
) -> StudentResult:
    """A graded student: every check passes but those in ``failing`` (``score`` overrides the sum)."""
    failing = failing or {}
    checks = tuple(failing.get(c, check(c)) for c in CHECKS)
    result = GradeResult(
        assignment=assignment,
        submission=f"{submission}.py",
        score=sum(c.score for c in checks) if score is None else score,
        max_score=max_score,
        execution_time=1.25,
        output="",
        checks=checks,
        seed=7,
        sha256="0" * 64,
        kit_version="0.1.0",
        load_problems=load_problems,
    )
    return StudentResult(submission, result)


def not_graded(submission: str) -> StudentResult:
    """A student whose grading itself failed (the grader broke, not the submission)."""
    return StudentResult(submission, None, "grading failed: BrokenProcessPool")


def small_class() -> list[StudentResult]:
    """The golden class: ada (full marks), bob (one visible and one hidden mistake), carol (failed)."""
    bob_failing = {
        "mse_grad_values": check(
            "mse_grad_values", 0.75, "sum_not_mean", "sum instead of mean (no 1/n)"
        ),
        "fit_mae_converges": check("fit_mae_converges", 0.0, "diverges", "the fit runs away"),
    }
    return [not_graded("carol"), graded("bob", bob_failing), graded("ada")]


def small_roster() -> Roster:
    """The golden class's roster (ada and bob; carol is not listed)."""
    return load_roster(GOLDEN / "small_class_roster.csv")


# -- the shared helpers ------------------------------------------------------------------------


@pytest.mark.parametrize("module", [common, canvas, lti_push], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (6.0, "6"),
        (100.0, "100"),
        (4.5, "4.5"),
        (0.0, "0"),
        (-0.0, "0"),
        (2 / 3, "0.6667"),
        (1e-7, "0"),
        (12345678.0, "12345678"),
        (0.1 + 0.2, "0.3"),
    ],
)
def test_plain_number_has_no_exponent_and_no_trailing_zeros(value, text):
    assert plain_number(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_plain_number_refuses_non_finite(value):
    with pytest.raises(ValueError, match="finite"):
        plain_number(value)


def test_rows_are_ordered_by_name_then_submission_whatever_the_input_order():
    roster = small_roster()
    forward = export_rows(small_class(), small_assignment(), roster)
    backward = export_rows(reversed(small_class()), small_assignment(), roster)
    assert [r.entry.submission for r in forward] == ["carol", "ada", "bob"]
    assert forward == backward


def test_a_failed_grading_has_no_result_either_way_it_is_recorded():
    plain_failure = not_graded("carol")
    result = graded("dan").result
    flagged = StudentResult("dan", replace(result, graded=False))
    rows = export_rows([plain_failure, flagged], small_assignment(), None)
    assert [r.result for r in rows] == [None, None]


@pytest.mark.parametrize(
    ("students", "message"),
    [
        ([graded("ada"), graded("ada")], "'ada' appears twice"),
        ([graded("ada", assignment="other")], "for assignment 'other', not 'regression_losses'"),
        ([graded("ada", max_score=20.0)], "out of 20 points but regression_losses is worth 6"),
        ([graded("ada", score=float("nan"))], "finite number >= 0"),
        ([graded("ada", score=-1.0)], "finite number >= 0"),
    ],
)
def test_results_that_do_not_fit_the_assignment_are_refused(students, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        export_rows(students, small_assignment(), None)


def test_summary_names_the_visible_failures_and_mistakes_but_never_a_hidden_check():
    bob = small_class()[1].result
    text = summary(bob)
    assert text == (
        "4.5 / 6 points. Not yet right: mse_grad. "
        "Likely mistakes: mse_grad: sum instead of mean (no 1/n)."
    )
    assert "fit" not in text and "runs away" not in text


def test_summary_falls_back_to_the_mistake_name_and_reports_load_problems():
    failing = {"mse_values": check("mse_values", 0.0, "rmse")}
    student = graded("eve", failing, load_problems=("Syntax error at line 3:\n  x = (", "other"))
    text = summary(student.result)
    assert (
        "Your file did not load cleanly: Syntax error at line 3: x = ( (and 1 more problem)."
        in text
    )
    assert "Likely mistakes: mse: rmse." in text
    assert "\n" not in text


def test_summary_is_cut_to_its_limit():
    student = graded("eve", load_problems=("word " * 1000,))
    text = summary(student.result)
    assert len(text) == SUMMARY_CHARS and text.endswith("…")


def test_summary_of_a_failed_grading_says_the_instructor_will_grade_it():
    assert summary(None) == NOT_GRADED


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", '"\'=1+2"'),
        ("+1", '"\'+1"'),
        ("-1", '"\'-1"'),
        ("@SUM(A1)", '"\'@SUM(A1)"'),
        ("\tx", '"\'\tx"'),
        ("\rx", '"\'\rx"'),
        ("\uff1dSUM(A1)", '"\'\uff1dSUM(A1)"'),  # full-width =
        ('=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'),
        ("a=1", "a=1"),
        ("Lovelace, Ada", '"Lovelace, Ada"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\nlines"'),
        ("", ""),
        (None, ""),
        (4.5, "4.5"),
        (0.0, "0"),
    ],
)
def test_csv_cells(value, cell):
    # OWASP CSV injection: prefix ' and quote a cell starting with = + - @ tab CR; RFC 4180 quoting
    assert csv_cell(value) == cell


def test_csv_text_reads_back_with_the_csv_module():
    rows = [["=1+2", "a,b", 'q"q', None, 2 / 3], ["x", "", "\n", "-", 0.0]]
    read = list(csv.reader(io.StringIO(csv_text(rows), newline="")))
    assert read == [["'=1+2", "a,b", 'q"q', "", "0.6667"], ["x", "", "\n", "'-", "0"]]


def test_summary_of_a_result_marked_not_graded_says_the_instructor_will_grade_it():
    flagged = replace(graded("dan").result, graded=False)
    assert summary(flagged) == NOT_GRADED
