"""Grading in a container: root, no user namespace, and in one variant no Landlock either.

Docker's default seccomp profile refuses ``unshare`` (and ``clone`` with a namespace flag) to a
container without CAP_SYS_ADMIN, and profiles older than Landlock refuse its system calls; the
grader then runs as root. Each test runs the real command, ``python -m autograder.cli grade``,
under ``tests/container_profile.py``, which confines it as Docker would (its capabilities cut to
Docker's defaults, that seccomp filter installed), and checks what the worker could reach: the
reference, the hidden checks, grading.yaml, another student's results, the grader's environment
(``AUTOGRADER_TEST_SECRET``), the output folder, the grader's processes. Without a user namespace
a worker changes to an unprivileged uid inside a chroot of its scratch folder; where it cannot
change its uid, no student code runs at all.

The hostile submissions get the grader's real paths written into them (their ``KNOWN``), as an
attacker who knows the layout would, besides looking for themselves.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import REPO_ROOT, SUBMISSIONS, samples_of

from autograder.errors import UsageError

PROFILE = REPO_ROOT / "tests" / "container_profile.py"
HOSTILE = SUBMISSIONS / "hostile_container"
CORRECT = samples_of("regression_losses") / "correct_vectorised.py"
REFERENCE = REPO_ROOT / "reference" / "regression_losses"
SECRET_NAME = "AUTOGRADER_TEST_SECRET"
SECRET = "instructor-secret-7f3a9c1e5b"
OTHER_RESULT = "OTHER-STUDENT-RESULT-2b8d4e6f"
MAX_SCORE = 20.0

WITH_LANDLOCK: tuple[str, ...] = ()
NO_LANDLOCK = ("--no-landlock",)
VARIANTS = [WITH_LANDLOCK, NO_LANDLOCK]
VARIANT_IDS = ["docker", "docker-without-landlock"]

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="the sandbox confines only on Linux"),
    pytest.mark.skipif(
        sys.platform != "linux" or os.geteuid() != 0, reason="grading in a container runs as root"
    ),
    pytest.mark.skipif(
        os.uname().machine not in ("x86_64", "aarch64"),
        reason="the container profile knows x86_64's and aarch64's system call numbers",
    ),
]


@pytest.fixture
def site():
    """A folder like a grader's: an output folder and another student's results beside it.

    World-readable (0755) as a default umask leaves it, and the other student's folder
    world-writable: only the sandbox, not the permission bits, keeps a worker out.
    """
    base = Path(tempfile.mkdtemp(prefix="autograder-container-test-"))
    base.chmod(0o755)
    out = base / "out"
    out.mkdir(mode=0o755)
    other = base / "other_student"
    other.mkdir()
    other.chmod(0o777)
    (other / "results.json").write_text(json.dumps({"score": 3, "output": OTHER_RESULT}))
    (other / "results.json").chmod(0o644)
    yield out, other
    shutil.rmtree(base, ignore_errors=True)


def grade_in_container(
    submission: Path, out: Path, profile: tuple[str, ...], *options: str, start: str = "fork"
) -> subprocess.CompletedProcess[str]:
    """``autograder grade`` as root in a container confined by ``profile``'s options, with an
    instructor's secret in the grader's environment; workers forked by the zygote, or (``start``
    ``"spawn"``) each a fresh interpreter, the grader's own child."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
    env[SECRET_NAME] = SECRET
    env["AUTOGRADER_WORKER_START"] = start
    command = [sys.executable, "-m", "autograder.cli", "grade", str(submission), "--out"]
    command += [str(out), "--assignment", "regression_losses", *options]
    return subprocess.run(
        [sys.executable, str(PROFILE), *profile, "--", *command],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def hostile(name: str, folder: Path, known: dict) -> Path:
    """A copy of the hostile submission ``name`` with ``known`` written into its ``KNOWN``."""
    source = (HOSTILE / name).read_text()
    assert source.count("KNOWN = {}") == 1
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "regression_losses.py"
    path.write_text(source.replace("KNOWN = {}", f"KNOWN = {known!r}"))
    return path


def written(out: Path) -> str:
    """Every text file the grader wrote into ``out``, as one text."""
    return "\n".join(
        p.read_text(errors="replace") for p in sorted(out.iterdir()) if p.suffix != ".png"
    )


def results_of(completed: subprocess.CompletedProcess[str], out: Path) -> dict:
    assert completed.returncode == 0, completed.stderr
    return json.loads((out / "results.json").read_text())


def failing(results: dict) -> list[str]:
    return [f"{t['name']}: {t.get('output', '')}" for t in results["tests"] if t["score"] == 0]


@pytest.mark.parametrize("profile", VARIANTS, ids=VARIANT_IDS)
def test_a_correct_submission_gets_full_marks_and_the_record_says_what_holds(site, profile) -> None:
    out, _ = site
    completed = grade_in_container(CORRECT, out, profile)
    results = results_of(completed, out)
    assert results["score"] == MAX_SCORE, failing(results)
    isolation = results["extra_data"]["isolation"]
    assert isolation["level"] == "partial"
    held = set(isolation["mechanisms"])
    assert {"chroot", "unprivileged-uid", "caps-dropped", "no-fork", "seccomp"} <= held
    missing = {entry.split(":")[0] for entry in isolation["missing"]}
    assert {"user+net namespace", "mount namespace"} <= missing
    assert ("landlock-fs" in held) == (profile == WITH_LANDLOCK)
    assert ("landlock" in missing) == (profile == NO_LANDLOCK)
    assert "isolation is 'partial', not full" in completed.stderr


@pytest.mark.parametrize("profile", VARIANTS, ids=VARIANT_IDS)
def test_imports_and_files_at_call_time_still_work(site, profile) -> None:
    """In the chroot, as its own uid: files in the working directory and TMPDIR, standard
    modules and numpy's lazily loaded subpackages imported by the functions."""
    out, _ = site
    submission = HOSTILE / "imports_and_files_at_call_time.py"
    results = results_of(grade_in_container(submission, out, profile), out)
    assert results["score"] == MAX_SCORE, failing(results)


@pytest.mark.parametrize("profile", VARIANTS, ids=VARIANT_IDS)
def test_it_reads_no_reference_check_config_result_or_secret(site, tmp_path, profile) -> None:
    out, other = site
    checks = sorted(str(p) for p in (REFERENCE / "checks").glob("*.py"))
    known = {
        "files": [
            str(REFERENCE / "regression_losses.py"),
            *checks,
            str(REPO_ROOT / "grading.yaml"),
            str(other / "results.json"),
        ],
        "folders": [str(REFERENCE), str(REFERENCE / "checks"), str(other), str(out)],
        "pids": [os.getpid()],
    }
    submission = hostile("reads_secrets.py", tmp_path / "student", known)
    results = results_of(grade_in_container(submission, out, profile), out)
    assert results["score"] == MAX_SCORE, failing(results)
    text = written(out)
    assert SECRET not in text
    assert OTHER_RESULT not in text
    assert "BEGIN SOLUTION" not in text
    assert "unprivileged-uid" in results["extra_data"]["isolation"]["mechanisms"]


@pytest.mark.parametrize(
    ("profile", "start"),
    [(WITH_LANDLOCK, "fork"), (NO_LANDLOCK, "fork"), (NO_LANDLOCK, "spawn")],
    ids=["docker", "docker-without-landlock", "docker-without-landlock-spawned-workers"],
)
def test_it_writes_nothing_outside_and_signals_or_traces_no_one(
    site, tmp_path, profile, start
) -> None:
    """Spawned, the worker's parent is the grader itself, which it tries to kill."""
    out, other = site
    before = (other / "results.json").read_text()
    known = {"folders": [str(out), str(other)], "pids": [os.getpid()]}
    submission = hostile("writes_and_signals.py", tmp_path / "student", known)
    completed = grade_in_container(submission, out, profile, start=start)
    results = results_of(completed, out)  # the grader survived and wrote its results
    assert results["score"] == MAX_SCORE, failing(results)
    assert not (out / "forged.txt").exists()
    assert not (other / "forged.txt").exists()
    assert (other / "results.json").read_text() == before
    assert "unprivileged-uid" in results["extra_data"]["isolation"]["mechanisms"]


def test_require_isolation_still_refuses_to_write_in_a_container(site) -> None:
    out, _ = site
    completed = grade_in_container(CORRECT, out, NO_LANDLOCK, "--require-isolation")
    assert completed.returncode == 2
    assert "nothing was written because --require-isolation was given" in completed.stderr
    assert not (out / "results.json").exists()


def test_a_root_that_cannot_change_its_uid_runs_no_student_code(site, tmp_path) -> None:
    """Without CAP_SETUID the worker would stay root: it refuses, in one sentence, and the
    submission (which would write into both folders) never runs."""
    out, other = site
    known = {"folders": [str(out), str(other)], "pids": [os.getpid()]}
    submission = hostile("writes_and_signals.py", tmp_path / "student", known)
    completed = grade_in_container(submission, out, (*NO_LANDLOCK, "--no-setuid"))
    assert completed.returncode == 2
    assert "student code was not run" in completed.stderr
    assert "could not change to the unprivileged uid 65534" in completed.stderr
    assert not (out / "results.json").exists()
    assert not (out / "forged.txt").exists()
    assert not (other / "forged.txt").exists()


def test_a_worker_that_could_read_every_world_readable_file_runs_no_student_code(
    site, tmp_path
) -> None:
    """Without Landlock and without CAP_SYS_CHROOT, uid 65534 could still read the reference
    (world-readable in a clone): no student code runs."""
    out, other = site
    known = {"folders": [str(out), str(other)], "pids": [os.getpid()]}
    submission = hostile("writes_and_signals.py", tmp_path / "student", known)
    completed = grade_in_container(submission, out, (*NO_LANDLOCK, "--no-chroot"))
    assert completed.returncode == 2
    assert "student code was not run" in completed.stderr
    assert "could not be confined to its scratch folder (chroot:" in completed.stderr
    assert not (out / "results.json").exists()
    assert not (other / "forged.txt").exists()


def test_the_worker_uid_comes_from_the_grader_environment(monkeypatch) -> None:
    from autograder.sandbox.client import WORKER_IDS_ENV, worker_ids

    monkeypatch.delenv(WORKER_IDS_ENV, raising=False)
    assert worker_ids() == (65534, 65534)
    monkeypatch.setenv(WORKER_IDS_ENV, "4321")
    assert worker_ids() == (4321, 4321)
    monkeypatch.setenv(WORKER_IDS_ENV, "4321:99")
    assert worker_ids() == (4321, 99)
    for bad in ("0", "root", "1:2:3", "-5", "12:"):
        monkeypatch.setenv(WORKER_IDS_ENV, bad)
        with pytest.raises(UsageError, match=WORKER_IDS_ENV):
            worker_ids()
