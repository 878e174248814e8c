"""Nothing a worker leaves behind is trusted: hostile submissions graded for real.

Each file in tests/submissions/hostile_sandbox/ attacks the grader through what a worker
leaves or sends: a symlink or FIFO where a grader might collect output, files until the disk is
full, a unix socket listener of the same uid, stand-in requests and replies built to swell the
grader, a lie about mutated arguments, characters that break files and terminals. Each test
grades the file with the real engine in this (trusted) process and checks that the grader
survived, the attack failed, and the honest functions kept their points.

Where a rule must hold at reduced isolation too (the grader's own rules: nothing opened by
path, every field checked), the test also grades with the private mount namespace and the
seccomp filter left out (``AUTOGRADER_CONFINE_WITHOUT``, recorded as missing in the result).
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, SUBMISSIONS

from autograder.grading.results import to_gradescope

HOSTILE = SUBMISSIONS / "hostile_sandbox"
FULL = ""
NO_MOUNT_NS = "mount namespace"
LEVELS = [FULL, NO_MOUNT_NS]
LEVEL_IDS = ["full", "no-mount-namespace"]


def failing_functions(result) -> set[str]:
    return {tag for check in result.checks if not check.passed for tag in check.tags}


def outputs_of(result, function: str) -> str:
    return "\n".join(c.output for c in result.checks if function in c.tags)


def points_of(result, function: str) -> float:
    return sum(c.max_score for c in result.checks if function in c.tags)


def everything_in(result) -> str:
    """Every string of the result and of its results.json, as one text."""
    as_dict = dataclasses.asdict(result)
    return json.dumps([as_dict, to_gradescope(result)], ensure_ascii=False, default=str)


@pytest.fixture
def grade_at(grade, monkeypatch):
    """Grade a file afresh with the confinement steps named in ``without`` left out."""

    def grade_file(path: Path, without: str = FULL):
        monkeypatch.setenv("AUTOGRADER_CONFINE_WITHOUT", without)
        result = grade(path, fresh=True)
        if without:
            assert result.isolation["level"] == "partial"
            assert any(m.startswith(without.split(",")[0]) for m in result.isolation["missing"])
        else:
            assert result.isolation["level"] == "full", result.isolation["missing"]
        return result

    return grade_file


# -- 1. nothing in the scratch folder is opened by path --------------------------------------


@pytest.fixture
def secret_file():
    path = Path("/tmp/hostile-sandbox-secret.txt")
    token = f"SECRET-{secrets.token_hex(8)}"
    path.write_text(token + "\n")
    path.chmod(0o600)
    yield path, token
    path.unlink(missing_ok=True)


@pytest.mark.parametrize("without", LEVELS, ids=LEVEL_IDS)
def test_an_output_symlink_to_a_secret_is_neither_followed_nor_read(
    grade_at, assignment, secret_file, without
):
    path, token = secret_file
    result = grade_at(HOSTILE / "output_symlink_secret.py", without)
    assert path.read_text() == token + "\n"  # nothing appended to it
    assert token not in everything_in(result)  # nothing copied from it
    assert failing_functions(result) == {"mse"}
    assert "exit code 3" in outputs_of(result, "mse")
    assert result.score == assignment.max_score - points_of(result, "mse")


@pytest.mark.parametrize("without", LEVELS, ids=LEVEL_IDS)
def test_an_output_symlink_cannot_make_the_grader_create_a_file(grade_at, assignment, without):
    created = Path("/tmp/hostile-sandbox-created.txt")
    created.unlink(missing_ok=True)
    result = grade_at(HOSTILE / "output_symlink_create.py", without)
    assert not created.exists()
    assert result.score == assignment.max_score - points_of(result, "mse")


@pytest.mark.parametrize("start", ["fork", "spawn"])
@pytest.mark.parametrize("without", LEVELS, ids=LEVEL_IDS)
def test_an_output_fifo_hangs_nothing(grade_at, assignment, monkeypatch, without, start):
    monkeypatch.setenv("AUTOGRADER_WORKER_START", start)
    result = grade_at(HOSTILE / "output_fifo.py", without)
    assert result.execution_time < 10  # a grader that opened the FIFO would wait forever
    assert result.score == assignment.max_score - points_of(result, "mse")


# -- 3. the disk ---------------------------------------------------------------------------


def test_filling_the_disk_stops_at_the_cap_with_a_sentence(grade_at, assignment):
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        Path(folder, "hostile-sandbox-fill.bin").unlink(missing_ok=True)
    result = grade_at(HOSTILE / "fills_disk.py")
    assert failing_functions(result) == {"mae"}
    sentence = "your files filled the 64 MiB (or 4096 files) that grading allows for all of them"
    assert sentence in outputs_of(result, "mae")
    assert "No space left on device" in outputs_of(result, "mae")
    assert result.score == assignment.max_score - points_of(result, "mae")
    assert result.execution_time < 10
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not Path(folder, "hostile-sandbox-fill.bin").exists()


# -- 4. unix sockets -----------------------------------------------------------------------

LISTENER_PATHS = [
    Path("/tmp/hostile-sandbox-listener.sock"),
    Path("/var/tmp/hostile-sandbox-listener.sock"),
    Path("/dev/shm/hostile-sandbox-listener.sock"),
]


@pytest.fixture
def listeners():
    """Listeners at the paths the submission tries, reachable by any uid (where they can be
    made); yields a function that counts the connections they accepted."""
    made = []
    for path in LISTENER_PATHS:
        if not os.access(path.parent, os.W_OK):
            continue
        path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(path))
        path.chmod(0o777)
        listener.listen(8)
        listener.setblocking(False)
        made.append((path, listener))
    assert made, "no shared temporary folder is writable here"

    def accepted() -> int:
        count = 0
        for _path, listener in made:
            while True:
                try:
                    connection, _ = listener.accept()
                except BlockingIOError:
                    break
                connection.close()
                count += 1
        return count

    yield accepted
    for path, listener in made:
        listener.close()
        path.unlink(missing_ok=True)


@pytest.mark.parametrize("without", LEVELS, ids=LEVEL_IDS)
def test_no_unix_socket_listener_is_reached(grade_at, assignment, listeners, without):
    """With the mount namespace left out the listeners' paths are visible to the worker, and
    only the seccomp filter stops it."""
    result = grade_at(HOSTILE / "unix_socket.py", without)
    assert listeners() == 0
    assert result.score == assignment.max_score, outputs_of(result, "mae")


def test_without_the_filter_and_the_namespace_the_listener_is_reached(grade_at, listeners):
    """The control: on this machine the attack works once both are left out (Landlock alone
    does not govern unix sockets), so the test above can fail."""
    result = grade_at(HOSTILE / "unix_socket.py", "mount namespace,seccomp")
    assert listeners() >= 1
    assert "mae" in failing_functions(result)


# -- 2. bounded stand-ins and replies --------------------------------------------------------


def test_stand_in_bombs_are_refused_and_the_rest_is_graded(grade_at, assignment):
    result = grade_at(HOSTILE / "standin_bombs.py")
    assert failing_functions(result) == {"predict"}
    assert "not implemented yet" in outputs_of(result, "predict")
    assert result.score == assignment.max_score - points_of(result, "predict")
    assert result.execution_time < 10


def test_a_shape_request_to_the_reference_is_refused(backprop_grade, backprop):
    result = backprop_grade(HOSTILE / "backprop_shape_bomb.py")
    assert failing_functions(result) == {"init_params"}
    assert result.score == backprop.max_score - points_of(result, "init_params")


def test_forged_frames_fail_only_their_own_functions(grade_at, assignment):
    result = grade_at(HOSTILE / "message_bombs.py")
    forged = {"mse", "mae", "mse_grad", "mae_grad", "predict", "linear_grads", "gd_step"}
    assert failing_functions(result) == forged
    for function in forged:
        words = outputs_of(result, function)
        assert "garbled data" in words or "too large" in words or "input" in words, words
    assert "4294967295 bytes" in outputs_of(result, "mse")
    assert "more than 300000 items" in outputs_of(result, "mae")
    assert "more than 1,000,000 numbers" in outputs_of(result, "mse_grad")
    assert "not ASCII" in outputs_of(result, "linear_grads")
    assert (
        result.score
        == points_of(result, "fit")
        == assignment.max_score - sum(points_of(result, f) for f in forged)
    )


def test_oversized_return_values_are_refused_with_a_sentence(grade_at, assignment):
    result = grade_at(HOSTILE / "value_bombs.py")
    bombs = {"mse", "mae", "mse_grad", "mae_grad"}
    assert failing_functions(result) == bombs
    assert "mse returned a value too large for the grader to check" in outputs_of(result, "mse")
    assert "more than 1,000,000 numbers" in outputs_of(result, "mae")
    assert result.score == assignment.max_score - sum(points_of(result, f) for f in bombs)
    assert len(json.dumps(to_gradescope(result))) < 300_000


# -- 5. mutation decided by the grader -------------------------------------------------------


@pytest.mark.parametrize("without", LEVELS, ids=LEVEL_IDS)
def test_a_worker_patching_its_encoders_cannot_hide_a_mutation(grade_at, assignment, without):
    result = grade_at(HOSTILE / "mutation_liar.py", without)
    assert failing_functions(result) == {"gd_step"}
    assert "gd_step modified its input (theta)" in outputs_of(result, "gd_step")
    assert result.score == assignment.max_score - points_of(result, "gd_step")


# -- 6 and 7. characters -------------------------------------------------------------------


def assert_clean(text: str) -> None:
    text.encode("utf-8")  # no lone surrogate
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert not bad, bad


@pytest.mark.parametrize("name", ["surrogates_and_escapes.py", "surrogate_cells.ipynb"])
def test_surrogates_and_escapes_are_replaced_and_the_results_are_written(
    grade_at, assignment, tmp_path, name
):
    from autograder.grading.runner import GradeOutput, write_outputs

    result = grade_at(HOSTILE / name)
    assert_clean(everything_in(result))
    write_outputs(GradeOutput(result, {}, assignment.title), tmp_path)
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".html", ".md", ".txt"):
            assert_clean(path.read_text(encoding="utf-8"))
    if name.endswith(".py"):
        assert failing_functions(result) == {"mse"}
        assert "mse raised ␛[31mEvil␛[0m at line" in outputs_of(result, "mse")
        assert "message \ufffd with ␛[2J escapes ␇" in outputs_of(result, "mse")
    else:
        assert result.score == assignment.max_score


def test_grade_writes_results_for_a_submission_printing_surrogates(tmp_path):
    """The command ends with 0 and its results and its own output are clean."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder.cli",
            "grade",
            str(HOSTILE / "surrogate_cells.ipynb"),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    assert_clean(completed.stdout.decode("utf-8") + completed.stderr.decode("utf-8"))
    assert_clean((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))


# -- backprop ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backprop():
    from autograder.config import load_config

    return load_config(REPO_ROOT / "grading.yaml").assignment("backprop_sign")


@pytest.fixture(scope="module")
def backprop_grade(backprop):
    from autograder.grading.runner import grade_submission, load_reference
    from autograder.grading.submission import read_submission

    reference = load_reference(backprop)

    def grade_file(path: Path):
        submission = read_submission(path, backprop.module)
        return grade_submission(backprop, submission, reference=reference).result

    return grade_file
