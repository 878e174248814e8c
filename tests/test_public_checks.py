"""The regression_losses experiment, run as a student would run it, before any work is done.

(The public checks of every assignment, on its reference, samples and stub, and every
experiment on its reference, are run by tests/test_contract.py.)
"""

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT

from autograder.config import load_config

ASSIGNMENT = load_config(REPO_ROOT / "grading.yaml").assignment("regression_losses")
TIMEOUT_SECONDS = 120


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


def test_experiment_with_stubs_says_so_in_one_sentence(tmp_path):
    experiment = ASSIGNMENT.experiment
    stub = ASSIGNMENT.release_dir / f"{ASSIGNMENT.module}.py"
    (tmp_path / stub.name).write_bytes(stub.read_bytes())
    script = ASSIGNMENT.release_dir / experiment.script
    (tmp_path / script.name).write_bytes(script.read_bytes())
    result = run(tmp_path, script.name)
    assert result.returncode == 1
    assert "is not implemented yet" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / experiment.picture).exists()
