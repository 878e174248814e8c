"""The Moodle CSV (autograder/export/moodle.py): a long table for Moodle's free-form grade import.

Moodle lets the teacher map a column to the user (email, ID number or
username), a column to the grade item and one to its feedback; a blank grade
is no grade (shared/FORMATS.md).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from test_export_common import (
    GOLDEN,
    check,
    graded,
    not_graded,
    small_assignment,
    small_class,
    small_roster,
)

from autograder.export.common import NOT_GRADED
from autograder.export.moodle import HEADER, moodle_csv
from autograder.export.roster import load_roster
from autograder.grading.results import StudentResult


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_golden_small_class():
    # Why tests/golden/moodle_small_class.csv is right, line by line:
    # 1. the header: the submission name, the name (to check rows by eye), then each column Moodle
    #    can match a user on (email, ID number = SIS user id, username = SIS login id), the score
    #    and its feedback;
    # 2. carol, first by name, is not in the roster: her ids are her submission name, she has no
    #    email, her score is blank (grading failed; blank is "no grade" to Moodle, 0 would be a
    #    grade) and her feedback says her instructor will grade her; it holds a comma, so quoted;
    # 3. ada: full marks written plainly (6, not 6.0), feedback just the score;
    # 4. bob: 1 + 0.75 * 2 + 2 + 0 = 4.5; his feedback names the visible function he got wrong
    #    and its diagnosed mistake, but not his failed hidden check (fit_mae_converges); his name's
    #    double quotes are doubled inside quotes.
    text = moodle_csv(small_class(), small_assignment(), small_roster())
    assert text == (GOLDEN / "moodle_small_class.csv").read_text(encoding="utf-8")


def test_columns_and_one_row_per_student():
    rows = parse(moodle_csv(small_class(), small_assignment(), small_roster()))
    assert tuple(rows[0]) == HEADER
    assert [row["student_id"] for row in rows] == ["carol", "ada", "bob"]
    assert rows[1]["email"] == "ada@example.edu"
    assert rows[1]["id_number"] == "S001" and rows[1]["username"] == "alovelace"


def test_a_failed_grading_is_blank_and_a_real_zero_is_0():
    zero = {c: check(c, 0.0) for c in ("mse_values", "mse_grad_values", "fit_mse_converges")}
    zero["fit_mae_converges"] = check("fit_mae_converges", 0.0)
    rows = parse(moodle_csv([not_graded("carol"), graded("zed", zero)], small_assignment(), None))
    assert [(row["score"], row["feedback"]) for row in rows] == [
        ("", NOT_GRADED),
        ("0", "0 / 6 points. Not yet right: mse, mse_grad, fit."),
    ]


def test_feedback_is_one_line_even_when_the_grader_wrote_several():
    student = graded("eve", load_problems=("Syntax error at line 3:\n    x = (\n",))
    row = parse(moodle_csv([student], small_assignment(), None))[0]
    assert (
        row["feedback"]
        == "6 / 6 points. Your file did not load cleanly: Syntax error at line 3: x = (."
    )
    assert "\n" not in row["feedback"] and "\r" not in row["feedback"]


def test_cells_a_spreadsheet_would_run_are_neutralised_and_scores_stay_numbers(tmp_path):
    # OWASP CSV injection: the roster's name and ids start with = + - @; each gets a ' and quotes
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "submission,name,sis_user_id,sis_login_id,email\n"
        '-ada,"=HYPERLINK(""http://evil.example"",""Click"")",+S1,@ada,ada@example.edu\n',
        encoding="utf-8",
    )
    text = moodle_csv([graded("-ada")], small_assignment(), load_roster(roster))
    assert text.splitlines()[1] == (
        '"\'-ada","\'=HYPERLINK(""http://evil.example"",""Click"")",ada@example.edu,'
        '"\'+S1","\'@ada",6,6 / 6 points.'
    )
    (row,) = parse(text)
    assert row["name"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row["score"] == "6"


def test_a_result_marked_not_graded_is_a_row_with_a_blank_score():
    flagged = StudentResult("dan", replace(graded("dan").result, graded=False))
    rows = parse(moodle_csv([flagged], small_assignment(), None))
    assert [(r["student_id"], r["score"], r["feedback"]) for r in rows] == [("dan", "", NOT_GRADED)]
