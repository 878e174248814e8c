"""Shards: ``grade-batch --shard K/N`` grades one stable slice of a class and writes no class
file; shards may run at once into one OUT; a plain run afterwards regrades nothing and writes
the class files.

The class is made of the assignment's own samples, one per student, plus an empty folder
(not graded). What each student should score is derived from grading.yaml, read here with
PyYAML (not the kit's loader): a ``correct_*`` sample gets the sum of the checks' points; a
``<function>__<mistake>`` sample loses points only on the checks of ``<function>`` (a check
belongs to the function its name starts with, the longest such name).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, samples_of

from autograder.batch.command import isolation_warning
from autograder.batch.discover import case_free_id, discover
from autograder.batch.runner import BatchOutcome
from autograder.batch.shards import Shard, parse_shard, select, slice_of
from autograder.cli import main
from autograder.errors import UsageError
from autograder.grading.results import StudentResult, from_gradescope
from autograder.outputs.classfiles import CLASS_OUTPUTS

MODULE = "regression_losses"
CONFIG = REPO_ROOT / "grading.yaml"
SAMPLES = samples_of(MODULE)
# student -> sample; a sign-flipped gradient is wrong on every case of each of its function's
# checks (values, sign, finite differences), so it loses exactly that function's points
CLASS = {
    "alice": "correct_loops.py",
    "bob": "correct_oop_style.py",
    "carol": "correct_vectorised.py",
    "dave": "mse_grad__sign_flipped.py",
    "erin": "mae_grad__sign_flipped.py",
    "frank": "gd_step__ascent.py",
    "grace": "mae__signed_mean.py",
    "heidi": "predict__no_intercept.py",
    "ivan": "linear_grads__swapped.py",
    "judy": "fit__never_updates.py",
    "mallory": "mse__rmse.py",
}
WHOLE_FUNCTION_LOST = {"dave", "erin"}
NOT_GRADED = "zed"  # an empty folder: discovery's not-graded entry
CLASS_FILES = [name for each in CLASS_OUTPUTS for name in each.files]


# -- what grading.yaml says each student should get ------------------------------------------------


def _grading() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["assignments"][MODULE]


def function_of(check: str, functions: list[str]) -> str:
    """The student function a check belongs to: the longest function name its name starts with."""
    owners = [f for f in functions if check == f or check.startswith(f + "_")]
    assert owners, f"grading.yaml's check {check} names no function"
    return max(owners, key=len)


GRADING = _grading()
FUNCTIONS = list(GRADING["functions"])
POINTS = {check: spec["points"] for check, spec in GRADING["checks"].items()}
MAX_SCORE = sum(POINTS.values())
OWNER = {check: function_of(check, FUNCTIONS) for check in POINTS}


def points_of(function: str) -> float:
    return sum(p for check, p in POINTS.items() if OWNER[check] == function)


def assert_expected(student: str, results: dict) -> None:
    """``results`` (results.json) is what the student's sample deserves, by grading.yaml."""
    sample = CLASS[student]
    score = results["score"]
    assert results["extra_data"]["max_score"] == MAX_SCORE
    if sample.startswith("correct_"):
        assert score == MAX_SCORE, (student, score)
        return
    function = sample.removesuffix(".py").partition("__")[0]
    if student in WHOLE_FUNCTION_LOST:
        assert score == MAX_SCORE - points_of(function), (student, score)
    else:
        assert MAX_SCORE - points_of(function) <= score < MAX_SCORE, (student, score)
    lost = {t["extra_data"]["check"] for t in results["tests"] if t["score"] < t["max_score"]}
    assert lost and {OWNER[check] for check in lost} == {function}, (student, lost)


# -- a class, and running grade-batch on it ----------------------------------------------------------


def make_class(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for student, sample in CLASS.items():
        if student == "carol":  # one folder submission, as students hand in the released folder
            (folder / student).mkdir()
            shutil.copy(SAMPLES / sample, folder / student / f"{MODULE}.py")
        else:
            shutil.copy(SAMPLES / sample, folder / f"{student}.py")
    (folder / NOT_GRADED).mkdir()
    return folder


def batch_args(folder: Path, out: Path, *more: str) -> list[str]:
    return [
        "grade-batch",
        str(folder),
        "--out",
        str(out),
        "--config",
        str(CONFIG),
        "--jobs",
        "1",
        "--no-figures",
        "--no-similarity",
        *more,
    ]


def run_here(args: list[str]) -> tuple[int, str]:
    """``autograder`` in this process: its exit status and everything it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        status = main(args)
    return status, printed.getvalue()


def graded_folders(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob("*/results.json")}


def progress_names(printed: str) -> set[str]:
    """The students a run's progress lines name ("3/4 bob: 16/20"), graded or not."""
    return set(re.findall(r"^\d+/\d+ (\S+): ", printed, re.MULTILINE))


def slice_count(printed: str) -> tuple[int, int]:
    """(in this slice, in the class) from the shard's closing line."""
    match = re.search(r"Shard \d+/\d+: (\d+) of the class's (\d+) submissions", printed)
    assert match, printed
    return int(match[1]), int(match[2])


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory) -> Path:
    return make_class(tmp_path_factory.mktemp("class") / "submissions")


@pytest.fixture(scope="module")
def sequential(class_folder, tmp_path_factory) -> tuple[Path, list[tuple[set[str], str]]]:
    """Shards 1/3, 2/3, 3/3 one after another into one OUT: OUT, and for each shard the
    results folders it added and what it printed."""
    out = tmp_path_factory.mktemp("sequential") / "out"
    runs = []
    for k in (1, 2, 3):
        before = graded_folders(out) if out.exists() else set()
        status, printed = run_here(batch_args(class_folder, out, "--shard", f"{k}/3"))
        assert status == 0, printed
        runs.append((graded_folders(out) - before, printed))
    return out, runs


# -- sequential shards -------------------------------------------------------------------------------


def test_sequential_shards_are_disjoint_and_cover_the_class(sequential):
    _, runs = sequential
    slices = [added for added, _ in runs]
    assert sum(len(s) for s in slices) == len(set().union(*slices))  # disjoint
    assert set().union(*slices) == set(CLASS)  # every gradable student, nobody else
    counts = [slice_count(printed) for _, printed in runs]
    assert {total for _, total in counts} == {len(CLASS) + 1}
    assert sum(here for here, _ in counts) == len(CLASS) + 1  # the not-graded one too
    for (added, printed), (here, _) in zip(runs, counts, strict=True):
        named = f"NOT GRADED {NOT_GRADED}:" in printed
        assert here == len(added) + named, printed
    assert sum(f"NOT GRADED {NOT_GRADED}:" in printed for _, printed in runs) == 1
    # every entry of the class, graded or not, is in exactly one shard's output
    named = [progress_names(printed) for _, printed in runs]
    assert sorted(n for names in named for n in names) == sorted([*CLASS, NOT_GRADED])


def test_shards_write_no_class_files_and_say_who_writes_them(sequential):
    out, runs = sequential
    assert not [name for name in CLASS_FILES if (out / name).exists()]
    for _, printed in runs:
        assert "are left to a plain run" in printed
        assert "Class files:" not in printed


def test_each_shards_results_are_what_grading_yaml_says(sequential):
    out, _ = sequential
    for student in CLASS:
        assert_expected(student, json.loads((out / student / "results.json").read_text()))


def test_a_weaker_sandbox_is_one_warning_line(sequential):
    """A run warns, once, when some submission ran with less than the full sandbox (as in a
    container that refuses user namespaces), naming what was missing; otherwise it is quiet."""
    out, runs = sequential
    levels = {
        json.loads((out / s / "results.json").read_text())["extra_data"]["isolation"]["level"]
        for s in CLASS
    }
    weaker = levels - {"full", "not needed"}
    for _, printed in runs:
        assert ("autograder: warning:" in printed) == bool(weaker), (levels, printed)

    # the same results as a container would record them
    results = json.loads((out / "alice" / "results.json").read_text())
    results["extra_data"]["isolation"] = {
        "level": "partial",
        "mechanisms": ["rlimits", "no_new_privs", "landlock-fs", "seccomp"],
        "missing": ["user+net namespace: [Errno 1] Operation not permitted"],
    }
    contained = StudentResult("alice", from_gradescope(results))
    full = StudentResult(
        "bob", from_gradescope(json.loads((out / "bob" / "results.json").read_text()))
    )
    warning = isolation_warning(BatchOutcome((contained, full), 2, 0, 1.0))
    assert warning is not None and warning.count("\n") == 0
    assert "'partial'" in warning and "user+net namespace: [Errno 1]" in warning
    if full.result.isolation["level"] == "full":
        assert "1 of 2 submissions" in warning
        assert isolation_warning(BatchOutcome((full,), 1, 0, 1.0)) is None


# -- shards at the same time, then the plain run --------------------------------------------------


@pytest.mark.slow
def test_concurrent_shards_then_a_plain_run_that_regrades_nothing(class_folder, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder.cli"]
    logs = [tmp_path / f"shard{k}.log" for k in (1, 2)]
    shards = []
    for k, log in zip((1, 2), logs, strict=True):
        with log.open("w") as sink:  # both start before either is waited for
            shards.append(
                subprocess.Popen(
                    [*command, *batch_args(class_folder, out, "--shard", f"{k}/2")],
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    cwd=tmp_path,
                )
            )
    statuses = [shard.wait(timeout=300) for shard in shards]
    printed = [log.read_text() for log in logs]
    assert statuses == [0, 0], printed
    counts = [slice_count(p) for p in printed]
    assert sum(here for here, _ in counts) == len(CLASS) + 1
    named = [progress_names(p) for p in printed]
    assert not named[0] & named[1] and named[0] | named[1] == {*CLASS, NOT_GRADED}
    # both slices' results are all there, whole, and right; nothing half-written is left
    assert graded_folders(out) == set(CLASS)
    for student in CLASS:
        assert_expected(student, json.loads((out / student / "results.json").read_text()))
    assert not [p for p in out.rglob(".*")], "temporary files left behind"
    assert not [name for name in CLASS_FILES if (out / name).exists()]

    stamps = {s: (out / s / "results.json").stat().st_mtime_ns for s in CLASS}
    status, said = run_here(batch_args(class_folder, out))
    assert status == 0, said
    graded = len(CLASS)
    assert (
        f"{graded} of {graded + 1} students graded ({graded} unchanged since the last run, "
        "not regraded)" in said
    ), said
    assert {s: (out / s / "results.json").stat().st_mtime_ns for s in CLASS} == stamps
    assert (out / "class.json").exists() and (out / "grades.csv").exists()
    record = json.loads((out / "class.json").read_text())
    assert record["max_score"] == MAX_SCORE
    rows = {row["student"]: row for row in record["students"]}
    assert set(rows) == {*CLASS, NOT_GRADED}
    for student in CLASS:
        results = json.loads((out / student / "results.json").read_text())
        assert_expected(student, results)
        assert rows[student]["graded"] and rows[student]["score"] == results["score"]
    assert rows[NOT_GRADED]["graded"] is False and rows[NOT_GRADED]["score"] is None
    assert rows[NOT_GRADED]["failure"]


# -- slices ------------------------------------------------------------------------------------------


def ids_of(folder: Path) -> list[str]:
    return [e.student_id for e in discover(folder, MODULE, MODULE)]


def test_a_student_joining_moves_nobody_between_slices(tmp_path):
    folder = make_class(tmp_path / "class")
    before = ids_of(folder)
    shutil.copy(SAMPLES / "correct_loops.py", folder / "zara.py")
    # one whose id differs only by case: alice's id gets a suffix, her slice must not move
    shutil.copy(SAMPLES / "correct_loops.py", folder / "ALICE.py")
    after = ids_of(folder)
    assert "alice" not in after and len(after) == len(before) + 2
    renamed = {case_free_id(i): i for i in after}
    for count in (2, 3, 5, 8):
        for student in before:
            assert slice_of(renamed[student], count) == slice_of(student, count), (student, count)
        # the twins share a slice, whatever N
        assert slice_of(renamed["alice"], count) == slice_of(renamed["ALICE"], count)


def test_the_slices_of_a_class_partition_it(tmp_path):
    entries = discover(make_class(tmp_path / "class"), MODULE, MODULE)
    for count in (1, 2, 3, 7):
        parts = [select(entries, Shard(k, count)) for k in range(1, count + 1)]
        chosen = [e.student_id for part in parts for e in part]
        assert sorted(chosen) == sorted(e.student_id for e in entries)


def test_slices_do_not_depend_on_the_interpreter_run(tmp_path):
    """The same ids give the same slices in processes with different hash seeds (no hash())."""
    ids = [f"student{n}" for n in range(40)] + ["Zoë", "jane_doe-1a2b3c4d"]
    script = (
        "import json, sys\n"
        "from autograder.batch.shards import slice_of\n"
        "print(json.dumps([slice_of(i, 7) for i in json.loads(sys.argv[1])]))\n"
    )
    seen = []
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, json.dumps(ids)],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        )
        seen.append(json.loads(done.stdout))
    assert seen[0] == seen[1] == [slice_of(i, 7) for i in ids]
    assert len(set(seen[0])) > 3  # spread over the slices, not one constant


# -- misuse ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0/3", "4/3", "a/b", "1/0", "3", "1/3/5", "-1/3", ""])
def test_a_bad_shard_is_one_sentence_exit_2_and_nothing_written(tmp_path, capsys, value):
    out = tmp_path / "out"
    status = main([*batch_args(make_class(tmp_path / "class"), out), f"--shard={value}"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.startswith("autograder: --shard") and captured.err.count("\n") == 1
    assert not out.exists()


def test_shard_values_read():
    assert parse_shard("2/3") == Shard(2, 3) and str(parse_shard("1/1")) == "1/1"
    with pytest.raises(UsageError):
        Shard(0, 3)  # the Python API refuses it as the command does
