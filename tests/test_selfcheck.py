"""The students' self-check (selfcheck.py in the bundle): the table, the named mistakes, the pictures."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REFERENCE_PATH, REPO_ROOT, samples_of

from autograder.grading.diagnosis import load_catalog

RELEASE_DIR = REPO_ROOT / "assignments" / "regression_losses"
BUNDLE_FILES = ("test_regression_losses.py", "selfcheck_data.json", "feedback_figures.py")
SELFCHECK = REPO_ROOT / "autograder" / "release" / "selfcheck_template.py"
MISTAKES = sorted((samples_of("regression_losses")).glob("*__*.py"))
PNG = b"\x89PNG\r\n\x1a\n"


def bundle_with(tmp_path: Path, solution: Path) -> Path:
    for name in BUNDLE_FILES:
        shutil.copy(RELEASE_DIR / name, tmp_path)
    shutil.copy(SELFCHECK, tmp_path / "selfcheck.py")
    shutil.copy(solution, tmp_path / "regression_losses.py")
    return tmp_path


def run_selfcheck(folder: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "selfcheck.py"], cwd=folder, capture_output=True, text=True, timeout=60
    )
    return result, time.monotonic() - started


def test_a_correct_solution_passes_everything_and_gets_its_pictures(tmp_path):
    result, _ = run_selfcheck(bundle_with(tmp_path, REFERENCE_PATH))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 of 8 functions pass their public checks" in result.stdout
    assert result.stdout.count("✓") == 8 and "Looks like" not in result.stdout
    for name in ("gradient_sign", "loss_curves", "descent_path"):
        assert (tmp_path / f"selfcheck_{name}.png").read_bytes().startswith(PNG)
    assert result.stderr == ""


def test_a_flipped_gradient_is_named_with_its_lesson_section(tmp_path):
    result, _ = run_selfcheck(
        bundle_with(tmp_path, samples_of("regression_losses") / "mse_grad__sign_flipped.py")
    )
    assert result.returncode == 1
    assert "✗ mse_grad" in result.stdout
    assert (
        "Looks like: gradient sign flipped: for ŷ = [4], y = [3] your mse_grad gave [-2]"
        in result.stdout
    )
    assert "section “2. The gradient keeps it”" in result.stdout


@pytest.fixture(scope="module")
def selfcheck(tmp_path_factory):
    """The bundle's selfcheck module, imported from a bundle folder (with its public checks)."""
    folder = bundle_with(tmp_path_factory.mktemp("bundle"), REFERENCE_PATH)
    sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location("selfcheck_under_test", folder / "selfcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module, json.loads((folder / "selfcheck_data.json").read_text())
    sys.path.remove(str(folder))
    sys.modules.pop("test_regression_losses", None)


def load_student(path: Path):
    spec = importlib.util.spec_from_file_location(f"student_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", MISTAKES, ids=[p.stem for p in MISTAKES])
def test_every_catalogued_mistake_is_named_by_the_self_check(selfcheck, assignment, path):
    module, data = selfcheck
    function, _, mistake = path.stem.partition("__")
    summary = next(
        m.summary
        for m in load_catalog(assignment.checks_dir)
        if m.name == mistake and m.function == function
    )
    hint = module.name_the_mistake(load_student(path), function, data)
    assert hint is not None and hint.startswith(summary + ":"), hint


@pytest.mark.parametrize("name", ["correct_vectorised.py", "correct_oop_style.py"])
def test_a_correct_solution_is_never_told_it_made_a_mistake(selfcheck, name):
    module, data = selfcheck
    student = load_student(samples_of("regression_losses") / name)
    for function in module.FUNCTIONS:
        assert module.name_the_mistake(student, function, data) is None, function


def test_the_data_file_holds_numbers_and_hint_prose_only():
    """No code travels to students: every string is a hint's prose, a name, or a loss name."""
    allowed = {
        "assignment",
        "module",
        "function_order",
        "name",
        "summary",
        "hint",
        "lesson",
        "loss",
    }

    def strings(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from strings(v, k)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v, key)
        elif isinstance(value, str):
            yield key, value

    data = json.loads((RELEASE_DIR / "selfcheck_data.json").read_text())
    assert {key for key, _ in strings(data)} <= allowed
    assert not any("lambda" in text or "return " in text for _, text in strings(data))
