"""The class files of a Canvas "Download Submissions" zip and a Gradescope export with a group,
graded for real through ``autograder grade-batch``.

The Canvas zip is built here as canvas-lms lib/content_zipper.rb names its files:
``<name>[_LATE]_<user id>_<file id>_<original name>``, the name being the sortable name's word
characters lower-cased ("Lovelace, Ada" -> lovelaceada), a file uploaded again under a used name
renamed ``<stem>-1<suffix>``, and a higher file id for a later upload. grades.csv is read as
Canvas's importer reads it (shared FORMATS.md: Student, ID, SIS User ID, SIS Login ID, Section,
``<title> (<assignment id>)``; rows matched by ID first).

Expected scores: correct_vectorised.py gets all 20 points of grading.yaml; the sign-flipped
mse_grad (mse_grad__sign_flipped.py) loses exactly mse_grad's checks, 2 + 1 + 1 = 4 points (the
functions calling mse_grad are checked with the reference's), so 16.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import samples_of

from autograder.cli import main

MODULE = "regression_losses"
CORRECT = samples_of(MODULE) / "correct_vectorised.py"
FLIPPED = samples_of(MODULE) / "mse_grad__sign_flipped.py"
TITLE = "Regression losses and the sign of the gradient"
IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def grade_batch(*args: str) -> tuple[int, str, str]:
    """Run ``autograder grade-batch`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["grade-batch", *args])
    return code, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def class_json(out: Path) -> dict[str, dict]:
    data = json.loads((out / "class.json").read_text(encoding="utf-8"))
    return {s["student"]: s for s in data["students"]}


def result_folders(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob("*/results.json")}


# -- Canvas ----------------------------------------------------------------------------------------


def member(name: str, when: tuple[int, int, int]) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, date_time=(*when, 12, 0, 0))


@pytest.fixture(scope="module")
def canvas_zip(tmp_path_factory) -> Path:
    """Two students: lovelaceada uploaded regression_losses.py (the flipped one, file 998) and
    again (Canvas named it regression_losses-1.py, file 1003, correct), the zip's times saying
    the opposite; doejane handed in late, the flipped one and a PDF."""
    archive = tmp_path_factory.mktemp("canvas") / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(
            member(f"lovelaceada_4711_998_{MODULE}.py", (2024, 3, 2)), FLIPPED.read_bytes()
        )
        bundle.writestr(
            member(f"lovelaceada_4711_1003_{MODULE}-1.py", (2024, 3, 1)), CORRECT.read_bytes()
        )
        bundle.writestr(
            member(f"doejane_LATE_4712_1001_{MODULE}.py", (2024, 3, 1)), FLIPPED.read_bytes()
        )
        bundle.writestr(member("doejane_LATE_4712_1002_notes.pdf", (2024, 3, 1)), b"%PDF-1.4\n")
    return archive


@pytest.fixture(scope="module")
def canvas_out(canvas_zip, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("canvas_out")
    code, stdout, _ = grade_batch(
        str(canvas_zip), "--out", str(out), "--jobs", "2", "--canvas-assignment-id", "77"
    )
    assert code == 0
    return out, stdout


def test_canvas_rows_carry_the_user_id_in_id_and_the_file_s_name_in_student(canvas_out):
    out, _ = canvas_out
    header, points, *rows = read_csv(out / "grades.csv")
    assert header == [*IDENTITY, f"{TITLE} (77)"]
    assert points == ["Points Possible", "", "", "", "", "20"]
    # ordered by name; SIS columns blank without a roster (a Canvas user id is no SIS id);
    # lovelaceada's resubmission (file 1003, correct) is graded, not the older file 998
    assert rows == [
        ["doejane", "4712", "", "", "", "16"],
        ["lovelaceada", "4711", "", "", "", "20"],
    ]
    assert result_folders(out) == {"4711", "4712"}
    scores = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    assert {s["userId"]: s["scoreGiven"] for s in scores} == {"4711": 20, "4712": 16}


def test_canvas_class_json_keeps_late_canvas_id_and_name(canvas_out):
    out, _ = canvas_out
    students = class_json(out)
    assert {k: (s["name"], s["canvas_id"], s["late"], s["score"]) for k, s in students.items()} == {
        "4711": ("lovelaceada", "4711", False, 20),
        "4712": ("doejane", "4712", True, 16),
    }
    assert students["4711"]["results"] == "4711/results.json"
    extra = json.loads((out / "4711" / "results.json").read_text())["extra_data"]
    assert extra["submission"] == f"lovelaceada_4711_1003_{MODULE}-1.py"


def test_the_summary_marks_the_late_student(canvas_out):
    out, stdout = canvas_out
    markdown = (out / "summary.md").read_text(encoding="utf-8")
    assert "| 4712 | doejane | 16 | LATE |  |" in markdown
    assert "| 4711 | lovelaceada | 20 |  |  |" in markdown
    assert "- handed in late: 1" in markdown
    assert "<td>LATE</td>" in (out / "summary.html").read_text(encoding="utf-8")
    assert "  LATE (1): 4712 (doejane)" in stdout.splitlines()


def test_a_roster_gives_the_name_and_sis_ids_without_grading_again(canvas_zip, canvas_out):
    out, _ = canvas_out
    roster = out.parent / "roster.csv"
    roster.write_text(
        'submission,name,sis_user_id,sis_login_id,section\n4712,"Doe, Jane",S002,jdoe,Sec 1\n',
        encoding="utf-8",
    )
    code, stdout, _ = grade_batch(
        str(canvas_zip), "--out", str(out), "--roster", str(roster), "--canvas-assignment-id", "77"
    )
    assert code == 0 and "(2 unchanged since the last run, not regraded)" in stdout
    rows = read_csv(out / "grades.csv")[2:]
    assert rows == [
        ["Doe, Jane", "4712", "S002", "jdoe", "Sec 1", "16"],
        ["lovelaceada", "4711", "", "", "", "20"],  # not in the roster: as the file says
    ]
    assert class_json(out)["4712"]["name"] == "Doe, Jane"


def test_a_roster_that_gives_another_canvas_id_stops_the_run(canvas_zip, canvas_out):
    out, _ = canvas_out
    before = (out / "class.json").read_bytes()
    roster = out.parent / "wrong.csv"
    roster.write_text("submission,canvas_id\n4712,999\n", encoding="utf-8")
    code, stdout, stderr = grade_batch(str(canvas_zip), "--out", str(out), "--roster", str(roster))
    assert code == 2 and "Grading" not in stdout
    message = stderr.strip()
    assert str(roster) in message and "999" in message and "\n" not in message
    assert (out / "class.json").read_bytes() == before


# -- Gradescope ------------------------------------------------------------------------------------

GROUP = ["06001", "06002", "cid@example.org"]  # Cid has no sid: the email is the id


@pytest.fixture(scope="module")
def gradescope_out(tmp_path_factory) -> tuple[Path, str]:
    """A group of three handed in the correct file (submission_1001); Dan alone the flipped one."""
    export = tmp_path_factory.mktemp("gradescope") / "assignment_123_export"
    for number, source in ((1001, CORRECT), (1002, FLIPPED)):
        (export / f"submission_{number}").mkdir(parents=True)
        shutil.copy(source, export / f"submission_{number}" / f"{MODULE}.py")
    (export / "submission_metadata.yml").write_text(
        "---\n"
        "submission_1001:\n"
        "  :submitters:\n"
        "  - :name: Ada Lovelace\n    :sid: '06001'\n    :email: ada@example.org\n"
        "  - :name: Bea Bell\n    :sid: '06002'\n    :email: bea@example.org\n"
        "  - :name: Cid Cole\n    :email: cid@example.org\n"
        "  :created_at: 2024-03-01 10:00:00.000000000 Z\n"
        "  :score: 0.0\n  :status: processed\n  :history: []\n"
        "submission_1002:\n"
        "  :submitters:\n"
        "  - :name: Dan Doe\n    :sid: '06004'\n    :email: dan@example.org\n"
        "  :created_at: 2024-03-01 11:00:00.000000000 Z\n"
        "  :score: 0.0\n  :status: processed\n  :history: []\n",
        encoding="utf-8",
    )
    out = tmp_path_factory.mktemp("gradescope_out")
    code, stdout, _ = grade_batch(str(export.parent), "--out", str(out), "--jobs", "2")
    assert code == 0
    return out, stdout


def test_a_group_submission_is_graded_once(gradescope_out):
    out, stdout = gradescope_out
    assert "Grading 2 submissions of 4 students (gradescope layout)" in stdout
    assert result_folders(out) == {"06001", "06004"}  # the group's folder is its first member's


def test_every_member_has_the_group_s_score_in_class_json(gradescope_out):
    out, _ = gradescope_out
    students = class_json(out)
    assert list(students) == [*GROUP, "06004"]
    for student, name in zip(GROUP, ("Ada Lovelace", "Bea Bell", "Cid Cole"), strict=True):
        row = students[student]
        assert (row["name"], row["graded"], row["score"]) == (name, True, 20)
        assert (row["results"], row["group"]) == ("06001/results.json", GROUP)
    assert (students["06004"]["score"], students["06004"]["group"]) == (16, None)


def test_every_member_has_the_group_s_score_in_every_export(gradescope_out):
    out, _ = gradescope_out
    canvas = {row[2]: (row[0], row[5]) for row in read_csv(out / "grades.csv")[2:]}
    assert canvas == {
        "06001": ("Ada Lovelace", "20"),
        "06002": ("Bea Bell", "20"),
        "cid@example.org": ("Cid Cole", "20"),
        "06004": ("Dan Doe", "16"),
    }
    with open(out / "moodle.csv", newline="", encoding="utf-8") as stream:
        moodle = {r["student_id"]: (r["email"], r["score"]) for r in csv.DictReader(stream)}
    assert moodle == {
        "06001": ("ada@example.org", "20"),
        "06002": ("bea@example.org", "20"),
        "cid@example.org": ("cid@example.org", "20"),
        "06004": ("dan@example.org", "16"),
    }
    scores = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    assert {s["userId"]: s["scoreGiven"] for s in scores} == {
        "06001": 20,
        "06002": 20,
        "cid@example.org": 20,
        "06004": 16,
    }
    markdown = (out / "summary.md").read_text(encoding="utf-8")
    students = markdown.split("## Students", 1)[1]
    group = r"06001, 06002, cid@example\.org"  # Markdown-escaped
    assert f"| 06001 | Ada Lovelace | 20 |  | {group} |" in students
    assert f"| 06002 | Bea Bell | 20 |  | {group} |" in students
    assert rf"| cid@example\.org | Cid Cole | 20 |  | {group} |" in students
    assert "| 06004 | Dan Doe | 16 |  |  |" in students
    assert "students: 4, graded: 4, not graded: 0" in markdown
