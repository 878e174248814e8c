"""The released folder's public checks and experiment, run as a student would run them.

Each test copies the public test file (and the experiment script) into a fresh
folder next to some ``regression_losses.py`` and runs ``python -m pytest`` or
the script there, in a subprocess, as the student would.
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import samples_of

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = REPO_ROOT / "assignments" / "regression_losses"
PUBLIC_TESTS = ASSIGNMENT / "test_regression_losses.py"
EXPERIMENT = ASSIGNMENT / "sign_flip_experiment.py"
REFERENCE = REPO_ROOT / "reference" / "regression_losses" / "regression_losses.py"

FUNCTIONS = ["mse", "mae", "mse_grad", "mae_grad", "predict", "linear_grads", "gd_step", "fit"]
NOT_IMPLEMENTED = "is not implemented yet (it still raises NotImplementedError)"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIMEOUT_SECONDS = 120
SOLUTION_REGION = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n", re.M | re.S
)


def stub_from_reference() -> str:
    """The reference with every solution region replaced by a stub, as students receive it."""
    return SOLUTION_REGION.sub(
        r"\g<indent># YOUR CODE HERE\n\g<indent>raise NotImplementedError()\n",
        REFERENCE.read_text(),
    )


def released_folder(tmp_path: Path, module_source: str, *extra: Path) -> Path:
    """A folder with ``module_source`` as regression_losses.py, the public tests and ``extra``."""
    folder = tmp_path / "regression_losses"
    folder.mkdir()
    (folder / "regression_losses.py").write_text(module_source)
    for path in (PUBLIC_TESTS, *extra):
        (folder / path.name).write_text(path.read_text())
    return folder


def run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.pop("PYTHONPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )


def run_public_tests(folder: Path) -> tuple[subprocess.CompletedProcess, dict[str, bool]]:
    """Run the public tests in ``folder``; return the process and {test name: passed}."""
    report = folder.parent / "junit.xml"
    result = run(folder, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}")
    outcomes = {
        case.get("name"): case.find("failure") is None and case.find("error") is None
        for case in ET.parse(report).getroot().iter("testcase")
    }
    return result, outcomes


def function_under_test(test_name: str) -> str | None:
    """``test_mse_grad_by_hand`` -> ``mse_grad`` (the longest function name that fits)."""
    rest = test_name.removeprefix("test_")
    return max((name for name in FUNCTIONS if rest.startswith(name + "_")), key=len, default=None)


def test_public_tests_pass_with_the_reference(tmp_path):
    folder = released_folder(tmp_path, REFERENCE.read_text())
    result, outcomes = run_public_tests(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(outcomes) >= 3 * len(FUNCTIONS)
    assert all(outcomes.values())


def test_every_function_has_public_tests():
    folder_tests = re.findall(r"^def (test_\w+)", PUBLIC_TESTS.read_text(), re.M)
    covered = {function_under_test(name) for name in folder_tests} - {None}
    assert covered == set(FUNCTIONS)


@pytest.mark.parametrize(
    "stub",
    [
        pytest.param(stub_from_reference, id="generated-stub"),
        pytest.param(lambda: (ASSIGNMENT / "regression_losses.py").read_text(), id="untouched"),
    ],
)
def test_public_tests_fail_on_stubs_saying_not_implemented(tmp_path, stub):
    folder = released_folder(tmp_path, stub())
    result, outcomes = run_public_tests(folder)
    assert result.returncode == 1, result.stdout + result.stderr
    assert outcomes
    assert not any(outcomes.values())
    for name in FUNCTIONS:
        assert f"{name} {NOT_IMPLEMENTED}" in result.stdout
    assert "Traceback" not in result.stdout


def test_a_sign_flipped_mse_grad_fails_only_the_mse_grad_tests(tmp_path):
    folder = released_folder(
        tmp_path, (samples_of("regression_losses") / "mse_grad__sign_flipped.py").read_text()
    )
    _, outcomes = run_public_tests(folder)
    failed = {name for name, passed in outcomes.items() if not passed}
    # test_inputs_are_not_modified[mse_grad] looks at the inputs only, so it passes too.
    expected = {name for name in outcomes if function_under_test(name) == "mse_grad"}
    assert expected
    assert failed == expected


def test_experiment_writes_a_png_with_the_reference(tmp_path):
    folder = released_folder(tmp_path, REFERENCE.read_text(), EXPERIMENT)
    result = run(folder, EXPERIMENT.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "descent" in result.stdout
    assert "flipped" in result.stdout
    png = folder / "sign_flip.png"
    assert png.stat().st_size > len(PNG_SIGNATURE)
    assert png.read_bytes().startswith(PNG_SIGNATURE)


def test_experiment_with_stubs_says_so_in_one_sentence(tmp_path):
    folder = released_folder(tmp_path, stub_from_reference(), EXPERIMENT)
    result = run(folder, EXPERIMENT.name)
    assert result.returncode == 1
    assert "is not implemented yet" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not (folder / "sign_flip.png").exists()
