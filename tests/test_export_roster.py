"""The roster CSV (autograder/export/roster.py): columns, the submission-name stand-ins, errors.

Every error must be one sentence naming the file, the line and (for a cell)
the column, so the instructor can go straight to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.export.roster import COLUMNS, Known, Roster, RosterError, load_roster, with_known


def write(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_every_column_is_read_and_stripped(tmp_path):
    path = write(
        tmp_path,
        f"{','.join(COLUMNS)}\n"
        'ada, "Lovelace, Ada",101, S001 ,alovelace,Section 1,ada@example.edu,lti-ada\n',
    )
    entry = load_roster(path).entry("ada")
    assert (
        entry.name,
        entry.canvas_id,
        entry.sis_user_id,
        entry.sis_login_id,
        entry.section,
        entry.email,
        entry.lti_user_id,
    ) == ("Lovelace, Ada", "101", "S001", "alovelace", "Section 1", "ada@example.edu", "lti-ada")


def test_only_submission_is_required_and_blank_ids_are_the_submission_name(tmp_path):
    roster = load_roster(write(tmp_path, "submission\nada\n"))
    entry = roster.entry("ada")
    assert entry.name == entry.sis_user_id == entry.sis_login_id == entry.lti_user_id == "ada"
    assert entry.canvas_id == entry.section == entry.email == ""


def test_without_a_roster_the_ids_are_the_submission_names_but_never_the_canvas_id():
    entry = Roster().entry("20231234")
    assert entry.name == entry.sis_user_id == entry.sis_login_id == entry.lti_user_id == "20231234"
    assert entry.canvas_id == ""  # Canvas would read it as a user id (to_i) and match anyone
    assert Roster().missing(["20231234"]) == []


def test_columns_in_any_order_any_case_a_bom_crlf_short_rows_and_blank_lines(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(
        "\ufeffEmail , SUBMISSION,Name\r\nbob@example.edu,bob,Bob\r\n\r\n,carol\r\n".encode()
    )
    roster = load_roster(path)
    assert set(roster.entries) == {"bob", "carol"}
    assert roster.entry("bob").email == "bob@example.edu"
    assert roster.entry("carol").name == "carol"
    assert roster.missing(["bob", "dan", "ada"]) == ["ada", "dan"]


def test_a_quoted_name_keeps_its_commas_quotes_and_line_breaks(tmp_path):
    path = write(tmp_path, 'submission,name\nbob,"Tables, Robert ""Bobby""\nJr."\n')
    assert load_roster(path).entry("bob").name == 'Tables, Robert "Bobby"\nJr.'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty; its first line must name the columns"),
        ("name,email\nAda,ada@example.edu\n", "line 1 has no submission column"),
        ("submission,nmae\nada,Ada\n", "line 1, column 2 is 'nmae', which is not a roster column"),
        ("submission,name,Name\nada,A,B\n", "line 1, column 3: 'name' is already column 2"),
        ("submission,name\nada,Lovelace, Ada\n", "line 2 has 3 cells but line 1 names 2 columns"),
        ("submission,name\nada,Ada\n,Bob\n", "line 3, column submission: is empty"),
        ("submission\nada\nbob\nada\n", "line 4, column submission: 'ada' is already on line 2"),
        (
            "submission,canvas_id\nada,101\nbob,bob\n",
            "line 3, column canvas_id: must be a whole number (the Canvas user id), not 'bob'",
        ),
        ("submission,canvas_id\nada,-5\n", "line 2, column canvas_id: must be a whole number"),
        ("submission,email\nada,ada at example\n", "line 2, column email: must be an email"),
        ('submission,name\nada,"Ada\n', "line 2 is not valid CSV"),
        ('submission,name\nada,"Ada"x\n', "line 2 is not valid CSV"),
    ],
)
def test_errors_name_the_file_the_line_and_the_column(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RosterError) as error:
        load_roster(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_line_counts_lines_inside_quoted_cells(tmp_path):
    path = write(tmp_path, 'submission,name\nada,"Ada\nLovelace"\nbob,Bob\nada,Again\n')
    with pytest.raises(RosterError, match="line 5, column submission: 'ada' is already on line 2"):
        load_roster(path)


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"submission,name\nada,Ada\nzoe,Zo\xe9\n")  # Latin-1
    with pytest.raises(RosterError, match=r"line 3 is not UTF-8 text; save the file as CSV UTF-8"):
        load_roster(path)


def test_a_missing_file(tmp_path):
    with pytest.raises(RosterError, match=r"roster.csv: no such file"):
        load_roster(tmp_path / "roster.csv")


# -- what the submissions say fills what the roster leaves blank (with_known) ---------------------


def test_without_a_roster_a_canvas_student_is_named_by_the_file_and_has_no_sis_ids():
    jane = Known("4712", name="doejane", canvas_id="4712", sis_from_submission=False)
    entry = with_known(None, [jane]).entry("4712")
    assert (entry.name, entry.canvas_id) == ("doejane", "4712")
    # a Canvas user id is no SIS id: Canvas would match it against another student's SIS id
    assert entry.sis_user_id == entry.sis_login_id == ""
    assert entry.lti_user_id == "4712"  # a push resolves it through class.json's canvas_id


def test_the_roster_overrides_the_name_and_gives_the_sis_ids(tmp_path):
    roster = load_roster(
        write(tmp_path, 'submission,name,sis_user_id,section\n4712,"Doe, Jane",S002,Sec 1\n')
    )
    known = [
        Known("4712", name="doejane", canvas_id="4712", sis_from_submission=False),
        Known("4711", name="lovelaceada", canvas_id="4711", sis_from_submission=False),
    ]
    people = with_known(roster, known)
    jane, ada = people.entry("4712"), people.entry("4711")
    assert (jane.name, jane.canvas_id, jane.sis_user_id, jane.sis_login_id, jane.section) == (
        "Doe, Jane",
        "4712",
        "S002",
        "",  # the roster leaves it blank, and the Canvas user id does not stand in
        "Sec 1",
    )
    assert (ada.name, ada.sis_user_id) == ("lovelaceada", "")  # not in the roster
    assert people.given["4712"]["name"] == "Doe, Jane" and dict(people.given["4711"]) == {}


def test_a_canvas_student_is_found_by_the_roster_s_canvas_id(tmp_path):
    roster = load_roster(
        write(tmp_path, "submission,name,canvas_id,email\njane,Jane Doe,4712,j@x.org\n")
    )
    entry = with_known(
        roster, [Known("4712", "doejane", canvas_id="4712", sis_from_submission=False)]
    ).entry("4712")
    assert (entry.submission, entry.name, entry.email, entry.sis_user_id) == (
        "4712",
        "Jane Doe",
        "j@x.org",
        "",
    )


def test_a_roster_canvas_id_that_contradicts_the_file_name_is_one_sentence(tmp_path):
    path = write(tmp_path, "submission,canvas_id\n4712,999\n")
    with pytest.raises(RosterError) as error:
        with_known(load_roster(path), [Known("4712", canvas_id="4712", sis_from_submission=False)])
    message = str(error.value)
    assert message.startswith(f"{path}: ") and "999" in message and "4712" in message
    assert "\n" not in message


def test_a_gradescope_member_s_email_fills_a_blank_and_the_id_stands_in_for_sis(tmp_path):
    roster = load_roster(
        write(tmp_path, "submission,email,sis_login_id\n06002,bea@uni.edu,bbell\n")
    )
    known = [
        Known("06001", "Ada Lovelace", "ada@example.org"),
        Known("06002", "Bea Bell", "bea@example.org"),
    ]
    people = with_known(roster, known)
    ada, bea = people.entry("06001"), people.entry("06002")
    assert (ada.name, ada.email, ada.sis_user_id, ada.sis_login_id) == (
        "Ada Lovelace",
        "ada@example.org",
        "06001",
        "06001",
    )
    assert (bea.name, bea.email, bea.sis_user_id, bea.sis_login_id) == (
        "Bea Bell",
        "bea@uni.edu",
        "06002",
        "bbell",
    )
