"""Finding a class's submissions: every student appears, ids never merge, hostile files and zips.

Classes are built here in tmp_path from the samples: real files, folders, links, named pipes
and zips (written with zipfile, with member attributes set as a Unix zip tool sets them).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import tempfile
import time
import unicodedata
import warnings
import zipfile
from pathlib import Path

import pytest
from conftest import REFERENCE_PATH, samples_of

from autograder.batch.discover import (
    MAX_MEMBER_DEPTH,
    MAX_METADATA_BYTES,
    DiscoveryError,
    Entry,
    Member,
    discover,
    read_metadata,
    safe_id,
    unpack_zip,
)
from autograder.cli import main

MODULE = "regression_losses"
CORRECT = samples_of(MODULE) / "correct_vectorised.py"
FLIPPED = samples_of(MODULE) / "mse_grad__sign_flipped.py"
FUNCTIONS = ("mse", "mse_grad", "mae", "mae_grad", "predict", "linear_grads", "gd_step", "fit")


def by_id(entries: list[Entry]) -> dict[str, Entry]:
    ids = [e.student_id for e in entries]
    assert len(ids) == len(set(ids)), f"two entries share an id: {ids}"
    return {e.student_id: e for e in entries}


def one_line(text: str | None) -> str:
    assert text and "\n" not in text, text
    return text


@pytest.fixture
def deadline():
    """Fail instead of hanging if something opens a named pipe and waits for a writer."""

    def expired(signum, frame):
        raise TimeoutError("blocked")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# -- every student appears -------------------------------------------------------------------------


def test_every_folder_is_an_entry_with_the_reason_when_it_cannot_be_graded(tmp_path):
    shutil.copy(CORRECT, tmp_path / "alice.py")
    (tmp_path / "bob").mkdir()
    shutil.copy(CORRECT, tmp_path / "bob" / f"{MODULE}.py")
    (tmp_path / "carol").mkdir()
    shutil.copy(CORRECT, tmp_path / "carol" / "my_upload.py")  # one .py of any name: grade takes it
    (tmp_path / "dave").mkdir()  # empty
    (tmp_path / "erin").mkdir()
    shutil.copy(CORRECT, tmp_path / "erin" / "first.py")
    shutil.copy(FLIPPED, tmp_path / "erin" / "second.py")
    (tmp_path / "frank").mkdir()
    (tmp_path / "frank" / "README.md").write_text("I ran out of time\n", encoding="utf-8")
    (tmp_path / "README.txt").write_text("the instructor's notes, not a student\n")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / ".ipynb_checkpoints").mkdir()

    entries = by_id(discover(tmp_path, MODULE, MODULE))
    assert sorted(entries) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    for student in ("alice", "bob", "carol"):
        assert entries[student].problem is None, student
    assert str(tmp_path / "dave") in one_line(entries["dave"].problem)
    erin = one_line(entries["erin"].problem)
    assert "first.py" in erin and "second.py" in erin
    assert f"{MODULE}.py" in one_line(entries["frank"].problem)


def test_the_released_folder_with_a_completed_notebook_is_not_a_problem(tmp_path):
    release = Path(__file__).resolve().parents[1] / "assignments" / MODULE
    shutil.copytree(release, tmp_path / "gina")
    notebook = json.loads((release / f"{MODULE}.ipynb").read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["id"] == "answer-mse":
            cell["source"] = "def mse(y_pred, y_true):\n    return 0.0\n"
    (tmp_path / "gina" / f"{MODULE}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (entry,) = discover(tmp_path, MODULE, MODULE, FUNCTIONS)
    assert entry.student_id == "gina" and entry.problem is None


def test_a_folder_without_any_student_is_still_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(DiscoveryError, match="found no submissions"):
        discover(tmp_path, MODULE, MODULE)


# -- ids -------------------------------------------------------------------------------------------


def test_names_that_differ_by_accents_or_case_are_different_students(tmp_path):
    names = ["Zoé", "Zoë", "zoe", "Zoe"]
    for name in names:
        shutil.copy(CORRECT, tmp_path / f"{name}.py")
    entries = discover(tmp_path, MODULE, MODULE)
    ids = [e.student_id for e in entries]
    assert len(ids) == 4
    assert len({i.casefold() for i in ids}) == 4  # distinct on a case-insensitive file system too
    assert {e.path.name for e in entries} == {f"{n}.py" for n in names}
    accented = {e.path.stem: e.student_id for e in entries}
    assert accented["Zoé"] == "Zoé" and accented["Zoë"] == "Zoë"  # letters are kept


def test_ids_are_stable_across_runs(tmp_path):
    for name in ("zoe", "Zoe", "jane doe"):
        shutil.copy(CORRECT, tmp_path / f"{name}.py")
    first = [e.student_id for e in discover(tmp_path, MODULE, MODULE)]
    assert first == [e.student_id for e in discover(tmp_path, MODULE, MODULE)]


@pytest.mark.parametrize(
    ("one", "other"),
    [("jane doe", "jane_doe"), ("a/b", "a_b"), ("..x", "x"), ("Zoé", "Zoé")],
    ids=["space", "slash", "leading-dots", "nfc-vs-nfd-spelled-apart"],
)
def test_safe_id_keeps_names_apart(one, other):
    if one == other:  # the same name typed on macOS (NFD) and elsewhere (NFC) is one student
        assert safe_id(unicodedata.normalize("NFD", one)) == safe_id(one)
        return
    assert safe_id(one) != safe_id(other)


@pytest.mark.parametrize(
    "raw",
    [
        "../../etc/passwd",
        "..",
        "",
        "   ",
        "a\x00b",
        "x" * 1000,
        "\udcff\udcfe",
        "con:prn",
        "é" * 300,
        "\U0001d538" * 100,
        "名" * 200,
    ],
)
def test_safe_id_is_one_harmless_folder_name(raw):
    student = safe_id(raw)
    assert student and "/" not in student and "\x00" not in student
    assert not student.startswith(".")
    assert len(student.encode("utf-8")) <= 255  # encodable, and fits a file name


def test_plain_names_that_meet_on_one_id_are_one_entry_with_a_problem(tmp_path):
    shutil.copy(CORRECT, tmp_path / "alice.py")
    (tmp_path / "alice").mkdir()
    shutil.copy(FLIPPED, tmp_path / "alice" / f"{MODULE}.py")
    (entry,) = discover(tmp_path, MODULE, MODULE)
    problem = one_line(entry.problem)
    assert "alice.py" in problem and "alice" in problem.replace("alice.py", "")


def test_a_canvas_resubmission_keeps_the_newest_file(tmp_path):
    old = tmp_path / f"lovelaceada_4711_998_{MODULE}.py"
    new = tmp_path / f"lovelaceada_4711_999_{MODULE}-1.py"
    shutil.copy(FLIPPED, old)
    shutil.copy(CORRECT, new)
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(new, (2_000_000, 2_000_000))
    (entry,) = discover(tmp_path, MODULE, MODULE)
    assert (entry.student_id, entry.path, entry.problem) == ("4711", new, None)


def test_a_canvas_student_without_code_is_an_entry_with_a_problem(tmp_path):
    shutil.copy(CORRECT, tmp_path / f"lovelaceada_4711_998_{MODULE}.py")
    (tmp_path / "doejane_4712_999_answers.pdf").write_bytes(b"%PDF-1.4\n")
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    assert entries["4711"].problem is None
    assert "answers.pdf" in one_line(entries["4712"].problem)
    assert entries["4712"].name == "doejane"


# -- Canvas file names (canvas-lms lib/content_zipper.rb) ------------------------------------------
# A file is "<name>[_LATE]_<user id>_<file id>_<original name>": name is the sortable name's word
# characters lower-cased ("Doe, Jane" -> doejane), _LATE marks a late submission, the file id is
# the upload's attachment id (a later upload has a higher one), and Canvas renames a file uploaded
# again under a name already used "<stem>-1<suffix>". A text entry is "<name>[_LATE]_<user>_text.html".


def test_a_canvas_file_name_gives_the_user_id_the_name_and_the_late_flag(tmp_path):
    shutil.copy(CORRECT, tmp_path / f"lovelaceada_4711_998_{MODULE}.py")
    shutil.copy(FLIPPED, tmp_path / f"doejane_LATE_4712_999_{MODULE}.py")
    shutil.copy(CORRECT, tmp_path / "obrien_pat_4713_1000_hw_1_2.py")  # "_1_2" is no id
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    assert sorted(entries) == ["4711", "4712", "4713"]
    ada, jane, pat = entries["4711"], entries["4712"], entries["4713"]
    assert (ada.name, ada.late, ada.layout, ada.problem) == ("lovelaceada", False, "canvas", None)
    assert (jane.name, jane.late) == ("doejane", True)
    assert (pat.name, pat.path.name) == ("obrien_pat", "obrien_pat_4713_1000_hw_1_2.py")
    assert ada.students == (Member("4711", "lovelaceada", canvas_id="4711"),)
    assert jane.students == (Member("4712", "doejane", canvas_id="4712"),)


def test_the_newest_upload_of_the_module_file_is_graded_whatever_the_file_times(tmp_path):
    first = tmp_path / f"lovelaceada_4711_998_{MODULE}.py"
    again = tmp_path / f"lovelaceada_4711_1003_{MODULE}-1.py"  # uploaded again: Canvas adds -1
    helper = tmp_path / "lovelaceada_4711_1004_helpers.py"  # a later file, not the module
    shutil.copy(FLIPPED, first)
    shutil.copy(CORRECT, again)
    helper.write_text("def unused():\n    return 1\n")
    os.utime(first, (3_000_000, 3_000_000))  # a zip's times say nothing: the file id decides
    os.utime(again, (1_000_000, 1_000_000))
    (entry,) = discover(tmp_path, MODULE, MODULE)
    assert (entry.student_id, entry.path, entry.problem) == ("4711", again, None)


def test_canvas_files_uploaded_under_other_names_are_not_guessed_between(tmp_path):
    shutil.copy(CORRECT, tmp_path / "lovelaceada_4711_998_solution.py")
    shutil.copy(FLIPPED, tmp_path / "lovelaceada_4711_999_other.py")
    shutil.copy(FLIPPED, tmp_path / "doejane_4712_1000_solution.py")
    shutil.copy(CORRECT, tmp_path / "doejane_4712_1001_solution-1.py")  # the same file, again
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    problem = one_line(entries["4711"].problem)
    assert "_solution.py" in problem and "_other.py" in problem and f"{MODULE}.py" in problem
    assert entries["4712"].problem is None
    assert entries["4712"].path.name == "doejane_4712_1001_solution-1.py"


def test_a_canvas_student_with_only_a_text_entry_is_in_the_class_with_a_problem(tmp_path):
    shutil.copy(CORRECT, tmp_path / f"lovelaceada_4711_998_{MODULE}.py")
    (tmp_path / "doejane_LATE_4712_text.html").write_text("<p>my answer</p>")
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    jane = entries["4712"]
    assert "doejane_LATE_4712_text.html" in one_line(jane.problem)
    assert (jane.name, jane.late, jane.students[0].canvas_id) == ("doejane", True, "4712")


# -- links, pipes --------------------------------------------------------------------------------


def test_links_and_pipes_in_a_plain_class_are_entries_that_are_refused(tmp_path, deadline):
    shutil.copy(CORRECT, tmp_path / "alice.py")
    (tmp_path / "mallory.py").symlink_to(REFERENCE_PATH)  # scored 20/20 before
    (tmp_path / "oscar").symlink_to(REFERENCE_PATH.parent)  # a linked folder
    (tmp_path / "trudy").mkdir()
    (tmp_path / "trudy" / f"{MODULE}.py").symlink_to(REFERENCE_PATH)
    os.mkfifo(tmp_path / "peggy.py")
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    assert sorted(entries) == ["alice", "mallory", "oscar", "peggy", "trudy"]
    assert entries["alice"].problem is None
    for student in ("mallory", "oscar", "trudy"):
        assert "symbolic link" in one_line(entries[student].problem), student
    assert "named pipe" in one_line(entries["peggy"].problem)


def test_links_in_gradescope_and_canvas_exports_are_refused(tmp_path):
    export = gradescope_export(tmp_path / "gs", "")
    (export / "submission_1003").symlink_to(export / "submission_1001")
    entries = by_id(discover(tmp_path / "gs", MODULE, MODULE))
    assert entries["submission_1001"].problem is None
    assert "symbolic link" in one_line(entries["submission_1003"].problem)
    canvas = tmp_path / "canvas"
    canvas.mkdir()
    shutil.copy(CORRECT, canvas / f"lovelaceada_4711_998_{MODULE}.py")
    (canvas / f"doejane_4712_999_{MODULE}.py").symlink_to(REFERENCE_PATH)
    entries = by_id(discover(canvas, MODULE, MODULE))
    assert entries["4711"].problem is None
    assert "symbolic link" in one_line(entries["4712"].problem)


def test_links_in_an_nbgrader_course_are_refused(tmp_path):
    submitted = tmp_path / "submitted"
    (submitted / "ada" / MODULE).mkdir(parents=True)
    shutil.copy(CORRECT, submitted / "ada" / MODULE / f"{MODULE}.py")
    (submitted / "bea").mkdir()
    (submitted / "bea" / MODULE).symlink_to(submitted / "ada" / MODULE)
    (submitted / "cid").symlink_to(submitted / "ada")
    (submitted / "dan" / MODULE).mkdir(parents=True)  # submitted nothing in it
    (submitted / "eve" / "another_assignment").mkdir(parents=True)  # not this assignment
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    assert sorted(entries) == ["ada", "bea", "cid", "dan"]
    assert entries["ada"].problem is None and entries["ada"].layout == "nbgrader"
    assert "symbolic link" in one_line(entries["bea"].problem)
    assert "symbolic link" in one_line(entries["cid"].problem)
    assert one_line(entries["dan"].problem)


# -- Gradescope metadata ---------------------------------------------------------------------------


def gradescope_export(root: Path, metadata: str) -> Path:
    export = root / "assignment_123_export"
    for number in (1001, 1002):
        (export / f"submission_{number}").mkdir(parents=True)
    shutil.copy(CORRECT, export / "submission_1001" / f"{MODULE}.py")
    (export / "submission_metadata.yml").write_text(metadata, encoding="utf-8")
    return export


def test_a_gradescope_submission_that_cannot_be_graded_is_an_entry(tmp_path):
    gradescope_export(
        tmp_path,
        "submission_1001:\n  :submitters:\n  - :name: Ada\n    :sid: '42'\n"
        "submission_1002:\n  :submitters:\n  - :name: Bea\n    :sid: [1, 2]\n"
        "    :email: bea@example.org\n",
    )
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    assert entries["42"].problem is None and entries["42"].name == "Ada"
    assert one_line(entries["bea@example.org"].problem)  # an sid that is a list is not an id


GROUP_METADATA = """\
submission_1001:
  :submitters:
  - :name: Ada Lovelace
    :sid: '06001'
    :email: ada@example.org
  - :name: Bea Bell
    :sid: '06002'
    :email: bea@example.org
  - :name: Cid Cole
    :email: cid@example.org
  :created_at: 2024-03-01 10:00:00.000000000 Z
submission_1002:
  :submitters:
  - :name: Dan Doe
    :sid: '06004'
    :email: dan@example.org
  :created_at: 2024-03-01 11:00:00.000000000 Z
"""


def test_a_gradescope_group_is_one_entry_with_every_member(tmp_path):
    export = gradescope_export(tmp_path, GROUP_METADATA)
    shutil.copy(FLIPPED, export / "submission_1002" / f"{MODULE}.py")
    group, dan = discover(tmp_path, MODULE, MODULE)
    assert (group.student_id, group.path.name, group.problem) == ("06001", "submission_1001", None)
    assert group.students == (
        Member("06001", "Ada Lovelace", "ada@example.org"),
        Member("06002", "Bea Bell", "bea@example.org"),
        Member("cid@example.org", "Cid Cole", "cid@example.org"),  # no sid: the email
    )
    assert dan.students == (Member("06004", "Dan Doe", "dan@example.org"),)


def test_a_student_in_two_gradescope_submissions_belongs_to_the_newest(tmp_path):
    metadata = (
        "submission_1001:\n  :submitters:\n  - {':sid': 'a'}\n  - {':sid': 'b'}\n"
        "  :created_at: 2024-03-02 10:00:00 Z\n"
        "submission_1002:\n  :submitters:\n  - {':sid': 'b'}\n"
        "  :created_at: 2024-03-03 10:00:00 Z\n"
        "submission_1003:\n  :submitters:\n  - {':sid': 'a'}\n"
        "  :created_at: 2024-03-01 10:00:00 Z\n"
    )
    export = gradescope_export(tmp_path, metadata)
    for number in (1002, 1003):
        (export / f"submission_{number}").mkdir(exist_ok=True)
        shutil.copy(CORRECT, export / f"submission_{number}" / f"{MODULE}.py")
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    # b's newest is 1002; a's is 1001 (1003 is older), which keeps a only and is named after a
    assert {i: e.path.name for i, e in entries.items()} == {
        "a": "submission_1001",
        "b": "submission_1002",
    }
    assert [m.student_id for m in entries["a"].students] == ["a"]


def test_gradescope_members_without_sid_or_email_are_told_apart(tmp_path):
    gradescope_export(
        tmp_path,
        "submission_1001:\n  :submitters:\n  - {':name': 'Ann'}\n  - {':name': 'Ben'}\n"
        "  - {':name': 'Ann'}\n  - not a mapping\n",
    )
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    (entry,) = [e for e in entries.values() if e.path.name == "submission_1001"]
    ids = [m.student_id for m in entry.students]
    assert ids == ["submission_1001", "submission_1001-2", "submission_1001-3"]
    assert [m.name for m in entry.students] == ["Ann", "Ben", "Ann"]


ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    + ["submission_1001: {':submitters': [{':sid': *i}]}"]
)


def test_an_alias_bomb_in_the_metadata_is_refused_quickly(tmp_path):
    assert len(ALIAS_BOMB.encode()) < 600  # 9**9 = 387 million strings once expanded
    export = gradescope_export(tmp_path, ALIAS_BOMB)
    started = time.monotonic()
    with pytest.raises(DiscoveryError) as info:
        discover(tmp_path, MODULE, MODULE)
    assert time.monotonic() - started < 5
    message = one_line(str(info.value))
    assert str(export / "submission_metadata.yml") in message and "alias" in message


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    gradescope_export(tmp_path, "a: &a [1, *a]\n")
    with pytest.raises(DiscoveryError, match="alias"):
        discover(tmp_path, MODULE, MODULE)


def test_a_few_harmless_aliases_are_read(tmp_path):
    gradescope_export(
        tmp_path,
        "shared: &who\n  - :name: Ada\n    :sid: '42'\nsubmission_1001:\n  :submitters: *who\n",
    )
    entries = by_id(discover(tmp_path, MODULE, MODULE))
    assert entries["42"].name == "Ada"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("- just\n- a list\n", "not a mapping"),
        ("a: [unclosed\n", "not valid YAML"),
        ("[" * 5000 + "]" * 5000, "not valid YAML"),
        (b"caf\xe9: 1\n", "not UTF-8"),
    ],
    ids=["a-list", "broken", "deeply-nested", "latin-1"],
)
def test_bad_metadata_is_one_sentence(tmp_path, content, words):
    path = tmp_path / "submission_metadata.yml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DiscoveryError, match=words) as info:
        read_metadata(path)
    assert str(path) in one_line(str(info.value))


def test_metadata_larger_than_the_cap_is_refused(tmp_path):
    path = tmp_path / "submission_metadata.yml"
    path.write_bytes(b"# padding\n" * (MAX_METADATA_BYTES // 10 + 1))
    with pytest.raises(DiscoveryError, match="larger than"):
        read_metadata(path)


def test_metadata_that_is_a_link_is_refused(tmp_path):
    secret = tmp_path / "secret.yml"
    secret.write_text("submission_1001: {':submitters': [{':sid': 'leaked-4242'}]}\n")
    export = gradescope_export(tmp_path, "")
    (export / "submission_metadata.yml").unlink()
    (export / "submission_metadata.yml").symlink_to(secret)
    with pytest.raises(DiscoveryError, match="symbolic link") as info:
        discover(tmp_path, MODULE, MODULE)
    assert "leaked-4242" not in str(info.value)


# -- zips ------------------------------------------------------------------------------------------


def zip_with(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name, and writes it
        with zipfile.ZipFile(path, "w") as bundle:
            for name, data in members:
                bundle.writestr(name, data)
    return path


def unix_member(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
    info.external_attr = mode << 16
    return info


def refused(archive: Path, target: Path, words: str) -> str:
    with pytest.raises(DiscoveryError) as info:
        unpack_zip(archive, target)
    message = one_line(str(info.value))
    assert words in message, message
    assert len(message) < 600
    assert not target.exists(), "an unpacked copy was left behind"
    return message


def test_a_good_zip_unpacks_with_the_members_times(tmp_path):
    info = zipfile.ZipInfo(f"alice/{MODULE}.py", date_time=(2024, 3, 1, 12, 30, 0))
    archive = zip_with(
        tmp_path / "class.zip", [(info, CORRECT.read_bytes()), ("bob.py", b"x = 1\n")]
    )
    target = unpack_zip(archive, tmp_path / "unpacked")
    assert (target / "alice" / f"{MODULE}.py").read_bytes() == CORRECT.read_bytes()
    stamp = time.localtime((target / "alice" / f"{MODULE}.py").stat().st_mtime)[:6]
    assert stamp == (2024, 3, 1, 12, 30, 0)
    assert sorted(e.student_id for e in discover(target, MODULE, MODULE)) == ["alice", "bob"]


def test_a_very_deep_member_is_one_sentence_and_nothing_is_left(tmp_path):
    deep = "/".join(["d"] * (MAX_MEMBER_DEPTH + 200)) + "/x.py"
    archive = zip_with(tmp_path / "deep.zip", [("alice.py", b"x = 1\n"), (deep, b"y = 2\n")])
    assert "deep" in refused(archive, tmp_path / "unpacked", "folders deep")


def test_a_very_long_member_path_is_one_sentence(tmp_path):
    archive = zip_with(tmp_path / "long.zip", [("a" * 5000 + ".py", b"x = 1\n")])
    refused(archive, tmp_path / "unpacked", "characters")


def test_a_member_name_too_long_for_the_file_system_is_one_sentence(tmp_path):
    archive = zip_with(tmp_path / "long.zip", [("alice.py", b""), ("é" * 200 + ".py", b"x = 1\n")])
    refused(archive, tmp_path / "unpacked", "255 bytes")


def test_a_duplicate_member_is_reported_by_name(tmp_path):
    archive = zip_with(
        tmp_path / "twice.zip", [(f"bob/{MODULE}.py", b"good = 1\n"), (f"bob/{MODULE}.py", b"x\n")]
    )
    refused(archive, tmp_path / "unpacked", f"bob/{MODULE}.py")


def test_a_member_both_file_and_folder_is_refused(tmp_path):
    archive = zip_with(tmp_path / "clash.zip", [("bob", b"x = 1\n"), (f"bob/{MODULE}.py", b"y\n")])
    refused(archive, tmp_path / "unpacked", "both as a file and as a folder")


def test_a_symlink_member_never_becomes_a_link(tmp_path):
    link = unix_member(f"mallory/{MODULE}.py", stat.S_IFLNK | 0o777)
    archive = zip_with(tmp_path / "link.zip", [("alice.py", b"x = 1\n"), (link, b"/etc/shadow")])
    assert f"mallory/{MODULE}.py" in refused(archive, tmp_path / "unpacked", "symbolic link")


def test_a_pipe_member_is_refused(tmp_path):
    pipe = unix_member("peggy.py", stat.S_IFIFO | 0o644)
    archive = zip_with(tmp_path / "pipe.zip", [(pipe, b"")])
    refused(archive, tmp_path / "unpacked", "special file")


def test_a_member_that_escapes_is_refused_before_anything_is_written(tmp_path):
    archive = zip_with(tmp_path / "evil.zip", [("alice.py", b"x = 1\n"), ("../../outside.py", b"")])
    refused(archive, tmp_path / "unpacked", "would land outside the folder")
    assert not (tmp_path.parent / "outside.py").exists()


def test_a_damaged_zip_is_one_sentence_and_nothing_is_left(tmp_path):
    archive = zip_with(tmp_path / "damaged.zip", [("alice.py", b"x = 1\n" * 1000)])
    data = bytearray(archive.read_bytes())
    offset = data.index(b"x = 1")  # stored, not compressed: corrupt the content, the CRC fails
    data[offset : offset + 5] = b"y = 2"
    archive.write_bytes(bytes(data))
    refused(archive, tmp_path / "unpacked", "damaged")


def test_a_file_that_is_not_a_zip(tmp_path):
    archive = tmp_path / "class.zip"
    archive.write_text("not a zip")
    refused(archive, tmp_path / "unpacked", "is not a valid zip file")


def test_the_target_must_be_empty_and_is_kept_when_it_is_not(tmp_path):
    archive = zip_with(tmp_path / "class.zip", [("alice.py", b"x = 1\n")])
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(DiscoveryError, match="not an empty folder"):
        unpack_zip(archive, target)
    assert (target / "keep.txt").read_text() == "mine"


def test_grade_batch_of_a_hostile_zip_says_one_sentence_and_leaves_nothing_in_tmp(
    tmp_path, monkeypatch, capsys
):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    deep = "/".join(["d"] * 500) + "/x.py"
    archive = zip_with(tmp_path / "class.zip", [("alice.py", b"x = 1\n"), (deep, b"")])
    assert main(["grade-batch", str(archive), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("autograder: ") and "\n" not in error and "deep" in error
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("name", ["summary.html", "Class.json", "scores.png", "grades.csv"])
def test_an_id_that_is_a_class_file_s_name_gets_a_short_hash(tmp_path, name):
    """A submission ``summary.html.py`` must not get the folder where summary.html goes."""
    (tmp_path / f"{name}.py").write_text("x = 1\n")
    (tmp_path / "alice.py").write_text("x = 1\n")
    ids = {e.student_id for e in discover(tmp_path, "regression_losses", "regression_losses")}
    (renamed,) = ids - {"alice"}
    assert "alice" in ids
    assert renamed.startswith(f"{name}-") and len(renamed) == len(name) + 9
