"""A broken grader never looks like a class of zeros.

Each test copies the kit's course (grading.yaml, references, release folders, checks)
into a temporary folder, breaks one thing the way an instructor might (a typo in a
check id, a check without points, a syntax error, a check that crashes, a check file
that does not import), and asserts that ``grade`` and ``grade-batch`` say so in one
sentence naming the file, exit 2, and leave every earlier result as it was. A check
that crashes only on one student's answer leaves that student *not graded* (no
results written, not exported as a score) while the others are graded.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, samples_of

from autograder.cli import main

CORRECT = samples_of("regression_losses") / "correct_vectorised.py"
MSE_WRONG = samples_of("regression_losses") / "mse__rmse.py"
CHECKS = Path("reference/regression_losses/checks/test_checks.py")


def course_copy(root: Path) -> Path:
    """A copy of the kit's course under ``root``; returns its grading.yaml."""
    root.mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "grading.yaml", root / "grading.yaml")
    for folder in ("reference", "assignments"):
        shutil.copytree(
            REPO_ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    return root / "grading.yaml"


def edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
    assert count == 1, f"{pattern!r} not found in {path}"
    path.write_text(changed, encoding="utf-8")


def run_main(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


def earlier_results(folder: Path) -> tuple[Path, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    path.write_text(json.dumps({"score": 7, "tests": [], "extra_data": {"earlier": True}}))
    return path, path.read_bytes()


def break_typo(config: Path) -> list[str]:
    edit(config, r"^(\s+)mse_values:", r"\1mse_valeus:")
    return ["assignments.regression_losses.checks.mse_valeus", "test_mse_valeus"]


def break_no_entry(config: Path) -> list[str]:
    edit(config, r"^\s+mae_values:.*\n", "")
    return ["assignments.regression_losses.checks", "mae_values", "test_checks.py"]


def break_syntax(config: Path) -> list[str]:
    checks = config.parent / CHECKS
    edit(checks, r"^def test_mae_values\(", "def test_mae_values((")
    line = next(
        number
        for number, text in enumerate(checks.read_text().splitlines(), 1)
        if text.startswith("def test_mae_values((")
    )
    return [str(checks), f"line {line}"]


def break_crash(config: Path) -> list[str]:
    checks = config.parent / CHECKS
    edit(checks, r"^(def test_mae_values\(.*\):\n)", r'\1    {}["the check author forgot a key"]\n')
    return [str(checks), "mae_values", "KeyError"]


def break_import(config: Path) -> list[str]:
    checks = config.parent / CHECKS
    edit(checks, r"^import numpy as np$", "import numpy as np\nimport a_module_nobody_installed")
    return [str(checks), "a_module_nobody_installed"]


def break_marker_not_literal(config: Path) -> list[str]:
    checks = config.parent / CHECKS
    edit(checks, r'^@grades\("mse"\)$', '@grades(*["mse"])')
    line = checks.read_text().splitlines().index('@grades(*["mse"])') + 1
    return [f"{checks}:{line}", "test_mse_values", "string literals"]


def break_marker_unknown_function(config: Path) -> list[str]:
    edit(config.parent / CHECKS, r'^@grades\("mse"\)$', '@grades("msee")')
    return ["mse_values (msee)", "not listed under functions"]


def break_marker_missing(config: Path) -> list[str]:
    edit(config.parent / CHECKS, r'^@grades\("mse"\)\n', "")
    return ["without a @grades marker: mse_values"]


BREAKAGES = {
    "typo-in-check-id": break_typo,
    "marker-not-literal": break_marker_not_literal,
    "marker-names-an-unknown-function": break_marker_unknown_function,
    "marker-missing": break_marker_missing,
    "check-without-entry": break_no_entry,
    "syntax-error-in-checks": break_syntax,
    "check-crashes-in-grader": break_crash,
    "check-file-does-not-import": break_import,
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_grade_with_a_broken_grader_exits_2_naming_the_file_and_writes_nothing(
    tmp_path, monkeypatch, breakage
):
    config = course_copy(tmp_path / "course")
    expected = BREAKAGES[breakage](config)
    out = tmp_path / "out"
    results, before = earlier_results(out)
    monkeypatch.chdir(tmp_path)
    status, stdout, stderr = run_main(["grade", CORRECT, "--out", out, "--config", config])
    assert status == 2, stdout + stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograder: "), stderr
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert "Traceback" not in stderr and stdout == ""
    assert results.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]


@pytest.mark.parametrize("breakage", ["syntax-error-in-checks", "check-crashes-in-grader"])
def test_grade_batch_with_a_broken_grader_stops_before_overwriting(tmp_path, monkeypatch, breakage):
    config = course_copy(tmp_path / "course")
    BREAKAGES[breakage](config)
    submissions = tmp_path / "class"
    submissions.mkdir()
    shutil.copy2(CORRECT, submissions / "ada.py")
    out = tmp_path / "graded"
    results, before = earlier_results(out / "ada")
    monkeypatch.chdir(tmp_path)
    status, _, stderr = run_main(
        ["grade-batch", submissions, "--out", out, "--config", config, "--jobs", "1"]
    )
    assert status == 2, stderr
    assert "Traceback" not in stderr
    assert str(config.parent / CHECKS) in stderr
    assert results.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["ada"]


def test_a_check_that_crashes_on_one_answer_leaves_that_student_not_graded(tmp_path, monkeypatch):
    """The check author forgot a case: the check crashes (in the grader) only on a wrong mse."""
    config = course_copy(tmp_path / "course")
    checks = config.parent / CHECKS
    probe = (
        "    {1.0: 'right'}[float(verdict.call('mse', (np.array([1.0]), np.array([0.0])), {})"
        ".value)]\n"
    )
    edit(checks, r"^(def test_mse_values\(.*\):\n)", r"\1" + probe.replace("\\", "\\\\"))
    submissions = tmp_path / "class"
    submissions.mkdir()
    shutil.copy2(CORRECT, submissions / "ada.py")
    # bob's mse is the root of the MSE: 1.0 on the probe too, so his check runs (and fails)
    shutil.copy2(MSE_WRONG, submissions / "bob.py")
    (submissions / "cy.py").write_text(
        CORRECT.read_text().replace("def mse(", "def _unused(")
        + "\n\ndef mse(a, b):\n    return 3.5\n"
    )
    out = tmp_path / "graded"
    _, cy_before = earlier_results(out / "cy")
    monkeypatch.chdir(tmp_path)
    status, stdout, stderr = run_main(
        ["grade-batch", submissions, "--out", out, "--config", config, "--jobs", "1"]
    )
    assert status == 0, stderr
    assert "Traceback" not in stdout + stderr
    ada = json.loads((out / "ada" / "results.json").read_text())
    assert ada["score"] == ada["extra_data"]["max_score"]
    # cy's mse answers 3.5 where the check expected 1.0: the check crashed in the grader
    assert (out / "cy" / "results.json").read_bytes() == cy_before
    students = {s["student"]: s for s in json.loads((out / "class.json").read_text())["students"]}
    assert set(students) == {"ada", "bob", "cy"}
    assert students["cy"]["score"] is None
    assert "mse_values" in json.dumps(students["cy"])
    with open(out / "grades.csv", newline="", encoding="utf-8") as stream:
        rows = {row["Student"]: row for row in csv.DictReader(stream)}
    score_column = list(rows["Points Possible"])[-1]  # the assignment's column comes last
    assert rows["cy"][score_column] == ""
    lines = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    assert not any(
        line.get("userId") == "cy" and line.get("gradingProgress") == "FullyGraded"
        for line in lines
    )


def test_a_scratch_folder_thousands_of_levels_deep_is_removed(tmp_path):
    from autograder.grading.runner import remove_scratch

    scratch = tmp_path / "scratch"
    deep = scratch
    deep.mkdir()
    fd = os.open(deep, os.O_RDONLY)
    try:  # 3,000 levels, made relative to each parent (a path that long could not be opened)
        for _ in range(3000):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    remove_scratch(scratch)
    assert not scratch.exists()
