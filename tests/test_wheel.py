"""A wheel install works like a checkout: the kit's course and every file the check run needs
are package data.

The wheel is built from this checkout and installed with pip into a fresh virtual
environment (no editable link back to the checkout); its dependencies come from the
test's own environment through a ``.pth`` file, so nothing is downloaded. Then the
installed ``autograder`` command grades, from a folder with no grading.yaml, as a
new user of ``pip install`` would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from conftest import REPO_ROOT, samples_of

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``bin`` folder of a fresh venv with the kit installed from its wheel."""
    root = tmp_path_factory.mktemp("wheel")
    built = run(
        sys.executable, "-m", "pip", "wheel", REPO_ROOT, "--no-deps", "--no-build-isolation",
        "-w", root / "dist", cwd=root,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((root / "dist").glob("*.whl"))
    environment = root / "venv"
    venv.create(environment, with_pip=False)
    site = Path(
        sysconfig.get_path("purelib", vars={"base": str(environment), "platbase": str(environment)})
    )
    # the dependencies (numpy, pytest, matplotlib, PyYAML, pip itself) from this environment
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = environment / "bin" / "python"
    done = run(python, "-m", "pip", "install", "--no-deps", "--no-index", wheel, cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    return environment / "bin"


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHON"))}


def test_the_installed_kit_is_not_the_checkout(installed, tmp_path):
    where = run(
        installed / "python", "-c", "import autograder; print(autograder.__file__)", cwd=tmp_path
    )
    assert where.returncode == 0, where.stderr
    assert not Path(where.stdout.strip()).is_relative_to(REPO_ROOT)


@pytest.mark.parametrize(
    ("sample", "assignment"),
    [
        (samples_of("regression_losses") / "correct_vectorised.py", "regression_losses"),
        (samples_of("backprop_sign") / "correct_vectorised.py", "backprop_sign"),
    ],
    ids=["regression_losses", "backprop_sign"],
)
def test_a_wheel_install_grades_a_correct_sample_to_full_marks(
    installed, tmp_path, sample, assignment
):
    out = tmp_path / "out"
    graded = run(
        installed / "autograder", "grade", sample, "--assignment", assignment, "--out", out,
        cwd=tmp_path, env=clean_env(),
    )  # fmt: skip
    assert graded.returncode == 0, graded.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["tests"], "no check ran"
    assert results["score"] == results["extra_data"]["max_score"] > 0
    assert all(t["status"] == "passed" for t in results["tests"])


def test_a_wheel_install_releases_the_student_bundle(installed, tmp_path):
    released = run(
        installed / "autograder", "release", "--assignment", "regression_losses",
        "--out", tmp_path / "bundle", cwd=tmp_path, env=clean_env(),
    )  # fmt: skip
    assert released.returncode == 0, released.stderr
    assert (tmp_path / "bundle" / "regression_losses.py").is_file()
    assert (tmp_path / "bundle" / "selfcheck.py").is_file()


def test_a_wheel_install_says_in_one_sentence_that_the_gradescope_bundle_needs_the_source(
    installed, tmp_path
):
    """The bundle installs the kit from its source (pyproject.toml), which a wheel does not
    have: one sentence and exit 2, never a traceback, and no zip."""
    bundled = run(
        installed / "autograder", "gradescope-bundle", "--assignment", "huber_loss",
        "--out", tmp_path / "autograder.zip", cwd=tmp_path, env=clean_env(),
    )  # fmt: skip
    assert bundled.returncode == 2, bundled.stderr
    lines = bundled.stderr.strip().splitlines()
    assert len(lines) == 1 and "holds no pyproject.toml" in lines[0], bundled.stderr
    assert "Traceback" not in bundled.stderr
    assert not (tmp_path / "autograder.zip").exists()
