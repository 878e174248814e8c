"""The class files (autograder/batch/command.py write_class_files, the registry of
autograder/outputs/classfiles.py) and the class summary (autograder/batch/summary.py), from
hand-built records.

Every entry given is in every class file: a student who is not graded (no result, a
failure, or ``graded=False``) has a row without a score in the gradebook exports, a Failed
Score without a score in scores.jsonl, and their reason in class.json and the summary.
Text from submissions (ids, reasons) cannot break the files or the terminal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from test_export_common import graded, not_graded, small_assignment

from autograder.batch.command import class_record, write_class_files
from autograder.batch.discover import Entry, Member
from autograder.batch.rows import NO_RESULT, class_rows, class_students, class_summary
from autograder.batch.runner import BatchOutcome
from autograder.batch.summary import class_statistics, summary_html, summary_markdown, summary_text
from autograder.export.roster import load_roster
from autograder.grading.results import StudentResult

HOSTILE_REASON = "grading failed: \x1b[2J\x1b]0;pwned\x07 | <script>x</script>\nNOT GRADED fake"


def entries(*ids: str) -> list[Entry]:
    return [Entry(student_id=i, path=Path(f"/nowhere/{i}.py"), name=f"name of {i}") for i in ids]


def a_class() -> tuple[list[Entry], BatchOutcome]:
    """Entries zed, carol, bob, dan, ada; the outcome (out of order) lacks zed, carol's grading
    failed, dan's result says graded=False."""
    dan = graded("dan")
    students = (
        graded("ada"),
        not_graded("carol"),
        graded("bob", score=4.5),
        StudentResult("dan", replace(dan.result, graded=False, failure="the check run crashed")),
    )
    outcome = BatchOutcome(students=students, graded=2, reused=0, wall_seconds=1.0)
    return entries("zed", "carol", "bob", "dan", "ada"), outcome


@pytest.fixture(scope="module")
def class_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("class")
    entry_list, outcome = a_class()
    write_class_files(entry_list, outcome, small_assignment(), out, None, 4242)
    return out


def test_class_students_lists_every_entry_in_order():
    entry_list, outcome = a_class()
    students = class_students(entry_list, outcome)
    assert [s.student_id for s in students] == ["zed", "carol", "bob", "dan", "ada"]
    assert students[0].result is None and students[0].failure == NO_RESULT


def test_class_json_lists_every_entry_in_order_with_its_reason(class_files):
    data = json.loads((class_files / "class.json").read_text(encoding="utf-8"))
    rows = [(s["student"], s["graded"], s["score"], s["failure"]) for s in data["students"]]
    assert rows == [
        ("zed", False, None, NO_RESULT),
        ("carol", False, None, "grading failed: BrokenProcessPool"),
        ("bob", True, 4.5, None),
        ("dan", False, None, "the check run crashed"),
        ("ada", True, 6.0, None),
    ]
    assert data["students"][2]["results"] == "bob/results.json"
    assert data["students"][0]["results"] is None


def test_the_exports_have_a_blank_score_for_each_student_not_graded(class_files):
    with open(class_files / "grades.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))[2:]
    # SIS User ID is the submission name (no roster); Student is the name the entry carries
    canvas = {row[2]: row[5] for row in rows}
    assert canvas == {"ada": "6", "bob": "4.5", "carol": "", "dan": "", "zed": ""}
    assert {row[2]: row[0] for row in rows} == {s: f"name of {s}" for s in canvas}
    with open(class_files / "moodle.csv", newline="", encoding="utf-8") as stream:
        moodle = {row["student_id"]: row["score"] for row in csv.DictReader(stream)}
    assert moodle == canvas
    lines = (class_files / "scores.jsonl").read_text(encoding="utf-8").splitlines()
    scores = {s["userId"]: s for s in map(json.loads, lines)}
    assert set(scores) == set(canvas)
    for user in ("carol", "dan", "zed"):
        assert scores[user]["gradingProgress"] == "Failed" and "scoreGiven" not in scores[user]
    assert scores["bob"]["scoreGiven"] == 4.5


def test_the_summary_lists_every_student_not_graded_with_the_reason_in_order(class_files):
    markdown = (class_files / "summary.md").read_text(encoding="utf-8")
    section = markdown.split("## Not graded", 1)[1].split("\n## ", 1)[0]
    who = re.findall(r"^\| (\w+) \| (.*) \|$", section, re.MULTILINE)
    assert [w for w, _ in who if w not in ("student",)] == ["zed", "carol", "dan"]
    assert "students: 5, graded: 2, not graded: 3" in markdown
    assert "mean score 5.25" in markdown  # (6 + 4.5) / 2: the not graded are left out
    assert "zed" in (class_files / "summary.html").read_text(encoding="utf-8")


def test_every_class_file_is_written_whole_with_no_temporary_left(class_files):
    names = set(os.listdir(class_files))
    assert {"class.json", "grades.csv", "moodle.csv", "scores.jsonl", "summary.md"} <= names
    assert not [n for n in names if n.startswith(".")]


def test_an_id_or_name_that_a_spreadsheet_would_run_is_neutralised(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        'submission,name\nada,"=HYPERLINK(""http://evil.example"",""Click"")"\n', encoding="utf-8"
    )
    # without a name of their own, the ids stand in for the names in the Student column
    entry_list = [Entry(i, Path(f"/nowhere/{i}.py")) for i in ("ada", "@SUM(A1)", "-2+3")]
    outcome = BatchOutcome(
        students=(graded("ada"), graded("@SUM(A1)"), graded("-2+3", score=4.5)),
        graded=3,
        reused=0,
        wall_seconds=1.0,
    )
    write_class_files(entry_list, outcome, small_assignment(), tmp_path, load_roster(roster), 7)
    text = (tmp_path / "grades.csv").read_text(encoding="utf-8")
    assert '"\'=HYPERLINK(""http://evil.example"",""Click"")"' in text
    assert '\n"\'-2+3",' in text and ',"\'@SUM(A1)",' in text
    rows = list(csv.reader(io.StringIO(text, newline="")))[2:]
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
    assert sorted(row[5] for row in rows) == ["4.5", "6", "6"]  # scores stay numbers


# -- the terminal, the Markdown and the HTML ------------------------------------------------------


def stats_with_hostile_reason():
    students = [graded("ada"), StudentResult("eve", None, HOSTILE_REASON)]
    return class_statistics(students, "regression_losses", 6.0)


def test_the_terminal_summary_writes_control_characters_out():
    text = summary_text(stats_with_hostile_reason())
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[2J" in text
    not_graded_lines = [line for line in text.splitlines() if "NOT GRADED" in line]
    assert len(not_graded_lines) == 1  # the reason's line break cannot fake a second student


def test_the_markdown_summary_keeps_a_hostile_reason_in_its_cell():
    markdown = summary_markdown(stats_with_hostile_reason(), [])
    section = markdown.split("## Not graded", 1)[1].split("\n## ", 1)[0]
    (row,) = [line for line in section.splitlines() if line.startswith("| eve |")]
    assert len(re.findall(r"(?<!\\)\|", row)) == 3  # two cells: the reason's | is escaped
    assert "<script" not in markdown and "\x1b" not in markdown


def test_the_html_summary_escapes_a_hostile_reason():
    page = summary_html(stats_with_hostile_reason(), {})
    assert "<script" not in page and "&lt;script&gt;" in page and "\x1b" not in page


# -- a group's submission gives each member a row; a late student is marked -----------------------


def group_and_late_class() -> tuple[list[Entry], BatchOutcome]:
    """A Gradescope-style group of three (one submission, one result, under the first member's
    id) and a Canvas-style late student."""
    group = Entry(
        "06001",
        Path("/nowhere/submission_1001"),
        "Ada",
        "gradescope",
        members=(
            Member("06001", "Ada", "ada@example.org"),
            Member("06002", "Bea", "bea@example.org"),
            Member("cid@example.org", "Cid", "cid@example.org"),
        ),
    )
    jane = Entry(
        "4712",
        Path("/nowhere/doejane_LATE_4712_999_regression_losses.py"),
        "doejane",
        "canvas",
        late=True,
        members=(Member("4712", "doejane", canvas_id="4712"),),
    )
    outcome = BatchOutcome(
        students=(graded("06001", score=4.5), graded("4712")), graded=2, reused=0, wall_seconds=1.0
    )
    return [group, jane], outcome


@pytest.fixture(scope="module")
def group_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("group")
    entry_list, outcome = group_and_late_class()
    record = class_record(entry_list, outcome, small_assignment(), None, 7)
    assert [s.student_id for s in record.students] == ["06001", "06002", "cid@example.org", "4712"]
    write_class_files(entry_list, outcome, small_assignment(), out, None, 7)
    return out


def test_class_json_has_a_row_per_member_pointing_at_the_one_result(group_files):
    rows = json.loads((group_files / "class.json").read_text(encoding="utf-8"))["students"]
    by_id = {r["student"]: r for r in rows}
    group = ["06001", "06002", "cid@example.org"]
    for member, name in zip(group, ("Ada", "Bea", "Cid"), strict=True):
        row = by_id[member]
        assert (row["name"], row["graded"], row["score"]) == (name, True, 4.5)
        assert (row["results"], row["group"], row["late"]) == ("06001/results.json", group, False)
        assert row["canvas_id"] is None
    assert by_id["cid@example.org"]["email"] == "cid@example.org"
    jane = by_id["4712"]
    assert (jane["name"], jane["canvas_id"], jane["late"], jane["group"]) == (
        "doejane",
        "4712",
        True,
        None,
    )


def test_every_export_has_a_row_per_member_with_the_group_s_score(group_files):
    with open(group_files / "grades.csv", newline="", encoding="utf-8") as stream:
        canvas = list(csv.reader(stream))[2:]
    # Student, ID, SIS User ID, SIS Login ID, Section, score: the Gradescope ids stand in for
    # the SIS ids; the Canvas student has her user id in ID and no SIS ids
    assert sorted(canvas) == [
        ["Ada", "", "06001", "06001", "", "4.5"],
        ["Bea", "", "06002", "06002", "", "4.5"],
        ["Cid", "", "cid@example.org", "cid@example.org", "", "4.5"],
        ["doejane", "4712", "", "", "", "6"],
    ]
    with open(group_files / "moodle.csv", newline="", encoding="utf-8") as stream:
        moodle = {r["student_id"]: (r["email"], r["score"]) for r in csv.DictReader(stream)}
    assert moodle == {
        "06001": ("ada@example.org", "4.5"),
        "06002": ("bea@example.org", "4.5"),
        "cid@example.org": ("cid@example.org", "4.5"),
        "4712": ("", "6"),
    }
    lines = (group_files / "scores.jsonl").read_text(encoding="utf-8").splitlines()
    scores = {s["userId"]: s.get("scoreGiven") for s in map(json.loads, lines)}
    assert scores == {"06001": 4.5, "06002": 4.5, "cid@example.org": 4.5, "4712": 6.0}


def test_the_summary_lists_every_member_marks_the_late_and_times_a_group_once(group_files):
    markdown = (group_files / "summary.md").read_text(encoding="utf-8")
    assert "students: 4, graded: 4, not graded: 0" in markdown
    students = markdown.split("## Students", 1)[1]
    assert r"| 06002 | Bea | 4.5 |  | 06001, 06002, cid@example\.org |" in students  # . escaped
    assert "| 4712 | doejane | 6 | LATE |  |" in students
    assert "- handed in late: 1" in markdown
    slowest = markdown.split("## Slowest submissions", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\| (.+?) \| [\d.]+ \|$", slowest, re.MULTILINE) == [
        r"06001 \+ 06002 \+ cid@example\.org",
        "4712",
    ]
    page = (group_files / "summary.html").read_text(encoding="utf-8")
    assert "Handed in late: 4712 (doejane)." in page and "<td>LATE</td>" in page


def test_the_terminal_summary_names_the_late_students():
    entry_list, outcome = group_and_late_class()
    rows = class_rows(entry_list, outcome)
    assert [r.student.student_id for r in rows] == ["06001", "06002", "cid@example.org", "4712"]
    text = summary_text(class_summary(rows, small_assignment()))
    assert "  LATE (1): 4712 (doejane)" in text.splitlines()


# -- the summary is the instructor's page: each student's pages, what the figures show ----------


def test_each_student_s_feedback_page_and_answer_are_linked_where_they_exist(tmp_path):
    entry_list, outcome = a_class()
    for folder in ("ada", "bob"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "feedback.html").write_text("<p>page</p>")
    (tmp_path / "bob" / "answer.md").write_text("In the gradient.")
    (tmp_path / "carol").mkdir()  # not graded now: an earlier run's pages are not linked
    (tmp_path / "carol" / "feedback.html").write_text("<p>an earlier grading</p>")
    (tmp_path / "carol" / "answer.md").write_text("an earlier answer")
    write_class_files(entry_list, outcome, small_assignment(), tmp_path, None, 4242)
    page = (tmp_path / "summary.html").read_text(encoding="utf-8")
    rows = {
        r.split("</td>")[0].removeprefix("<tr><td>"): r
        for r in page.splitlines()
        if r.startswith("<tr><td>")
    }
    assert "<a href='ada/feedback.html'>feedback</a>" in rows["ada"]
    assert "answer" not in rows["ada"].split("</td>")[-2]
    assert (
        "<a href='bob/feedback.html'>feedback</a>, <a href='bob/answer.md'>answer</a>"
        in rows["bob"]
    )
    assert "href" not in rows["carol"] and "href" not in rows["zed"]
    assert "Answers to the question, for a person to grade: 1 of 5 students" in page
    markdown = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "[feedback](bob/feedback.html), [answer](bob/answer.md) |" in markdown
    assert "answers to the question, for a person to grade: 1 of 5 students" in markdown


def test_a_folder_name_is_a_link_that_stays_in_its_folder(tmp_path):
    students = [graded("jane doe (2)")]
    stats = class_statistics(students, "regression_losses", 6.0)
    (tmp_path / "jane doe (2)").mkdir()
    (tmp_path / "jane doe (2)" / "feedback.html").write_text("x")
    from autograder.batch.summary import student_links

    assert student_links(stats, tmp_path) == {
        "jane doe (2)": [("feedback", "jane%20doe%20%282%29/feedback.html")]
    }


def test_the_figures_alt_texts_say_what_they_show(tmp_path):
    entry_list, outcome = a_class()
    write_class_files(entry_list, outcome, small_assignment(), tmp_path, None, 4242)
    page = (tmp_path / "summary.html").read_text(encoding="utf-8")
    alts = re.findall(r"<img alt='([^']*)'", page)
    assert alts and not [a for a in alts if a.endswith(".png")]
    assert any(a.startswith("Histogram of the scores of the 2 graded students") for a in alts)
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in page


def test_one_misconception_found_in_two_functions_is_one_family_row(tmp_path):
    from test_export_common import check

    flipped = "gradient sign flipped"
    students = [
        graded("ada", {"mse_grad_values": check("mse_grad_values", 0.0, "sign_flipped", flipped)}),
        graded("bob", {"fit_mse_converges": check("fit_mse_converges", 0.0, "ascent", flipped)}),
        graded("cy", {"mse_values": check("mse_values", 0.0, "rmse", "RMSE instead of MSE")}),
    ]
    stats = class_statistics(students, "regression_losses", 6.0)
    assert stats.misconceptions == (
        (flipped, "fit, mse_grad", ("ada", "bob")),
        ("RMSE instead of MSE", "mse", ("cy",)),
    )
    markdown = summary_markdown(stats, [])
    assert "| gradient sign flipped | `fit`, `mse_grad` | 2 | ada, bob |" in markdown


def test_the_misconception_chart_is_out_of_the_class_and_says_what_it_leaves_out():
    from autograder.batch.summary import MISCONCEPTIONS_DRAWN, misconception_figure

    many = MISCONCEPTIONS_DRAWN + 3
    students = [
        graded(f"s{i:02d}", {"mse_values": check_of("mse_values", f"mistake number {i}")})
        for i in range(many)
    ]
    stats = class_statistics(students, "regression_losses", 6.0)
    (axes,) = misconception_figure(stats).axes
    assert (
        axes.get_title()
        == f"Misconceptions found (the {MISCONCEPTIONS_DRAWN} most common of {many})"
    )
    assert axes.get_xlim() == (0, many)  # a bar's length is its share of the graded class
    assert len(axes.patches) == MISCONCEPTIONS_DRAWN
    labels = [label.get_text() for label in axes.get_yticklabels()]
    assert all("mistake number" in label for label in labels)


def test_a_long_check_name_is_wrapped_at_whole_words_in_the_pass_rate_chart():
    from autograder.batch.summary import pass_rate_figure

    name = "linear_grads with MSE: [dL/dθ0, dL/dθ1] = [−(2/n)·Σ(y − ŷ), −(2/n)·Σ(y − ŷ)·x]"
    stats = replace(
        class_statistics([graded("ada")], "regression_losses", 6.0),
        check_pass_rates=((name, 3, 4),),
    )
    (axes,) = pass_rate_figure(stats).axes
    (label,) = [label.get_text() for label in axes.get_yticklabels()]
    assert label.replace("\n", " ") == name  # every word kept, none cut


def check_of(check_id: str, summary: str):
    from test_export_common import check

    return check(check_id, 0.0, summary.replace(" ", "_"), summary)
