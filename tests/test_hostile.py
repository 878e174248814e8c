"""Hostile submissions: the grader survives each, grades what works, and says what went wrong.

Each file in tests/submissions/hostile/ is a complete submission that attacks
in one way; where an attack's success cannot be seen from outside, the
submission makes one function correct only if the attack failed, so a full
mark for that function is the proof that the sandbox held. This test process
is the trusted grader: if a submission could kill it, the run would stop.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from conftest import SUBMISSIONS

from autograder.grading.results import MAX_PRINTED_CHARS, to_gradescope

HOSTILE = SUBMISSIONS / "hostile"
MAX_RESULTS_BYTES = 300_000


def failing_functions(result) -> set[str]:
    return {tag for check in result.checks if not check.passed for tag in check.tags}


def outputs_of(result, function: str) -> str:
    return "\n".join(c.output for c in result.checks if function in c.tags)


def descendants_of_this_process() -> set[int]:
    """Every live process below this one (children, grandchildren, ...), zombies excluded."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def test_a_hang_at_import_gets_zero_in_bounded_time(grade, assignment):
    result = grade(HOSTILE / "hang_at_import.py")
    assert result.score == 0
    assert "did not finish within 2 s" in result.load_problems[0]
    assert result.execution_time < assignment.limits.call_seconds + 5


@pytest.mark.parametrize(
    ("name", "function", "words"),
    [
        ("deep_recursion.py", "mse", "time limit"),
        ("segfault.py", "mse_grad", "segmentation fault"),
        ("os_exit_in_mae.py", "mae", "exit code 3"),
        ("memory_hog.py", "predict", "memory"),
        ("fork_bomb.py", "mae", "starting another process is not allowed"),
        ("raises_with_hostile_message.py", "mae", "time limit"),
        ("mutates_inputs.py", "gd_step", "modified its input (theta)"),
    ],
)
def test_a_misbehaving_function_fails_only_its_own_checks(grade, assignment, name, function, words):
    result = grade(HOSTILE / name)
    assert failing_functions(result) == {function}
    assert words in outputs_of(result, function)
    assert result.execution_time < assignment.limits.submission_seconds


def test_sys_exit_at_import_keeps_what_was_defined_before_it(grade):
    result = grade(HOSTILE / "sys_exit_at_import.py")
    assert failing_functions(result) == {"linear_grads", "gd_step", "fit"}
    assert "called sys.exit() at line" in result.load_problems[0]
    assert "does not define a function called gd_step" in outputs_of(result, "gd_step")


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_no_process_is_left_behind(grade, monkeypatch, start):
    """Only the grader's own helpers (its worker zygote) outlive a submission's grading."""
    from autograder.sandbox.reaper import LIVE_WORKERS

    monkeypatch.setenv("AUTOGRADER_WORKER_START", start)
    before = descendants_of_this_process()
    result = grade(HOSTILE / "fork_bomb.py", fresh=True)
    assert "starting another process is not allowed" in outputs_of(result, "mae")
    assert descendants_of_this_process() <= before | set(LIVE_WORKERS)


@pytest.mark.parametrize("name", ["kills_grader.py", "steals_files.py", "segfault.py"])
def test_fresh_interpreter_workers_hold_too(grade, assignment, monkeypatch, name):
    """The fallback without the zygote (AUTOGRADER_WORKER_START=spawn) isolates the same way."""
    monkeypatch.setenv("AUTOGRADER_WORKER_START", "spawn")
    result = grade(HOSTILE / name, fresh=True)
    assert result.isolation["level"] == "full"
    assert result.score == (16 if name == "segfault.py" else assignment.max_score)


def test_it_cannot_read_secrets_the_reference_or_other_students(
    grade, assignment, monkeypatch, tmp_path
):
    monkeypatch.setenv("INSTRUCTOR_SECRET_TOKEN", "hunter2")
    other = Path("/tmp") / f"autograder-other-student-{os.getpid()}" / "student"
    other.mkdir(parents=True)
    (other / "regression_losses.py").write_text("# another student's work\n")
    try:
        result = grade(HOSTILE / "steals_files.py", fresh=True)
    finally:
        (other / "regression_losses.py").unlink()
        other.rmdir()
        other.parent.rmdir()
    assert "mse" not in failing_functions(result), outputs_of(result, "mse")
    assert result.score == assignment.max_score


def test_it_cannot_write_outside_its_scratch_folder(grade, assignment):
    result = grade(HOSTILE / "writes_outside.py", fresh=True)
    assert result.score == assignment.max_score, outputs_of(result, "mae")
    assert not Path("/tmp/hostile-was-here.txt").exists()
    assert not Path("/work/hostile-was-here.txt").exists()


def test_it_cannot_kill_or_signal_the_grader(grade, assignment):
    result = grade(HOSTILE / "kills_grader.py")
    assert result.score == assignment.max_score, outputs_of(result, "predict")


def test_it_has_no_network(grade, assignment):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", 8000))
    except OSError:
        listener.close()
        listener = None
    else:
        listener.listen()
        listener.setblocking(False)
    try:
        result = grade(HOSTILE / "network.py", fresh=True)
        if listener is not None:
            with pytest.raises(BlockingIOError):
                listener.accept()
    finally:
        if listener is not None:
            listener.close()
    assert result.score == assignment.max_score, outputs_of(result, "mse_grad")


@pytest.mark.parametrize("name", ["patches_protocol.py", "breaks_builtins.py"])
def test_patching_the_worker_earns_nothing(grade, name):
    assert grade(HOSTILE / name).score == 0


def test_objects_that_claim_equality_earn_nothing(grade):
    result = grade(HOSTILE / "equality_liar.py")
    assert failing_functions(result) == {"mse", "mse_grad"}
    assert all(c.score == 0 for c in result.checks if c.tags[0] in ("mse", "mse_grad"))
    assert "returned an object of type EqualsEverything" in outputs_of(result, "mse")


def test_an_output_flood_is_captured_and_cut(grade):
    result = grade(HOSTILE / "output_flood.py")
    assert "mse" not in failing_functions(result)
    assert result.printed.startswith('{"score": 100}')  # captured from its descriptors
    assert len(result.printed) <= MAX_PRINTED_CHARS
    assert len(json.dumps(to_gradescope(result))) < MAX_RESULTS_BYTES


@pytest.mark.parametrize("path", sorted(HOSTILE.glob("*.py")), ids=lambda p: p.stem)
def test_every_hostile_result_is_small_valid_json(grade, path):
    text = json.dumps(to_gradescope(grade(path)), allow_nan=False)
    assert len(text) < MAX_RESULTS_BYTES
    assert json.loads(text)["extra_data"]["isolation"]["level"] == "full"
