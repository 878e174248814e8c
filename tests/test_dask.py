"""``grade-batch --scheduler``: a class graded on a real dask.distributed cluster
(:mod:`autograder.batch.cluster`).

A scheduler and workers (each under its nanny, one thread) are started here on 127.0.0.1 as
separate processes with dask's own command (``python -m dask scheduler`` / ``worker``). The
class is test_shards's, made of the assignment's samples, and what each student deserves is
derived from grading.yaml there (:func:`test_shards.assert_expected`). The cluster's results are
compared with a local grade-batch of the same class; a second run reuses every result without
contacting the cluster; a worker with another grading.yaml grades nobody, each student says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_shards import (
    CLASS,
    CONFIG,
    NOT_GRADED,
    SAMPLES,
    assert_expected,
    batch_args,
    make_class,
    progress_names,
    run_here,
)

from autograder.batch.cluster import (
    WORKER_CONFIG_VARIABLE,
    accepted,
    grade_on_worker,
    task_payload,
)
from autograder.batch.discover import discover
from autograder.config import load_config
from autograder.grading.results import to_gradescope
from autograder.grading.runner import config_fingerprint
from autograder.grading.submission import read_submission

pytest.importorskip("distributed")

MODULE = "regression_losses"
START_SECONDS = 60


class Cluster:
    """A dask scheduler and ``workers`` workers on 127.0.0.1, separate processes; stop() ends
    them and the processes they started.

    They stay in this process's session: a test that grades in this process makes it the
    sandbox's subreaper, which kills its children that live in another session
    (:func:`autograder.sandbox.reaper.reap_strays`)."""

    def __init__(self, folder: Path, workers: int, env: dict[str, str] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "scheduler.json"
        self.processes: list[subprocess.Popen] = []
        quiet = {**os.environ, "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}
        self.quiet, self.folder = quiet, folder
        self.worker_arguments = [
            "worker",
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-dashboard",
        ]
        self._start(
            ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"], quiet, folder
        )
        deadline = time.monotonic() + START_SECONDS
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(self.file.read_text())["address"]
        for _ in range(workers):
            self._start(self.worker_arguments, {**quiet, **(env or {})}, folder)
        from distributed import Client

        with Client(self.address, timeout=START_SECONDS) as client:
            client.wait_for_workers(workers, timeout=START_SECONDS)

    def add_worker(self, env: dict[str, str] | None = None) -> None:
        """One more worker (with the test's environment, unless ``env`` adds to it)."""
        from distributed import Client

        with Client(self.address, timeout=START_SECONDS) as client:
            present = len(client.nthreads())
            self._start(self.worker_arguments, {**self.quiet, **(env or {})}, self.folder)
            client.wait_for_workers(present + 1, timeout=START_SECONDS)

    def _start(self, arguments: list[str], env: dict[str, str], folder: Path) -> None:
        name = arguments[0]
        log = open(folder / f"{name}-{len(self.processes)}.log", "wb")
        command = [sys.executable, "-m", "dask", *arguments, "--scheduler-file", str(self.file)]
        self.processes.append(
            subprocess.Popen(command, stdout=log, stderr=log, env=env, cwd=folder)
        )
        log.close()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()  # a nanny ends its worker
        for process in reversed(self.processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill_tree(process)


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL ``process`` (started by this test) and every process below it (a nanny's
    worker), then reap it."""
    import psutil  # a dependency of distributed

    try:
        below = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        below = []
    process.kill()
    for child in below:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    started = Cluster(tmp_path_factory.mktemp("cluster"), workers=2)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def graded(cluster, tmp_path_factory) -> dict:
    """The class graded on the cluster and locally: the folders and what each run printed."""
    base = tmp_path_factory.mktemp("graded")
    folder = make_class(base / "class")
    (folder / "carol" / "ANSWER.md").write_text("The sign is in the gradient.\n", encoding="utf-8")
    started = time.monotonic()
    status, printed = run_here(batch_args(folder, base / "cluster", "--scheduler", cluster.address))
    seconds = time.monotonic() - started
    assert status == 0, printed
    local_status, local_printed = run_here(batch_args(folder, base / "local"))
    assert local_status == 0, local_printed
    return {
        "class": folder,
        "cluster": base / "cluster",
        "local": base / "local",
        "printed": printed,
        "seconds": seconds,
    }


def results_of(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text(encoding="utf-8"))


def outcomes(results: dict) -> list[tuple[str, str, float]]:
    return [(t["extra_data"]["check"], t["status"], t["score"]) for t in results["tests"]]


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


# -- refusals before anything is graded ------------------------------------------------------------


def test_scheduler_with_shard_is_refused(tmp_path):
    folder = make_class(tmp_path / "class")
    status, printed = run_here(
        batch_args(folder, tmp_path / "out", "--scheduler", "tcp://127.0.0.1:1", "--shard", "1/2")
    )
    assert status == 2
    assert "--scheduler and --shard cannot be combined" in printed
    assert not (tmp_path / "out").exists()


def test_without_dask_the_extra_is_named(tmp_path):
    """A Python in which dask.distributed cannot be imported (the module set to None in
    sys.modules, which makes ``import distributed`` raise ImportError)."""
    folder = make_class(tmp_path / "class")
    script = (
        "import sys; sys.modules['distributed'] = None; from autograder.cli import main; "
        f"sys.exit(main({batch_args(folder, tmp_path / 'out', '--scheduler', 'tcp://x:1')!r}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'sign-of-the-gradient[dask]'" in lines[0], lines
    assert not (tmp_path / "out").exists()


# -- a class on the cluster -------------------------------------------------------------------------


@pytest.mark.slow
def test_every_student_gets_what_grading_yaml_says(graded):
    for student in CLASS:
        assert_expected(student, results_of(graded["cluster"], student))
    assert not (graded["cluster"] / NOT_GRADED / "results.json").exists()
    rows = json.loads((graded["cluster"] / "class.json").read_text(encoding="utf-8"))["students"]
    assert {r["student"]: r["graded"] for r in rows} == {
        **dict.fromkeys(CLASS, True),
        NOT_GRADED: False,
    }
    assert progress_names(graded["printed"]) == {*CLASS, NOT_GRADED}


@pytest.mark.slow
def test_the_cluster_grades_as_a_local_run_does(graded):
    for student in CLASS:
        on_cluster = results_of(graded["cluster"], student)
        local = results_of(graded["local"], student)
        assert on_cluster["score"] == local["score"], student
        assert outcomes(on_cluster) == outcomes(local), student
        for key in ("sha256", "seed", "config_fingerprint", "load_problems", "notes"):
            assert on_cluster["extra_data"][key] == local["extra_data"][key], (student, key)
        assert (graded["cluster"] / student / "report.json").exists()
        assert (graded["cluster"] / student / "feedback.md").exists()
    # the answer to the question is read by the submitting process, as a local run reads it
    for out in (graded["cluster"], graded["local"]):
        assert (out / "carol" / "answer.md").read_text(encoding="utf-8") == (
            "The sign is in the gradient.\n"
        )
    assert not [p for p in graded["cluster"].glob("*/answer.md") if p.parent.name != "carol"]


@pytest.mark.slow
def test_each_result_says_the_sandbox_was_kept_on_the_worker(graded):
    for student in CLASS:
        isolation = results_of(graded["cluster"], student)["extra_data"]["isolation"]
        local = results_of(graded["local"], student)["extra_data"]["isolation"]
        assert isolation["level"] != "not needed" and isolation["mechanisms"], student
        # the same machine, the same sandbox: the worker's record is the local one
        assert isolation == local, student


@pytest.mark.slow
def test_a_second_run_sends_nothing_and_keeps_every_file(graded, cluster):
    out = graded["cluster"]
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/results.json")}
    status, printed = run_here(batch_args(graded["class"], out, "--scheduler", cluster.address))
    assert status == 0, printed
    assert f"{len(CLASS)} unchanged" in printed
    for student in CLASS:
        assert f"{student}: " in printed and "(unchanged, not regraded)" in printed
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/results.json")} == before
    # nothing is sent: a scheduler that does not exist is never contacted
    status, printed = run_here(
        batch_args(graded["class"], out, "--scheduler", f"tcp://127.0.0.1:{free_port()}")
    )
    assert status == 0, printed
    assert f"{len(CLASS)} unchanged" in printed


@pytest.mark.slow
def test_a_tampered_answer_is_not_written(graded):
    """What a worker returns is checked: a score that does not add up, another submission."""
    assignment = load_config(CONFIG).assignment(MODULE)
    fingerprint = config_fingerprint(assignment, CONFIG)
    results = results_of(graded["cluster"], "dave")
    report = json.loads((graded["cluster"] / "dave" / "report.json").read_text())
    sha = results["extra_data"]["sha256"]

    def answer(changed: dict) -> str:
        return json.dumps({"status": "graded", "results": changed, "report": report})

    assert accepted(answer(results), assignment, sha, fingerprint, False).result.score < 20
    inflated = {**results, "score": 20}
    with pytest.raises(ValueError, match="score of 20"):
        accepted(answer(inflated), assignment, sha, fingerprint, False)
    with pytest.raises(ValueError, match="different submission"):
        accepted(answer(results), assignment, "0" * 64, fingerprint, False)
    points = json.loads(json.dumps(results))
    points["tests"][0]["score"] = 99
    with pytest.raises(ValueError, match="not to be trusted"):
        accepted(answer(points), assignment, sha, fingerprint, False)
    with pytest.raises(ValueError):
        accepted("[]", assignment, sha, fingerprint, False)


@pytest.mark.slow
def test_a_worker_with_another_course_grades_nobody(tmp_path, tmp_path_factory):
    """The worker reads its course at $AUTOGRADER_WORKER_CONFIG: a copy whose grading.yaml
    gives the calls another time limit. Its fingerprint differs, so no student is graded and
    each row says why; the students' earlier results are kept."""
    course = tmp_path / "course"
    course.mkdir()
    for tree in ("reference", "assignments"):
        shutil.copytree(CONFIG.parent / tree, course / tree)
    text = CONFIG.read_text(encoding="utf-8")
    assert "call_seconds: 2 " in text
    (course / "grading.yaml").write_text(text.replace("call_seconds: 2 ", "call_seconds: 3 "))
    other = Cluster(
        tmp_path_factory.mktemp("other"),
        workers=1,
        env={WORKER_CONFIG_VARIABLE: str(course / "grading.yaml")},
    )
    try:
        folder = tmp_path / "class"
        folder.mkdir()
        for student in ("alice", "dave"):
            shutil.copy(SAMPLES / CLASS[student], folder / f"{student}.py")
        status, printed = run_here(
            batch_args(folder, tmp_path / "out", "--scheduler", other.address)
        )
        rows = json.loads((tmp_path / "out" / "class.json").read_text(encoding="utf-8"))
        written = list((tmp_path / "out").glob("*/results.json"))
        # a worker with the course joins: the next run grades both students there, and only
        # there (the other worker is named again and gets nobody)
        other.add_worker()
        again, printed_again = run_here(
            batch_args(folder, tmp_path / "out", "--scheduler", other.address)
        )
    finally:
        other.stop()
    assert status == 0, printed
    assert "grades with a different course" in printed
    assert "no student is sent to it" in printed
    assert [r["student"] for r in rows["students"]] == ["alice", "dave"]
    for row in rows["students"]:
        assert not row["graded"] and row["score"] is None, row
        assert "grades with a different course" in row["failure"], row
    assert not written
    assert again == 0, printed_again
    assert printed_again.count("grades with a different course") == 1, printed_again
    for student in ("alice", "dave"):
        assert_expected(student, results_of(tmp_path / "out", student))


@pytest.mark.slow
def test_a_task_from_another_course_is_refused_on_the_worker(tmp_path):
    """Each task checks the grading fingerprint again on its worker (a worker restarted with
    another course at the same address): :func:`grade_on_worker`, called here directly, refuses
    a payload whose fingerprint is not its course's, and the submitter records the reason."""
    assignment = load_config(CONFIG).assignment(MODULE)
    fingerprint = config_fingerprint(assignment, CONFIG)
    entry = discover(make_class(tmp_path / "class"), MODULE, MODULE, list(assignment.functions))
    dave = next(e for e in entry if e.student_id == "dave")
    payload = task_payload(dave, CONFIG, assignment, "f" * 64, figures=False)
    answer = grade_on_worker(payload)
    assert json.loads(answer)["status"] == "refused"
    with pytest.raises(ValueError, match="grades with a different course"):
        accepted(answer, assignment, "0" * 64, fingerprint, False)
    # the same payload with the right fingerprint is graded, and its answer accepted
    right = grade_on_worker({**payload, "fingerprint": fingerprint})
    sha = read_submission(dave.path, MODULE, list(assignment.functions)).sha256
    output = accepted(right, assignment, sha, fingerprint, False)
    assert_expected("dave", to_gradescope(output.result))


@pytest.mark.slow
def test_a_reference_that_loses_points_on_the_cluster_stops_the_run(cluster, tmp_path):
    """A course whose reference has mse_grad's sign flipped (the submitter's and the workers'
    grading.yaml, at one path): the reference is graded on the workers first, loses points, and
    nothing is graded or written."""
    course = tmp_path / "course"
    course.mkdir()
    for tree in ("reference", "assignments"):
        shutil.copytree(CONFIG.parent / tree, course / tree)
    shutil.copy(CONFIG, course / "grading.yaml")
    reference = course / "reference" / MODULE / f"{MODULE}.py"
    shutil.copy(SAMPLES / CLASS["dave"], reference)
    folder = make_class(tmp_path / "class")
    arguments = batch_args(folder, tmp_path / "out", "--scheduler", cluster.address)
    arguments[arguments.index(str(CONFIG))] = str(course / "grading.yaml")
    status, printed = run_here(arguments)
    assert status == 2, printed
    assert "the reference solution gets" in printed and "no student was graded" in printed, printed
    assert not list((tmp_path / "out").glob("*/results.json"))
    assert not (tmp_path / "out" / "class.json").exists()


@pytest.mark.slow
def test_an_interrupted_run_keeps_its_students_and_resumes(cluster, tmp_path):
    """SIGINT (Ctrl-C) once the first student is written: exit status 130, every student
    written keeps their files; the same command then grades only the others."""
    folder = make_class(tmp_path / "class")
    out = tmp_path / "out"
    script = (
        "import sys; from autograder.cli import main; "
        f"sys.exit(main({batch_args(folder, out, '--scheduler', cluster.address)!r}))"
    )
    run = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + START_SECONDS
    while not list(out.glob("*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    run.send_signal(signal.SIGINT)
    printed, _ = run.communicate(timeout=START_SECONDS)
    assert run.returncode == 130, printed
    assert "Interrupted" in printed, printed
    kept = {p.parent.name for p in out.glob("*/results.json")}
    assert kept and kept < set(CLASS), kept
    for student in kept:
        assert_expected(student, results_of(out, student))
    status, printed = run_here(batch_args(folder, out, "--scheduler", cluster.address))
    assert status == 0, printed
    assert f"{len(kept)} unchanged" in printed, printed
    for student in CLASS:
        assert_expected(student, results_of(out, student))


@pytest.mark.slow
def test_a_worker_that_dies_leaves_not_graded_rows(tmp_path, tmp_path_factory):
    """The only worker is killed (its nanny and the worker process, SIGKILL) once the first student is
    written: everyone written keeps their grade, the others are not graded, with the reason,
    and none of them gets a 0."""
    lone = Cluster(tmp_path_factory.mktemp("lone"), workers=1)
    folder = make_class(tmp_path / "class")
    out = tmp_path / "out"
    script = (
        "import sys; from autograder.cli import main; "
        f"sys.exit(main({batch_args(folder, out, '--scheduler', lone.address)!r}))"
    )
    try:
        run = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + START_SECONDS
        while not list(out.glob("*/results.json")) and time.monotonic() < deadline:
            time.sleep(0.02)
        kill_tree(lone.processes[1])
        printed, _ = run.communicate(timeout=START_SECONDS)
    finally:
        lone.stop()
    assert run.returncode == 0, printed
    rows = json.loads((out / "class.json").read_text(encoding="utf-8"))["students"]
    graded = [r["student"] for r in rows if r["graded"]]
    lost = [r for r in rows if not r["graded"] and r["student"] != NOT_GRADED]
    assert graded and lost, printed
    for student in graded:
        assert_expected(student, results_of(out, student))
    for row in lost:
        assert row["score"] is None and "cluster" in row["failure"], row
        assert not (out / row["student"] / "results.json").exists()
