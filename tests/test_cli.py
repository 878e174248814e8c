"""The ``autograder`` command: misuse is exit 2 and one line; every submission is graded and
written as a valid Gradescope ``results.json``.

Runs ``main([...])`` in this process and the installed ``autograder`` console script in a
subprocess. The format checks follow Gradescope's results specification as summarised in
``/work/shared/FORMATS.md``; points come from grading.yaml read here with ``yaml.safe_load``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, SUBMISSIONS, samples_of

from autograder.cli import main

AUTOGRADER = Path(sys.executable).with_name("autograder")
KIT_YAML = REPO_ROOT / "grading.yaml"
RAW_CHECKS = yaml.safe_load(KIT_YAML.read_text(encoding="utf-8"))["assignments"][
    "regression_losses"
]["checks"]
MAX_SCORE = 20  # README: the assignment is out of 20

CORRECT = samples_of("regression_losses") / "correct_vectorised.py"
MISTAKEN = samples_of("regression_losses") / "mse_grad__sign_flipped.py"
HOSTILE = SUBMISSIONS / "hostile" / "hang_at_import.py"


def run_main(args: list[str]) -> tuple[int, str, str]:
    """``main(args)`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue()


def run_console(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """The installed ``autograder`` script in a subprocess: (exit status, stdout, stderr)."""
    done = subprocess.run(
        [str(AUTOGRADER), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    return done.returncode, done.stdout, done.stderr


def run(runner: str, args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch):
    if runner == "console":
        return run_console(args, cwd)
    monkeypatch.chdir(cwd)  # so no stray ./grading.yaml is picked up
    return run_main(args)


def strict_json(path: Path):
    """Parse as strict JSON (no NaN/Infinity), as Gradescope's parser does."""

    def refuse(constant: str):
        raise ValueError(f"{path} holds {constant}, which is not JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


OLD_RESULTS = {
    "score": 3,
    "execution_time": 1,
    "tests": [],
    "extra_data": {"sha256": "0" * 64, "seed": 999, "stale": True},
    "padding": "x" * 200_000,  # longer than any new file: a partial overwrite would show
}


def folder_with_old_results(folder: Path) -> tuple[Path, bytes, int]:
    """``folder/results.json`` from an earlier run, dated in the past: (path, bytes, mtime)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    path.write_text(json.dumps(OLD_RESULTS), encoding="utf-8")
    os.utime(path, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))
    return path, path.read_bytes(), path.stat().st_mtime_ns


# -- a validator for Gradescope's results.json ----------------------------------------------------

TOP_KEYS = {
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
}
TOP_REQUIRED = {"score", "execution_time", "output", "tests", "extra_data"}  # what README promises
TEST_KEYS = {
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
}
TEST_REQUIRED = {"name", "score", "max_score", "status", "output", "visibility", "tags"}
OUTPUT_FORMATS = {"text", "html", "simple_format", "md", "ansi"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_gradescope_results(data) -> list[str]:
    """Every way ``data`` departs from the Gradescope results format (empty when valid)."""
    problems = []
    if not isinstance(data, dict):
        return [f"the top level is a {type(data).__name__}, not an object"]
    problems += [f"unknown top-level key {k!r}" for k in sorted(set(data) - TOP_KEYS)]
    problems += [f"missing top-level key {k!r}" for k in sorted(TOP_REQUIRED - set(data))]
    for key in ("score", "execution_time"):
        if key in data and not is_number(data[key]):
            problems.append(f"{key} is {data[key]!r}, not a number")
    if "output" in data and not isinstance(data["output"], str):
        problems.append("output is not a string")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in OUTPUT_FORMATS:
            problems.append(f"{key} is {data[key]!r}")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITIES:
            problems.append(f"{key} is {data[key]!r}")
    if "extra_data" in data and not isinstance(data["extra_data"], dict):
        problems.append("extra_data is not an object")
    for entry in data.get("leaderboard", []):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and "value" in entry
            and entry.get("order", "desc") in ("asc", "desc")
        ):
            problems.append(f"bad leaderboard entry {entry!r}")
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        return [*problems, "tests is not a list"]
    for index, test in enumerate(tests):
        where = f"tests[{index}]"
        if not isinstance(test, dict):
            problems.append(f"{where} is not an object")
            continue
        problems += [f"{where} has unknown key {k!r}" for k in sorted(set(test) - TEST_KEYS)]
        problems += [f"{where} lacks {k!r}" for k in sorted(TEST_REQUIRED - set(test))]
        for key in ("score", "max_score"):
            if key in test and not is_number(test[key]):
                problems.append(f"{where}.{key} is {test[key]!r}, not a number")
        if test.get("status", "passed") not in ("passed", "failed"):
            problems.append(f"{where}.status is {test['status']!r}")
        if "name" in test and not (isinstance(test["name"], str) and test["name"]):
            problems.append(f"{where}.name is not a non-empty string")
        if "number" in test and not isinstance(test["number"], str):
            problems.append(f"{where}.number is not a string")
        if not isinstance(test.get("output", ""), str):
            problems.append(f"{where}.output is not a string")
        for key in ("output_format", "name_format"):
            if key in test and test[key] not in OUTPUT_FORMATS:
                problems.append(f"{where}.{key} is {test[key]!r}")
        if test.get("visibility", "visible") not in VISIBILITIES:
            problems.append(f"{where}.visibility is {test['visibility']!r}")
        tags = test.get("tags", [])
        if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            problems.append(f"{where}.tags is not a list of strings")
        if "extra_data" in test and not isinstance(test["extra_data"], dict):
            problems.append(f"{where}.extra_data is not an object")
    return problems


def test_the_validator_catches_departures_from_the_format():
    good = {
        "score": 1,
        "execution_time": 0.5,
        "output": "",
        "extra_data": {},
        "tests": [
            {
                "name": "a",
                "score": 1,
                "max_score": 1,
                "status": "passed",
                "output": "",
                "visibility": "visible",
                "tags": ["mse"],
            }
        ],
    }
    assert check_gradescope_results(good) == []
    bad = json.loads(json.dumps(good))
    bad["execution_time"] = "0.5"
    bad["visibility"] = "public"
    bad["points"] = 1
    bad["tests"][0].update(status="ok", tags="mse", number=1, max_score=True)
    del bad["tests"][0]["name"]
    assert len(check_gradescope_results(bad)) == 8


def assert_valid_results(data: dict) -> None:
    assert check_gradescope_results(data) == []
    tests = data["tests"]
    names = [t["name"] for t in tests]
    assert len(tests) == len(RAW_CHECKS) and len(set(names)) == len(names)
    assert len({t["number"] for t in tests}) == len(tests)
    assert math.isclose(sum(t["max_score"] for t in tests), MAX_SCORE)
    assert data["score"] == pytest.approx(sum(t["score"] for t in tests), abs=1e-6)
    for test in tests:
        assert 0 <= test["score"] <= test["max_score"]
        assert (test["status"] == "passed") == (test["score"] == test["max_score"])
    assert 0 <= data["score"] <= MAX_SCORE
    assert data["execution_time"] >= 0


# -- grading runs shared by several tests ----------------------------------------------------------


@pytest.fixture(scope="module")
def correct_run(tmp_path_factory):
    """The console script grades the correct sample, with --seed 5, over an older result."""
    out = tmp_path_factory.mktemp("correct") / "out"
    folder_with_old_results(out)
    (out / "report.json").write_text('{"old": true}', encoding="utf-8")
    status, stdout, stderr = run_console(
        ["grade", str(CORRECT), "--out", str(out), "--seed", "5"], cwd=out.parent
    )
    return status, stdout, stderr, out


@pytest.fixture(scope="module")
def mistaken_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mistaken") / "out"
    status, stdout, stderr = run_main(["grade", str(MISTAKEN), "--out", str(out)])
    return status, stdout, stderr, out


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "out"
    status, stdout, stderr = run_main(["grade", str(HOSTILE), "--out", str(out)])
    return status, stdout, stderr, out


# -- misuse: exit 2, one line, nothing written ----------------------------------------------------


def misuse_cases(tmp_path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """name: (arguments after 'grade', texts the one stderr line must contain)."""
    broken_yaml = tmp_path / "broken.yaml"
    broken_yaml.write_text("assignments:\n  regression_losses: [\n", encoding="utf-8")
    not_a_mapping = tmp_path / "list.yaml"
    not_a_mapping.write_text("assignments: [regression_losses]\n", encoding="utf-8")
    absent = tmp_path / "absent.yaml"
    missing = tmp_path / "nobody" / "regression_losses.py"
    notes = tmp_path / "notes.txt"
    notes.write_text("def mse(y_pred, y_true):\n    return 0.0\n", encoding="utf-8")
    return {
        "not-code": ([str(notes)], [str(notes), "neither a Python file (.py) nor a notebook"]),
        "missing-path": ([str(missing)], [str(missing)]),
        "empty-folder": ([str(tmp_path / "empty")], [str(tmp_path / "empty")]),
        "unknown-assignment": ([str(CORRECT), "--assignment", "week_9"], ["week_9"]),
        "broken-yaml": ([str(CORRECT), "--config", str(broken_yaml)], [str(broken_yaml), "YAML"]),
        "bad-config": (
            [str(CORRECT), "--config", str(not_a_mapping)],
            [str(not_a_mapping), "assignments"],
        ),
        "missing-config": ([str(CORRECT), "--config", str(absent)], [str(absent)]),
    }


MISUSES = [
    "missing-path",
    "not-code",
    "empty-folder",
    "unknown-assignment",
    "broken-yaml",
    "bad-config",
    "missing-config",
]


@pytest.mark.parametrize("runner", ["main", "console"])
@pytest.mark.parametrize("case", MISUSES)
def test_misuse_exits_2_with_one_line_and_leaves_old_results_untouched(
    tmp_path, monkeypatch, runner, case
):
    (tmp_path / "empty").mkdir()
    arguments, expected = misuse_cases(tmp_path)[case]
    out = tmp_path / "out"
    results, old_bytes, old_mtime = folder_with_old_results(out)
    status, stdout, stderr = run(
        runner, ["grade", *arguments, "--out", str(out)], tmp_path, monkeypatch
    )
    assert status == 2
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("autograder: ")
    for text in expected:
        assert text in lines[0]
    assert "Traceback" not in stderr and stdout == ""
    assert results.read_bytes() == old_bytes
    assert results.stat().st_mtime_ns == old_mtime
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]


def test_misuse_creates_no_out_folder(tmp_path, monkeypatch):
    out = tmp_path / "new_out"
    status, _, _ = run(
        "main", ["grade", str(tmp_path / "none.py"), "--out", str(out)], tmp_path, monkeypatch
    )
    assert status == 2
    assert not out.exists()


# -- graded submissions ---------------------------------------------------------------------------


def test_a_notebook_that_is_not_json_is_graded_zero_with_the_reason(tmp_path, monkeypatch):
    notebook = tmp_path / "week3.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "source": "def mse(', encoding="utf-8")
    out = tmp_path / "out"
    status, stdout, _ = run(
        "main", ["grade", str(notebook), "--out", str(out)], tmp_path, monkeypatch
    )
    assert status == 0
    data = strict_json(out / "results.json")
    assert_valid_results(data)
    assert data["score"] == 0
    assert all(t["score"] == 0 and t["status"] == "failed" for t in data["tests"])
    assert "week3.ipynb" in data["output"] and "JSON" in data["output"]
    assert data["extra_data"]["sha256"] == hashlib.sha256(notebook.read_bytes()).hexdigest()
    assert "week3.ipynb" in stdout


def test_grading_replaces_an_older_results_json_whole(correct_run):
    status, _, stderr, out = correct_run
    assert status == 0, stderr
    data = strict_json(out / "results.json")  # valid JSON: no tail of the longer old file
    assert "padding" not in data and "stale" not in data["extra_data"]
    assert data["extra_data"]["sha256"] == hashlib.sha256(CORRECT.read_bytes()).hexdigest()
    assert data["extra_data"]["sha256"] != OLD_RESULTS["extra_data"]["sha256"]
    assert strict_json(out / "report.json") != {"old": True}
    names = {p.name for p in out.iterdir()}
    assert {"report.json", "results.json"} <= names
    assert not [name for name in names if name.startswith(".")]  # no temporary files left


def test_the_seed_given_is_recorded(correct_run):
    _, _, _, out = correct_run
    assert strict_json(out / "results.json")["extra_data"]["seed"] == 5


def test_the_printed_table_lists_every_check(correct_run):
    _, stdout, _, out = correct_run
    data = strict_json(out / "results.json")
    lines = stdout.splitlines()
    for test in data["tests"]:
        assert any(test["name"] in line for line in lines), test["name"]
    check_lines = [line for line in lines if re.match(r"^\s+[✓✗] ", line)]
    assert len(check_lines) == len(RAW_CHECKS)


def test_a_correct_submission_gives_valid_results_with_full_marks(correct_run):
    _, _, _, out = correct_run
    data = strict_json(out / "results.json")
    assert_valid_results(data)
    assert data["score"] == MAX_SCORE
    assert all(t["status"] == "passed" for t in data["tests"])
    visibilities = {t["name"]: t["visibility"] for t in data["tests"]}
    assert sorted(visibilities.values()) == sorted(c["visibility"] for c in RAW_CHECKS.values())


def test_a_mistaken_submission_gives_valid_results(mistaken_run):
    status, _, stderr, out = mistaken_run
    assert status == 0, stderr
    data = strict_json(out / "results.json")
    assert_valid_results(data)
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert failed and 0 < data["score"] < MAX_SCORE
    assert all("mse_grad" in t["tags"] for t in failed)  # the sample flips mse_grad's sign only
    assert data["extra_data"]["sha256"] == hashlib.sha256(MISTAKEN.read_bytes()).hexdigest()


def test_a_submission_that_hangs_at_import_gives_valid_results(hostile_run):
    status, _, stderr, out = hostile_run
    assert status == 0, stderr
    data = strict_json(out / "results.json")
    assert_valid_results(data)
    assert data["score"] == 0  # it never finished loading, so no function exists
    assert re.search(r"did not finish|time limit|timed out", data["output"])


# -- bugs -----------------------------------------------------------------------------------------


def test_require_isolation_still_grades_a_broken_notebook(tmp_path, monkeypatch):
    notebook = tmp_path / "week3.ipynb"
    notebook.write_text("{", encoding="utf-8")
    out = tmp_path / "out"
    status, _, stderr = run(
        "main",
        ["grade", str(notebook), "--out", str(out), "--require-isolation"],
        tmp_path,
        monkeypatch,
    )
    assert status == 0, stderr
    assert strict_json(out / "results.json")["score"] == 0


def test_an_out_that_is_a_file_is_misuse(tmp_path, monkeypatch):
    out = tmp_path / "results"
    out.write_text("not a folder", encoding="utf-8")
    status, _, stderr = run(
        "main", ["grade", str(CORRECT), "--out", str(out)], tmp_path, monkeypatch
    )
    assert status == 2
    assert len(stderr.splitlines()) == 1 and stderr.startswith("autograder: ")


# -- noise: the grader's own numeric warnings stay out of the terminal ----------------------------


@pytest.mark.parametrize(
    "sample", ["backward__sign_flipped.py", "sgd_step__ascent.py", "train__forgot_mean.py"]
)
def test_grading_a_diverging_submission_prints_no_grader_warnings(tmp_path, sample):
    # these submissions diverge: the reference and the pictures then meet overflowing values
    status, stdout, stderr = run_console(
        [
            "grade",
            str(samples_of("backprop_sign") / sample),
            "--assignment",
            "backprop_sign",
            "--out",
            str(tmp_path / "out"),
        ],
        tmp_path,
    )
    assert status == 0, stderr
    assert "Warning" not in stderr and "Warning" not in stdout, stderr
    assert stderr == ""


def test_lms_commands_are_wired(tmp_path, capsys):
    assert main(["lti-keys", "--out", str(tmp_path / "k")]) == 0
    assert (tmp_path / "k" / "jwks.json").is_file()
    assert main(["lti-keys", "--out", str(tmp_path / "k")]) == 2  # an existing key is kept
    assert main(["lti-push", str(tmp_path / "scores.jsonl")]) == 2
    assert "--line-item" in capsys.readouterr().err


def test_new_is_wired_and_reads_no_grading_yaml_first(tmp_path, capsys):
    config = tmp_path / "course" / "grading.yaml"
    config.parent.mkdir()
    assert main(["new", "week1", "--config", str(config)]) == 0  # the file does not exist yet
    assert "Created the assignment week1" in capsys.readouterr().out
    assert (tmp_path / "course" / "reference" / "week1" / "week1.py").is_file()
    assert (tmp_path / "course" / "assignments" / "week1").is_dir()
    before = config.read_bytes()
    assert main(["new", "week1", "--config", str(config)]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("autograder: ") and len(stderr.splitlines()) == 1
    assert config.read_bytes() == before


def test_every_command_s_help_opens_with_a_sentence_saying_what_it_does(capsys):
    from autograder.cli import build_parser

    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(subparsers.choices) >= 12
    for name, command in subparsers.choices.items():
        description = command.description or ""
        assert description[:1].isupper() and description.endswith("."), name
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert description.split()[0] in capsys.readouterr().out, name


def test_grade_s_help_names_every_file_out_gets():
    from autograder.cli import build_parser
    from autograder.outputs.student import STUDENT_OUTPUTS

    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    (out,) = [a for a in subparsers.choices["grade"]._actions if "--out" in a.option_strings]
    for name in (name for each in STUDENT_OUTPUTS for name in each.files):
        assert name in out.help, name
