"""Grading a class: layouts, parallel grading, incremental re-runs, interruption, class files."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import SUBMISSIONS, samples_of

from autograder.batch.discover import DiscoveryError, discover, unpack_zip
from autograder.cli import main

MODULE = "regression_losses"
CORRECT = samples_of(MODULE) / "correct_vectorised.py"
FLIPPED = samples_of(MODULE) / "mse_grad__sign_flipped.py"
ASCENT = samples_of(MODULE) / "gd_step__ascent.py"
HOSTILE = SUBMISSIONS / "hostile"


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory) -> Path:
    """A small class in every plain layout, with correct, mistaken and hostile submissions."""
    folder = tmp_path_factory.mktemp("class")
    shutil.copy(CORRECT, folder / "alice.py")
    shutil.copy(FLIPPED, folder / "bob.py")
    shutil.copy(ASCENT, folder / "carol.py")
    (folder / "dave").mkdir()
    shutil.copy(samples_of(MODULE) / "correct_oop_style.py", folder / "dave" / f"{MODULE}.py")
    shutil.copy(HOSTILE / "hang_at_import.py", folder / "erin.py")
    shutil.copy(HOSTILE / "segfault.py", folder / "frank.py")
    shutil.copy(HOSTILE / "writes_outside.py", folder / "grace.py")
    shutil.copy(samples_of(MODULE) / "mae_grad__abs_not_sign.py", folder / "heidi.py")
    (folder / "ivan").mkdir()
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": CORRECT.read_text(), "outputs": []}
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (folder / "ivan" / "work.ipynb").write_text(json.dumps(notebook))
    (folder / "judy.ipynb").write_text("{ this is not a notebook")
    return folder


@pytest.fixture(scope="module")
def graded_class(class_folder, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert main(["grade-batch", str(class_folder), "--out", str(out), "--jobs", "2"]) == 0
    return out


def results_of(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text())


def test_every_student_gets_results_and_feedback(graded_class):
    students = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
    for student in students:
        results = results_of(graded_class, student)
        assert results["extra_data"]["submission"], student
        assert (graded_class / student / "report.json").exists()
        assert (graded_class / student / "feedback.html").exists()
    scores = {s: results_of(graded_class, s)["score"] for s in students}
    assert scores["alice"] == scores["dave"] == scores["ivan"] == scores["grace"] == 20
    assert scores["bob"] == 16  # mse_grad's 4 points
    assert scores["carol"] == 18  # gd_step's 2 points
    assert scores["erin"] == scores["judy"] == 0
    assert scores["frank"] == 16  # the segfault in mse_grad costs mse_grad's 4 points only


def test_batch_results_equal_single_grading(graded_class, tmp_path):
    assert main(["grade", str(FLIPPED), "--out", str(tmp_path)]) == 0
    single = json.loads((tmp_path / "results.json").read_text())
    batch = results_of(graded_class, "bob")
    assert [t["score"] for t in single["tests"]] == [t["score"] for t in batch["tests"]]
    assert single["extra_data"]["sha256"] == batch["extra_data"]["sha256"]


def test_class_files(graded_class):
    with open(graded_class / "grades.csv", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1][0] == "Points Possible"
    assert len(rows) == 2 + 10
    scores = [json.loads(line) for line in (graded_class / "scores.jsonl").read_text().splitlines()]
    assert len(scores) == 10 and all(s["gradingProgress"] == "FullyGraded" for s in scores)
    summary = (graded_class / "summary.md").read_text()
    assert "| gradient sign flipped | `mse_grad` | 1 | bob |" in summary
    assert "| gradient ascent: climbs the loss | `gd_step` | 1 | carol |" in summary
    for figure in ("scores.png", "misconceptions.png", "pass_rates.png"):
        assert (graded_class / figure).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "data:image/png;base64," in (graded_class / "summary.html").read_text()
    assert len(json.loads((graded_class / "class.json").read_text())["students"]) == 10


def test_a_rerun_regrades_only_what_changed(class_folder, graded_class, capsys):
    before = {p.parent.name: p.stat().st_mtime_ns for p in graded_class.glob("*/results.json")}
    assert main(["grade-batch", str(class_folder), "--out", str(graded_class), "--jobs", "2"]) == 0
    output = capsys.readouterr()
    assert "(10 unchanged since the last run, not regraded)" in output.out
    after = {p.parent.name: p.stat().st_mtime_ns for p in graded_class.glob("*/results.json")}
    assert before == after

    changed = class_folder / "carol.py"
    original = changed.read_text()
    try:
        shutil.copy(CORRECT, changed)
        assert (
            main(["grade-batch", str(class_folder), "--out", str(graded_class), "--jobs", "1"]) == 0
        )
        assert "(9 unchanged since the last run, not regraded)" in capsys.readouterr().out
        assert results_of(graded_class, "carol")["score"] == 20
    finally:
        changed.write_text(original)
    assert (
        main(
            ["grade-batch", str(class_folder), "--out", str(graded_class), "--jobs", "2", "--force"]
        )
        == 0
    )
    assert "not regraded" not in capsys.readouterr().out
    assert results_of(graded_class, "carol")["score"] == 18


def test_an_interrupted_run_keeps_finished_students_and_resumes(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for index in range(12):
        shutil.copy(CORRECT if index % 2 else FLIPPED, folder / f"s{index:02d}.py")
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "autograder.cli",
        "grade-batch",
        str(folder),
        "--out",
        str(out),
        "--jobs",
        "1",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while len(list(out.glob("*/results.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # as hard as an interruption gets
    process.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/results.json")}
    assert 3 <= len(finished) < 12
    for name in finished:
        json.loads((out / name / "results.json").read_text())  # whole, valid files
    assert not (out / "grades.csv").exists()  # no half-class gradebook

    assert main(["grade-batch", str(folder), "--out", str(out), "--jobs", "2"]) == 0
    assert len(list(out.glob("*/results.json"))) == 12
    for name, mtime in finished.items():
        assert (out / name / "results.json").stat().st_mtime_ns == mtime, f"{name} was graded again"


# -- layouts -----------------------------------------------------------------------------------


def test_nbgrader_submitted_tree(tmp_path):
    for student in ("ada", "bea"):
        folder = tmp_path / "submitted" / student / MODULE
        folder.mkdir(parents=True)
        shutil.copy(CORRECT, folder / f"{MODULE}.py")
    entries = discover(tmp_path, MODULE, MODULE)
    assert [(e.student_id, e.layout) for e in entries] == [("ada", "nbgrader"), ("bea", "nbgrader")]


def test_gradescope_export(tmp_path):
    export = tmp_path / "assignment_123_export"
    for number in (1001, 1002):
        (export / f"submission_{number}").mkdir(parents=True)
        shutil.copy(CORRECT, export / f"submission_{number}" / f"{MODULE}.py")
    (export / "submission_metadata.yml").write_text(
        "submission_1001:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '42'\n    :email: ada@example.org\n"
        "submission_1002:\n  :submitters:\n  - :name: Bea\n    :email: bea@example.org\n"
    )
    entries = discover(tmp_path, MODULE, MODULE)
    assert [(e.student_id, e.name) for e in entries] == [
        ("42", "Ada Lovelace"),
        ("bea@example.org", "Bea"),
    ]


def test_canvas_zip(tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(CORRECT, f"lovelaceada_4711_998_{MODULE}.py")
        bundle.write(FLIPPED, f"doejane_LATE_4712_999_{MODULE}-1.py")
    entries = discover(unpack_zip(archive, tmp_path / "unpacked"), MODULE, MODULE)
    assert [(e.student_id, e.name, e.layout) for e in entries] == [
        ("4711", "lovelaceada", "canvas"),
        ("4712", "doejane", "canvas"),
    ]


def test_a_zip_that_escapes_its_folder_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../../outside.py", "print('hi')")
    with pytest.raises(DiscoveryError, match="would land outside the folder"):
        unpack_zip(archive, tmp_path / "unpacked")
    assert not (tmp_path.parent / "outside.py").exists()


def test_a_folder_without_submissions_is_one_sentence(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("nothing here")
    assert main(["grade-batch", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert (
        error.startswith("autograder: ") and "found no submissions" in error and "\n" not in error
    )


# -- nobody is dropped, nobody is guessed: real layouts instructors download ----------------------


@pytest.fixture(scope="module")
def awkward_class(tmp_path_factory) -> tuple[Path, Path, str]:
    """A class as students really hand in: (folder, OUT, the CLI's stderr)."""
    from conftest import REFERENCE_PATH
    from test_submission import released_folder

    folder = tmp_path_factory.mktemp("awkward")
    # worked in the notebook, handed in the released folder (stub untouched)
    released_folder(folder / "nina", REFERENCE_PATH)
    (folder / "omar").mkdir()  # one .py of another name
    shutil.copy(CORRECT, folder / "omar" / "my_solution.py")
    (folder / "pia").mkdir()  # two different implementations: not guessed between
    shutil.copy(CORRECT, folder / "pia" / "attempt1.py")
    shutil.copy(FLIPPED, folder / "pia" / "attempt2.py")
    (folder / "quinn").mkdir()  # handed in nothing
    (folder / "rosa").mkdir()  # only a README
    (folder / "rosa" / "README.md").write_text("I could not finish, sorry.\n")
    for name in ("Zoé", "Zoë"):  # two students whose names differ only by an accent
        shutil.copy(CORRECT if name == "Zoé" else FLIPPED, folder / f"{name}.py")
    out = tmp_path_factory.mktemp("awkward_out")
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        assert main(["grade-batch", str(folder), "--out", str(out), "--jobs", "2"]) == 0
    return folder, out, stderr.getvalue()


def test_every_entry_of_a_real_class_is_in_every_class_file(awkward_class):
    folder, out, _ = awkward_class
    students = json.loads((out / "class.json").read_text())["students"]
    assert len(students) == len(list(folder.iterdir())) == 7
    by_folder = {s["student"]: s for s in students}
    with open(out / "grades.csv", newline="", encoding="utf-8") as stream:
        canvas = list(csv.DictReader(stream))[1:]  # below "Points Possible"
    with open(out / "moodle.csv", newline="", encoding="utf-8") as stream:
        moodle = list(csv.DictReader(stream))
    lti = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert len(canvas) == len(moodle) == len(lti) == 7
    for student in by_folder:
        assert student in summary


def test_the_notebook_beside_the_released_stub_gets_full_marks(awkward_class):
    _, out, _ = awkward_class
    (nina,) = [
        s
        for s in json.loads((out / "class.json").read_text())["students"]
        if "nina" in s["student"]
    ]
    assert nina["graded"] and nina["score"] == 20
    results = results_of(out, nina["student"])
    assert results["extra_data"]["submission"] == f"{MODULE}.ipynb"
    assert results["extra_data"]["load_problems"] == []


def test_a_lone_file_of_another_name_is_graded_as_grade_would(awkward_class):
    _, out, _ = awkward_class
    assert results_of(out, "omar")["score"] == 20


@pytest.mark.parametrize(
    ("student", "words"),
    [
        ("pia", ["attempt1.py", "attempt2.py"]),
        ("quinn", ["quinn"]),
        ("rosa", ["rosa"]),
    ],
)
def test_unusable_folders_are_not_graded_with_their_reason(awkward_class, student, words):
    _, out, _ = awkward_class
    (entry,) = [
        s
        for s in json.loads((out / "class.json").read_text())["students"]
        if s["student"] == student
    ]
    assert entry["graded"] is False and entry["score"] is None
    for word in words:
        assert word in entry["failure"]
    assert not (out / student / "results.json").exists()
    with open(out / "grades.csv", newline="", encoding="utf-8") as stream:
        (row,) = [r for r in csv.reader(stream) if r and r[0] == student]
    assert row[-1] == ""  # a row without a score, never a 0


def test_names_that_differ_only_by_an_accent_are_two_students(awkward_class):
    _, out, _ = awkward_class
    zoes = [
        s
        for s in json.loads((out / "class.json").read_text())["students"]
        if s["student"].startswith("Zo")
    ]
    assert len(zoes) == 2 and len({z["student"] for z in zoes}) == 2
    assert sorted(z["score"] for z in zoes)[-1] == 20
    assert sorted(z["score"] for z in zoes)[0] < 20


# -- the integrity report, from grade-batch ---------------------------------------------------------

INTEGRITY = SUBMISSIONS / "integrity"


def test_grade_batch_writes_the_integrity_report_and_links_it(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("copy_original", "copy_renamed", "honest_vectorised"):
        shutil.copy(INTEGRITY / f"{name}.py", folder / f"{name}.py")
    out = tmp_path / "out"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert (
            main(["grade-batch", str(folder), "--out", str(out), "--jobs", "2", "--no-figures"])
            == 0
        )
    with open(out / "similarity.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    flagged = {(r["student_a"], r["student_b"]) for r in rows if r["flagged"] == "yes"}
    assert flagged == {("copy_original", "copy_renamed")}
    assert "similarity.html" in (out / "summary.html").read_text(encoding="utf-8")
    assert "similarity.html" in (out / "summary.md").read_text(encoding="utf-8")
    # --no-similarity: no report, and no stale one left beside the new grades
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["grade-batch", str(folder), "--out", str(out), "--no-similarity"]) == 0
    assert not (out / "similarity.csv").exists() and not (out / "similarity.html").exists()
    assert "similarity.html" not in (out / "summary.html").read_text(encoding="utf-8")
