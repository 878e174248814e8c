"""The Canvas gradebook CSV (autograder/export/canvas.py), against Canvas's importer rules.

The rules are those of canvas-lms lib/gradebook_importer.rb, as summarised in
shared/FORMATS.md; ``canvas_identity_columns`` below transcribes how that file
reads the header, so the tests check the file the way Canvas would read it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pytest
from test_export_common import (
    GOLDEN,
    TITLE,
    check,
    graded,
    not_graded,
    small_assignment,
    small_class,
    small_roster,
)

from autograder.export.canvas import assignment_column, canvas_csv
from autograder.export.roster import load_roster
from autograder.grading.results import StudentResult

CANVAS_TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")  # Canvas's \A(.*)\s\((\d+)\)\z


def canvas_identity_columns(header: list[str]) -> int:
    """How many identity columns Canvas sees in ``header`` (gradebook_importer.rb, header?).

    Fails the test where Canvas would raise InvalidHeaderRow.
    """
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1]
    count = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        count += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        count += 2
    assert "Section" in header[count - 1], "Section must be the last identity column"
    return count


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_golden_small_class():
    # Why tests/golden/canvas_small_class.csv is right, line by line:
    # 1. the header: Student, ID, then SIS User ID followed by SIS Login ID (Canvas recognises
    #    the SIS User ID only with the login after it), Section last of the identity columns, then
    #    "<title> (<id>)" with the Canvas assignment id 4242;
    # 2. "Points Possible" first, blank identity cells, then the maximum 6 (1 + 2 + 2 + 1 points)
    #    written plainly, not 6.0;
    # 3-5. students ordered by name: "carol" < "Lovelace, Ada" < "Tables, Robert ""Bobby""" when
    #    case is ignored. carol is not in the roster: her name and SIS ids are her submission
    #    name, her ID is blank (never a guess: Canvas reads it as a number) and her score is blank
    #    because her grading failed (a 0 would look like a real grade). ada has full marks, 6; bob
    #    1 + 0.75 * 2 + 2 + 0 = 4.5. Names with a comma are quoted, and bob's double quotes are
    #    doubled inside the quotes (RFC 4180, what Ruby's CSV reads).
    text = canvas_csv(small_class(), small_assignment(), small_roster(), 4242)
    assert text == (GOLDEN / "canvas_small_class.csv").read_text(encoding="utf-8")


def test_the_header_is_what_canvas_expects():
    header, points, *students = parse(canvas_csv(small_class(), small_assignment(), None, 4242))
    identity = canvas_identity_columns(header)
    assert header[:identity] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert len(header) == identity + 1
    title, assignment_id = CANVAS_TITLE_AND_ID.match(header[identity]).groups()
    assert (title, assignment_id) == (TITLE, "4242")
    assert "Points Possible" in points[0]
    assert points[1:identity] == [""] * (identity - 1)
    assert points[identity] == "6"
    assert all(len(row) == len(header) for row in students)


def test_without_an_id_the_column_is_the_exact_title():
    header = parse(canvas_csv(small_class(), small_assignment(), None, None))[0]
    assert header[-1] == TITLE
    assert not CANVAS_TITLE_AND_ID.match(header[-1])


def test_a_title_canvas_would_misread_is_refused():
    with pytest.raises(ValueError, match="ends like a Canvas assignment id"):
        assignment_column("Homework (12)", None)
    assert assignment_column("Homework (12)", 99) == "Homework (12) (99)"
    with pytest.raises(ValueError, match="contains 'Final Score'"):
        assignment_column("Final Score predictor", 99)
    with pytest.raises(ValueError, match="whole number"):
        assignment_column(TITLE, True)
    with pytest.raises(ValueError, match="positive"):
        assignment_column(TITLE, 0)


def test_names_with_commas_and_quotes_survive_a_round_trip(tmp_path):
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(
        "submission,name,section\n"
        'ob,"O\'Brien, Pat ""Paddy""","Section 1, Monday"\n'
        'ng,"Ng, ""Kim"", Jr.",\n',
        encoding="utf-8",
    )
    students = [graded("ob"), graded("ng")]
    rows = parse(canvas_csv(students, small_assignment(), load_roster(roster_path), 7))
    assert rows[2][0] == 'Ng, "Kim", Jr.'
    assert rows[3][0] == 'O\'Brien, Pat "Paddy"'
    assert rows[3][4] == "Section 1, Monday"
    assert all(len(row) == 6 for row in rows)


def test_a_failed_grading_is_blank_and_a_real_zero_is_0():
    zero = {c: check(c, 0.0) for c in ("mse_values", "mse_grad_values", "fit_mse_converges")}
    zero["fit_mae_converges"] = check("fit_mae_converges", 0.0)
    rows = parse(
        canvas_csv([not_graded("carol"), graded("zed", zero)], small_assignment(), None, 7)
    )
    by_id = {row[3]: row[5] for row in rows[2:]}
    assert by_id == {"carol": "", "zed": "0"}


def test_scores_are_plain_numbers():
    scores = {"a": 6.0, "b": 4.25, "c": 2 / 3, "d": 5.999999999}
    students = [graded(name, score=value) for name, value in scores.items()]
    rows = parse(canvas_csv(students, small_assignment(), None, 7))
    assert [row[5] for row in rows[2:]] == ["6", "4.25", "0.6667", "6"]


def test_without_a_roster_the_ids_are_the_submission_names_and_the_canvas_id_is_blank():
    rows = parse(canvas_csv([graded("20231234")], small_assignment(), None, 7))
    assert rows[2] == ["20231234", "", "20231234", "20231234", "", "6"]


def test_the_order_does_not_depend_on_the_input_order():
    forward = canvas_csv(small_class(), small_assignment(), small_roster(), 7)
    backward = canvas_csv(list(reversed(small_class())), small_assignment(), small_roster(), 7)
    assert forward == backward


def formula_roster(tmp_path):
    """A roster whose names and ids a spreadsheet would run as formulas (OWASP's list; the
    roster strips cells, so tabs and carriage returns are tried in test_export_common.py)."""
    path = tmp_path / "roster.csv"
    path.write_text(
        "submission,name,sis_user_id,sis_login_id,section\n"
        'ada,"=HYPERLINK(""http://evil.example"",""Click"")",+1,-1,@SUM(A1)\n'
        'bob,"-Bob, Robert",ok,ok,Section 1\n',
        encoding="utf-8",
    )
    return load_roster(path)


def test_cells_a_spreadsheet_would_run_get_a_quote_and_quotes(tmp_path):
    # OWASP CSV injection: a cell starting with = + - @ tab or CR is prefixed with ' and quoted
    students = [graded("ada"), graded("bob", score=4.5)]
    text = canvas_csv(students, small_assignment(), formula_roster(tmp_path), 7)
    assert (
        '"\'=HYPERLINK(""http://evil.example"",""Click"")",,"\'+1","\'-1","\'@SUM(A1)",6\n' in text
    )
    assert '"\'-Bob, Robert",,ok,ok,Section 1,4.5\n' in text
    rows = parse(text)[2:]
    assert [
        '\'=HYPERLINK("http://evil.example","Click")',
        "",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "6",
    ] in rows
    assert [
        "'-Bob, Robert",
        "",
        "ok",
        "ok",
        "Section 1",
        "4.5",
    ] in rows  # the kit's numbers stay numbers


def test_a_result_marked_not_graded_is_a_row_with_a_blank_score():
    flagged = StudentResult("dan", replace(graded("dan").result, graded=False))
    rows = parse(canvas_csv([flagged, graded("ada")], small_assignment(), None, 7))
    assert {row[0]: row[5] for row in rows[2:]} == {"ada": "6", "dan": ""}
