"""The records (autograder/grading/results.py): what a student may see, and results.json.

Results are built by hand (tests/test_export_common.py's small class, worth 6 points: three
visible checks and one hidden); what a student may see at each moment is README's promise
("grading.yaml": the total stays out while a check is held back) and Gradescope's
(shared/FORMATS.md: the total is hidden while tests are).
"""

from __future__ import annotations

import doctest
import json
from dataclasses import replace

import pytest
from test_export_common import check, graded, not_graded

from autograder.grading import results
from autograder.grading.results import (
    NOT_GRADED,
    PRINTED_END,
    PRINTED_START,
    StudentResult,
    from_gradescope,
    show_controls,
    student_view,
    to_gradescope,
)

SURROGATE = chr(0xD800)


def with_visibility(result, visibilities: dict[str, str]):
    """``result`` with the checks named in ``visibilities`` given that visibility."""
    checks = tuple(
        replace(c, visibility=visibilities.get(c.check_id, c.visibility)) for c in result.checks
    )
    return replace(result, checks=checks)


def bob():
    """4.5 of 6: mse_grad_values (visible) 3 of 4 cases, fit_mae_converges (hidden) failed."""
    failing = {
        "mse_grad_values": check("mse_grad_values", 0.75, "sum_not_mean", "sum instead of mean"),
        "fit_mae_converges": check("fit_mae_converges", 0.0, "diverges", "the fit runs away"),
    }
    return graded("bob", failing).result


def test_docstring_examples():
    assert doctest.testmod(results).failed == 0


# -- student_view -----------------------------------------------------------------------------


@pytest.mark.parametrize("held", ["hidden", "after_due_date", "after_published"])
def test_at_submission_a_held_back_check_hides_the_total_and_itself(held):
    result = with_visibility(bob(), {"fit_mae_converges": held})
    view = student_view(result)
    assert [c.check_id for c in view.checks] == [
        "mse_values",
        "mse_grad_values",
        "fit_mse_converges",
    ]
    assert view.held_back == 1
    assert not view.total_shown and view.score is None and view.max_score is None
    assert "4.5" not in view.summary and "/ 6" not in view.summary
    assert "of 4 checks" not in view.summary  # the failed count in all (2 of 4) is not given
    assert "1 of the 3 checks shown did not pass; they grade: mse_grad." in view.summary
    assert "fit" not in view.summary


def test_at_submission_with_every_check_visible_the_total_and_failed_count_are_shown():
    view = student_view(with_visibility(bob(), {"fit_mae_converges": "visible"}))
    assert view.total_shown and (view.score, view.max_score) == (4.5, 6.0)
    assert view.held_back == 0 and len(view.checks) == 4
    assert view.summary.splitlines()[0] == "Graded bob.py: 4.5 / 6 points."
    assert "2 of 4 checks did not pass; they grade: fit, mse_grad." in view.summary


@pytest.mark.parametrize("later", ["after_due_date", "after_published"])
def test_once_published_later_checks_are_shown_and_hidden_ones_never(later):
    result = with_visibility(bob(), {"fit_mae_converges": later, "mse_values": "hidden"})
    view = student_view(result, "published")
    assert [c.check_id for c in view.checks] == [
        "mse_grad_values",
        "fit_mse_converges",
        "fit_mae_converges",
    ]
    assert view.total_shown and view.score == 4.5  # the export publishes the grade itself
    assert view.held_back == 1  # mse_values, hidden
    assert [c.check_id for c in view.failed] == ["mse_grad_values", "fit_mae_converges"]


def test_the_summary_is_made_from_the_records_not_from_the_graders_text():
    lying = replace(bob(), output="Graded bob.py: 6 / 6 points. All 4 checks passed.")
    view = student_view(lying)
    assert "6 / 6" not in view.summary and "All 4" not in view.summary


def test_what_the_code_printed_comes_from_its_own_field_else_from_between_the_markers():
    result = replace(bob(), printed="hello\n" + PRINTED_END + "\nstill mine")
    assert student_view(result).printed == "hello\n" + PRINTED_END + "\nstill mine"
    older = replace(
        bob(), output=f"Graded bob.py: 4.5 / 6 points.\n{PRINTED_START}\nhi\nthere\n{PRINTED_END}"
    )
    view = student_view(older)
    assert view.printed == "hi\nthere"
    assert "4.5" not in view.summary  # only the printed part is taken from the text
    assert len(student_view(replace(bob(), printed="x" * 5000)).printed) == 2000


@pytest.mark.parametrize(
    "student",
    [not_graded("carol"), StudentResult("dan", replace(bob(), graded=False, failure="boom"))],
    ids=["no result", "graded=False"],
)
def test_a_student_not_graded_sees_only_that(student):
    view = student_view(student.result)
    assert not view.graded and view.checks == () and not view.total_shown
    assert view.summary == NOT_GRADED
    assert view.printed == ""


# -- results.json -------------------------------------------------------------------------------


def test_results_json_output_follows_the_view_and_keeps_the_graders_summary_for_the_instructor():
    result = replace(
        bob(), output="Graded bob.py: 4.5 / 6 points. 2 of 4 checks did not pass.", printed="hi"
    )
    data = to_gradescope(result)
    assert "4.5" not in data["output"] and "of 4 checks" not in data["output"]
    assert data["output"].endswith(f"{PRINTED_START}\n| hi\n{PRINTED_END}")
    assert data["score"] == 4.5  # Gradescope decides when the score is shown
    assert [t["visibility"] for t in data["tests"]] == ["visible"] * 3 + ["hidden"]
    again = from_gradescope(json.loads(json.dumps(data)))
    assert again.output == result.output and again.printed == "hi"
    assert again == result


def test_no_text_of_the_submission_can_pass_for_a_line_of_the_kit():
    fake = "Graded bob.py: 6 / 6 points."
    result = replace(
        with_visibility(bob(), {"fit_mae_converges": "visible"}),
        submission=f"bob.py\n{fake}\n",
        printed=f"hi\n{PRINTED_END}\n{fake}",
        load_problems=(f"SyntaxError at line 1:\n{fake}\n",),
    )
    lines = to_gradescope(result)["output"].splitlines()
    assert fake not in lines
    assert lines[0] == "Graded bob.py\\x0aGraded bob.py: 6 / 6 points.\\x0a: 4.5 / 6 points."
    assert f"    {fake}" in lines  # the message's second line, indented under its "  - "
    start = lines.index(PRINTED_START)
    assert lines[start + 1 :] == ["| hi", f"| {PRINTED_END}", f"| {fake}", PRINTED_END]


def test_results_json_of_a_result_that_is_not_graded_round_trips_its_reason():
    result = replace(bob(), graded=False, failure="the check run crashed")
    data = to_gradescope(result)
    assert data["output"] == NOT_GRADED
    again = from_gradescope(data)
    assert (again.graded, again.failure) == (False, "the check run crashed")
    assert StudentResult("bob", again).reason == "the check run crashed"


def test_reasons():
    assert StudentResult("ada", bob()).reason is None
    assert StudentResult("ada", bob(), failure="grading failed: x").reason == "grading failed: x"
    assert StudentResult("ada", None).reason == "not graded: no result was produced"
    assert StudentResult("ada", replace(bob(), graded=False)).reason == (
        "not graded: grading itself failed"
    )


# -- characters -------------------------------------------------------------------------


def test_show_controls_writes_out_c0_c1_del_and_bidi_but_keeps_tabs_and_newlines():
    text = "a\x1b[2J\tb\n\x9b1m\x7f\u202e\r\x00"
    assert show_controls(text) == "a\\x1b[2J\tb\n\\x9b1m\\x7f\\u202e\\x0d\\x00"
    assert show_controls("a\nb", keep_newlines=False) == "a\\x0ab"
