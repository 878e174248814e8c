"""The Gradescope autograder zip, tried in a temporary /autograder layout.

Gradescope's contract (FORMATS.md): setup.sh and run_autograder at the zip's
root; run_autograder grades /autograder/submission and must write
/autograder/results/results.json, always.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import samples_of

from autograder.cli import main


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert main(["gradescope-bundle", "--out", str(out)]) == 0
    return out


def autograder_root(bundle: Path, tmp_path: Path) -> Path:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile does not restore modes
            mode = info.external_attr >> 16
            if mode:
                (root / "source" / info.filename).chmod(mode & 0o777)
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path) -> subprocess.CompletedProcess:
    env = {
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_PYTHON": sys.executable,
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_zip_has_the_scripts_at_its_root_and_no_student_material(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert {
        "setup.sh",
        "run_autograder",
        "grading.yaml",
        "reference/regression_losses/regression_losses.py",
    } <= names
    assert "reference/regression_losses/checks/test_checks.py" in names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not any(
        name.startswith(
            (
                "tests/",
                "reference/regression_losses/samples/",
                "reference/backprop_sign/samples/",
                ".venv/",
            )
        )
        for name in names
    )
    for script in ("setup.sh", "run_autograder"):
        with zipfile.ZipFile(bundle) as archive:
            text = archive.read(script).decode()
        checked = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


def test_run_autograder_grades_the_submission(bundle, tmp_path):
    root = autograder_root(bundle, tmp_path)
    shutil.copy(
        samples_of("regression_losses") / "mse_grad__sign_flipped.py",
        root / "submission" / "my_work.py",
    )
    completed = run_autograder(root)
    results = json.loads((root / "results" / "results.json").read_text())
    assert completed.returncode == 0, completed.stderr
    assert results["score"] == 16
    assert {t["status"] for t in results["tests"]} == {"passed", "failed"}
    assert results["extra_data"]["isolation"]["level"] == "full"


def test_run_autograder_always_writes_results(bundle, tmp_path):
    root = autograder_root(bundle, tmp_path)
    (root / "submission" / "notes.txt").write_text("I forgot to upload my code")
    run_autograder(root)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0
    assert "Did you upload `regression_losses.py` or one notebook?" in results["output"]


def test_a_bundle_for_an_assignment_that_builds_on_another(tmp_path):
    """backprop_sign's bundle carries regression_losses' reference too (its provides), nothing else."""
    bundle = tmp_path / "backprop.zip"
    assert main(["gradescope-bundle", "--assignment", "backprop_sign", "--out", str(bundle)]) == 0
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        config = archive.read("grading.yaml").decode()
    assert {
        "reference/backprop_sign/backprop_sign.py",
        "reference/regression_losses/regression_losses.py",
    } <= names
    assert "default_assignment: backprop_sign" in config
    root = autograder_root(bundle, tmp_path)
    shutil.copy(
        samples_of("backprop_sign") / "correct_vectorised.py",
        root / "submission" / "backprop_sign.py",
    )
    run_autograder(root)
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 20
