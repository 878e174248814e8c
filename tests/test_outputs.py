"""The outputs layer (autograder/outputs/): what the registries announce is what is written,
results.json comes last, and a class's files come from one record.

A real submission is graded for the per-student files; the class files are written from
hand-built records (tests/test_export_common.py's small class), then by a real grade-batch of
a zip, whose similarity report must still show code read from the unpacked zip.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

from conftest import SUBMISSIONS, samples_of
from test_export_common import graded, not_graded, small_assignment

from autograder.batch.command import class_record, write_class_files
from autograder.batch.discover import Entry
from autograder.batch.runner import BatchOutcome
from autograder.cli import main
from autograder.grading.runner import grade_submission, load_reference, write_outputs
from autograder.grading.submission import read_submission
from autograder.outputs.classfiles import CLASS_OUTPUTS, class_json
from autograder.outputs.student import STUDENT_OUTPUTS

CORRECT = samples_of("regression_losses") / "correct_vectorised.py"
INTEGRITY = SUBMISSIONS / "integrity"


def announced(outputs) -> list[str]:
    return [name for each in outputs for name in each.files]


def test_results_json_is_written_last():
    assert STUDENT_OUTPUTS[-1].files == ("results.json",)
    assert announced(STUDENT_OUTPUTS).count("results.json") == 1


def test_a_graded_folder_holds_what_the_registry_announces_and_its_pictures(assignment, tmp_path):
    student = tmp_path / "alice"
    student.mkdir()
    (student / f"{assignment.module}.py").write_bytes(CORRECT.read_bytes())
    (student / "ANSWER.md").write_text("In the gradient: 2(ŷ − y).\n", encoding="utf-8")
    reference = load_reference(assignment)
    out = tmp_path / "out"
    output = grade_submission(
        assignment, read_submission(student, assignment.module), reference=reference
    )
    write_outputs(output, out)
    files = sorted(p.name for p in out.iterdir())
    pictures = [name for name in files if name.endswith(".png")]
    assert pictures, "the feedback pictures of a correct submission are drawn"
    assert files == sorted(announced(STUDENT_OUTPUTS) + pictures)
    assert (out / "answer.md").read_text(encoding="utf-8") == "In the gradient: 2(ŷ − y).\n"

    # graded again without an answer: the earlier answer.md goes, everything else is rewritten
    (student / "ANSWER.md").unlink()
    output = grade_submission(
        assignment, read_submission(student, assignment.module), reference=reference
    )
    write_outputs(output, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [name for name in announced(STUDENT_OUTPUTS) if name != "answer.md"] + pictures
    )


def a_class() -> tuple[list[Entry], BatchOutcome]:
    students = (graded("ada"), not_graded("bob"), graded("cy", score=4.5))
    outcome = BatchOutcome(students=students, graded=2, reused=0, wall_seconds=1.0)
    return [Entry(s.student_id, Path(f"/nowhere/{s.student_id}.py")) for s in students], outcome


def test_the_class_files_are_the_registrys_and_a_stale_similarity_report_goes(tmp_path):
    (tmp_path / "similarity.csv").write_text("from an earlier run")
    (tmp_path / "similarity.html").write_text("from an earlier run")
    entries, outcome = a_class()
    written = write_class_files(entries, outcome, small_assignment(), tmp_path, None, 7)
    without_similarity = [e for e in CLASS_OUTPUTS if e.name != "similarity"]
    assert written == announced(without_similarity)
    files = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".png"))
    assert files == sorted(written)


def test_class_json_is_made_from_the_record_alone():
    entries, outcome = a_class()
    data = class_json(class_record(entries, outcome, small_assignment(), None))
    assert data["assignment"] == "regression_losses" and data["max_score"] == 6.0
    assert [(s["student"], s["graded"], s["score"]) for s in data["students"]] == [
        ("ada", True, 6.0),
        ("bob", False, None),
        ("cy", True, 4.5),
    ]
    assert data["students"][1]["failure"] and data["students"][1]["results"] is None


def test_a_zipped_class_gets_every_file_and_a_report_that_shows_its_code(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name in ("copy_original", "copy_renamed", "honest_vectorised"):
            bundle.write(INTEGRITY / f"{name}.py", f"{name}.py")
    out = tmp_path / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        argv = ["grade-batch", str(archive), "--out", str(out), "--jobs", "2", "--no-figures"]
        assert main([*argv, "--assignment", "regression_losses"]) == 0
    line = next(x for x in printed.getvalue().splitlines() if x.startswith("Class files: "))
    assert line == f"Class files: {out}/" + ", ".join(announced(CLASS_OUTPUTS))
    for name in announced(CLASS_OUTPUTS):
        assert (out / name).is_file(), name
    page = (out / "similarity.html").read_text(encoding="utf-8")
    # the side-by-side code is read again from the unpacked zip while the report is written
    assert "guess - truth" in page


def test_a_rerun_that_reuses_a_result_still_takes_the_new_answer(tmp_path):
    """grade-batch reuses a result when the code is unchanged; the ANSWER.md beside it may have
    changed all the same, and answer.md follows it (or goes with it)."""
    alice = tmp_path / "class" / "alice"
    alice.mkdir(parents=True)
    (alice / "regression_losses.py").write_bytes(CORRECT.read_bytes())
    (alice / "ANSWER.md").write_text("First thoughts.\n", encoding="utf-8")
    out = tmp_path / "out"
    command = ["grade-batch", str(alice.parent), "--out", str(out), "--jobs", "1"]
    command += ["--no-figures", "--no-similarity"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(command) == 0
    assert (out / "alice" / "answer.md").read_text(encoding="utf-8") == "First thoughts.\n"
    stamp = (out / "alice" / "results.json").stat().st_mtime_ns

    (alice / "ANSWER.md").write_text("Second, better thoughts.\n", encoding="utf-8")
    said = io.StringIO()
    with contextlib.redirect_stdout(said), contextlib.redirect_stderr(io.StringIO()):
        assert main(command) == 0
    assert "1 unchanged since the last run, not regraded" in said.getvalue()
    assert (out / "alice" / "results.json").stat().st_mtime_ns == stamp
    assert (out / "alice" / "answer.md").read_text(encoding="utf-8") == "Second, better thoughts.\n"

    (alice / "ANSWER.md").unlink()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(command) == 0
    assert not (out / "alice" / "answer.md").exists()
