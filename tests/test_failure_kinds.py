"""Failure kinds: how a call or a check failed is a typed field, never found in a sentence.

The sandbox gives every failed call a kind (``CallFailed.kind``), the grader carries the kinds
of each check's failed cases into ``CheckResult.failure_kinds`` and results.json, and the
summary, the terminal table and the integrity probes decide from them. Real submissions in
real sandboxes: the released stub, a function that hangs, one that ends the worker, a file
that hangs while loaded; then hand-made records whose sentences say one thing and whose kinds
say another, to show that only the kinds count.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import EXAMPLES, RELEASED_STUB, SUBMISSIONS
from test_export_common import CHECKS, check, graded

from autograder.grading.results import (
    from_gradescope,
    nothing_implemented,
    student_view,
    to_gradescope,
)
from autograder.grading.runner import sandbox_limits, standin_handler
from autograder.grading.submission import read_submission
from autograder.report import what_went_wrong
from autograder.sandbox.client import (
    CALL_FAILURE_KINDS,
    LOAD_FAILURE_KINDS,
    CallFailed,
    Sandbox,
)

HOSTILE = SUBMISSIONS / "hostile"
NOTHING_DONE = "Nothing is implemented yet"


def round_trip(result):
    return from_gradescope(json.loads(json.dumps(to_gradescope(result))))


# -- the sandbox names each failure --------------------------------------------------------------


@pytest.fixture
def sandbox_for(assignment, reference, tmp_path):
    made = []

    def make(path) -> Sandbox:
        submission = read_submission(path, assignment.module)
        sandbox = Sandbox(
            module_name=assignment.module,
            chunks=submission.chunks,
            scratch=tmp_path / f"scratch-{len(made)}",
            limits=sandbox_limits(assignment),
            standin_handler=standin_handler(assignment, reference),
        )
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        sandbox.close()


def kind_of(sandbox: Sandbox, name: str, *args) -> str:
    with pytest.raises(CallFailed) as failed:
        sandbox.call(name, *args)
    assert failed.value.kind in CALL_FAILURE_KINDS
    return failed.value.kind


def test_a_stub_a_missing_function_and_a_hang_are_three_kinds(sandbox_for):
    y = np.array([1.0, 2.0])
    stub = sandbox_for(RELEASED_STUB)
    assert kind_of(stub, "mse", y, y) == "not_implemented"
    assert kind_of(stub, "no_such_function", y) == "missing"
    hangs = sandbox_for(EXAMPLES / "hangs_in_mse.py")
    assert hangs.call("mae", y, y).value == 0.0
    assert kind_of(hangs, "mse", y, y) == "timeout"
    assert kind_of(hangs, "mse", y, y) == "skipped"  # not run again
    exits = sandbox_for(HOSTILE / "os_exit_in_mae.py")
    assert kind_of(exits, "mae", y, y) == "crash"


def test_a_refused_submission_loads_nothing_and_every_call_says_load(sandbox_for):
    sandbox = sandbox_for(RELEASED_STUB)
    sandbox.refuse_load("your notebook is not JSON")
    report = sandbox.load()
    assert report.failure == "your notebook is not JSON" and report.failure_kind == "refused"
    assert kind_of(sandbox, "mse", [1.0], [1.0]) == "load"
    assert sandbox.workers_started == 0


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown call failure kind"):
        CallFailed("hung", "mse hung")


# -- the grader carries them into the results ----------------------------------------------------


def test_the_released_stub_fails_every_check_as_not_implemented(grade):
    result = grade(RELEASED_STUB)
    assert {c.failure_kinds for c in result.checks} == {("not_implemented",)}
    assert nothing_implemented(result.checks)
    assert NOTHING_DONE in result.output and NOTHING_DONE in student_view(result).summary
    assert what_went_wrong(result) == "nothing implemented yet"
    assert {c.failure_kinds for c in round_trip(result).checks} == {("not_implemented",)}


def test_a_hang_and_a_crash_are_recorded_on_the_checks_of_their_function(grade):
    hangs = grade(EXAMPLES / "hangs_in_mse.py")
    mse_checks = [c for c in hangs.checks if "mse" in c.tags]
    assert mse_checks and all(set(c.failure_kinds) <= {"timeout", "skipped"} for c in mse_checks)
    assert any("timeout" in c.failure_kinds for c in mse_checks)
    assert all(c.failure_kinds == () for c in hangs.checks if c.passed)
    assert "time limit in mse" in what_went_wrong(hangs)
    assert not nothing_implemented(hangs.checks)
    again = round_trip(hangs)
    assert [c.failure_kinds for c in again.checks] == [c.failure_kinds for c in hangs.checks]
    exits = grade(HOSTILE / "os_exit_in_mae.py")
    mae_checks = [c for c in exits.checks if "mae" in c.tags]
    assert any("crash" in c.failure_kinds for c in mae_checks)


def test_a_file_that_hangs_while_loaded_says_so_in_its_load_failure_kind(grade):
    result = grade(HOSTILE / "hang_at_import.py")
    assert result.load_failure_kind == "timeout" in LOAD_FAILURE_KINDS
    assert round_trip(result).load_failure_kind == "timeout"
    assert grade(EXAMPLES / "hangs_in_mse.py").load_failure_kind == ""


# -- only the kinds count ------------------------------------------------------------------------


def test_sentences_that_look_like_a_kind_decide_nothing():
    """Every check says "not implemented yet" and "time limit", but failed on wrong values."""
    said = "✗ mse_grad is not implemented yet; mse_grad did not return within the time limit"
    checks = tuple(replace(check(c, 0.0), output=said, failure_kinds=("wrong",)) for c in CHECKS)
    result = replace(graded("eve").result, checks=checks, score=0.0)
    assert not nothing_implemented(result.checks)
    assert NOTHING_DONE not in student_view(result).summary
    assert "time limit" not in what_went_wrong(result)
    assert what_went_wrong(result) != "nothing implemented yet"


def test_kinds_without_any_sentence_are_enough():
    failing = {
        c.check_id: replace(c, score=0.0, passed=False, output="", failure_kinds=kinds)
        for c, kinds in [
            (check("mse_grad_values"), ("timeout", "skipped")),
        ]
    }
    slow = graded("sam", failing).result
    assert "time limit in mse_grad" in what_went_wrong(slow)
    stub = replace(
        slow,
        checks=tuple(
            replace(c, passed=False, score=0.0, failure_kinds=("not_implemented",))
            for c in slow.checks
        ),
    )
    assert NOTHING_DONE in student_view(stub).summary
    assert what_went_wrong(stub) == "nothing implemented yet"
    # one check that also failed on a wrong value is enough to say something was done
    mixed = replace(
        stub, checks=(replace(stub.checks[0], failure_kinds=("not_implemented", "wrong")),)
    )
    assert not nothing_implemented(mixed.checks)
