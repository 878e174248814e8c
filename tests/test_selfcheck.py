"""The students' self-check (selfcheck.py in the bundle): the table, the named mistakes, the pictures."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import REFERENCE_PATH, REPO_ROOT, samples_of

from autograder.config import load_config
from autograder.release.selfcheck_data import RULE_TESTS

KIT = load_config(REPO_ROOT / "grading.yaml")

RELEASE_DIR = REPO_ROOT / "assignments" / "regression_losses"
BUNDLE_FILES = ("test_regression_losses.py", "selfcheck_data.json", "feedback_figures.py")
SELFCHECK = REPO_ROOT / "autograder" / "release" / "selfcheck_template.py"
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
def template():
    """The self-check template, imported from a bundle folder (it reads the data beside it)."""
    folder = bundle_with(Path(tempfile.mkdtemp()), REFERENCE_PATH)
    spec = importlib.util.spec_from_file_location(
        "selfcheck_template_under_test", folder / "selfcheck.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    shutil.rmtree(folder)


@pytest.mark.parametrize("name", list(KIT.assignments))
def test_the_data_file_holds_numbers_and_hint_prose_only(name):
    """No code travels to students: every string is a hint's prose, a name, a loss name, or a
    rule's test."""
    allowed = {
        "assignment",
        "module",
        "function_order",
        "name",
        "summary",
        "hint",
        "lesson",
        "loss",
        "test",
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

    data = json.loads((KIT.assignments[name].release_dir / "selfcheck_data.json").read_text())
    assert {key for key, _ in strings(data)} <= allowed
    # code, not prose: a lambda, or a line that starts a statement ("return a new dict" in a
    # hint's sentence is prose)
    code = re.compile(r"\blambda\b[^:]*:|^\s*(return|def|import|from)\s", re.MULTILINE)
    assert not any(code.search(text) for _, text in strings(data))
    assert {text for key, text in strings(data) if key == "test"} <= set(RULE_TESTS)


# -- rules: mistakes with no single wrong answer ---------------------------------------------------


def test_the_template_interprets_every_rule_test_the_generator_accepts(template):
    assert tuple(template.RULE_TESTS) == RULE_TESTS


ARRAY = [[1.0, 2.0]]  # the arguments of a call whose first argument is an array


@pytest.mark.parametrize(
    ("rule", "got", "args", "mutated", "holds"),
    [
        ({"test": "scalar_for_array"}, 3.0, ARRAY, False, True),
        ({"test": "scalar_for_array"}, [3.0, 1.0], ARRAY, False, False),
        ({"test": "scalar_for_array"}, 3.0, [2.0], False, False),
        ({"test": "modifies_input"}, None, ARRAY, True, True),
        ({"test": "modifies_input"}, None, ARRAY, False, False),
        ({"test": "close_to", "part": 0, "value": 0.0}, ([0.0, 1e-12], [5.0]), ARRAY, False, True),
        ({"test": "close_to", "part": 0, "value": 0.0}, ([0.0, 0.5], [5.0]), ARRAY, False, False),
        ({"test": "close_to", "part": 2, "value": 0.0}, ([0.0], [5.0]), ARRAY, False, False),
        ({"test": "close_to", "value": 0.0}, "text", ARRAY, False, False),
        ({"test": "beyond", "limit": 10.0}, [1.0, -11.0], ARRAY, False, True),
        ({"test": "beyond", "limit": 10.0}, [1.0, float("nan")], ARRAY, False, True),
        ({"test": "beyond", "limit": 10.0}, [1.0, -9.0], ARRAY, False, False),
        ({"test": "grows", "part": 1}, (None, [1.0, 0.5, 2.0]), ARRAY, False, True),
        ({"test": "grows", "part": 1}, (None, [2.0, 0.5, 1.0]), ARRAY, False, False),
        ({"test": "grows"}, [[1.0, 2.0]], ARRAY, False, False),  # not one sequence
        (
            {"any": [{"test": "grows"}, {"test": "beyond", "limit": 1.0}]},
            [0.5, 0.2],
            ARRAY,
            False,
            False,
        ),
        (
            {"any": [{"test": "grows"}, {"test": "beyond", "limit": 1.0}]},
            [0.5, 9.0],
            ARRAY,
            False,
            True,
        ),
        (
            {"all": [{"test": "grows"}, {"test": "beyond", "limit": 1.0}]},
            [0.5, 0.9],
            ARRAY,
            False,
            False,
        ),
        ({"test": "no_such_test"}, 3.0, ARRAY, True, False),
    ],
)
def test_a_rule_holds_exactly_when_its_description_says(template, rule, got, args, mutated, holds):
    assert template.rule_holds(rule, got, args, mutated) is holds


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ({"mse__rmse": {"test": "smaller"}}, "must have a 'test' among scalar_for_array"),
        ({"mse__rmse": {"test": "close_to"}}, "the test 'close_to' needs a number 'value'"),
        ({"mse__rmse": {"any": {"test": "grows"}}}, "must be {'any': [rule, ...]} alone"),
        ({"mse__no_such_mistake": {"test": "grows"}}, "names 'mse__no_such_mistake', no mistake"),
    ],
)
def test_generate_refuses_a_rule_the_self_check_cannot_interpret(tmp_path, rules, words):
    from autograder.release import ReleaseError
    from autograder.release.bundle import generated_files

    course = tmp_path / "course"
    for part in ("grading.yaml", "reference", "assignments"):
        source = REPO_ROOT / part
        if source.is_dir():
            shutil.copytree(source, course / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            course.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, course / part)
    catalog = course / "reference" / "regression_losses" / "checks" / "mistakes.py"
    catalog.write_text(catalog.read_text() + f"\nSELFCHECK_RULES = {rules!r}\n")
    assignment = load_config(course / "grading.yaml").assignment("regression_losses")
    with pytest.raises(ReleaseError) as error:
        generated_files(assignment)
    assert str(error.value).startswith(f"{catalog}: SELFCHECK_RULES")
    assert words in str(error.value)
