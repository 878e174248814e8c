"""The optional roster: who each submission belongs to, in every gradebook's terms.

An instructor may supply a UTF-8 CSV file (a byte-order mark is fine) whose
first line names its columns, in any order::

    submission,name,canvas_id,sis_user_id,sis_login_id,section,email,lti_user_id
    ada,"Lovelace, Ada",101,S001,alovelace,Section 1,ada@example.edu,0ae836b9-7fc9

Only ``submission`` is required; a missing column or an empty cell is blank.

- ``submission``: the student id as the submission is named (a batch entry's
  ``student_id``); unique.
- ``name``: the name shown in the gradebook (Canvas's ``Student`` column).
- ``canvas_id``: the Canvas user id, a whole number (Canvas's ``ID`` column).
- ``sis_user_id``, ``sis_login_id``: the SIS ids Canvas and Moodle match on.
- ``section``: the Canvas section name.
- ``email``: what Moodle can match on.
- ``lti_user_id``: the LTI 1.3 ``sub`` of the student on the platform.

Without a roster, or for a student it does not list, the ids are the
submission name: a blank ``name``, ``sis_user_id``, ``sis_login_id`` or
``lti_user_id`` is the submission name. ``canvas_id`` never is: Canvas reads
its ``ID`` column as a number (Ruby's ``to_i``), so a submission named
``20231234`` would match whichever Canvas user has that number. ``section``
and ``email`` stay blank.

What the submissions themselves say about a student (a Canvas file name's user
id and name, Gradescope's name and email) fills what the roster leaves blank:
:func:`with_known` gives the roster the class files are written with. There a
Canvas student's ``sis_user_id`` and ``sis_login_id`` stay blank unless the
roster gives them (a Canvas user id is no SIS id), and a roster row is found
by the Canvas user id in its ``submission`` column, else in its ``canvas_id``
column.

Every problem is one :class:`RosterError` sentence naming the file, the line
and the column, e.g.::

    roster.csv: line 4, column canvas_id: must be a whole number (the Canvas user id), not 'ada'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

COLUMNS = (
    "submission",
    "name",
    "canvas_id",
    "sis_user_id",
    "sis_login_id",
    "section",
    "email",
    "lti_user_id",
)


class RosterError(Exception):
    """The roster file is missing or wrong; the message is one sentence for the user."""


@dataclass(frozen=True)
class RosterEntry:
    """One student, with the submission name already standing in for each blank id."""

    submission: str
    name: str
    canvas_id: str
    sis_user_id: str
    sis_login_id: str
    section: str
    email: str
    lti_user_id: str


@dataclass(frozen=True)
class Known:
    """What the submissions say about one student (see :func:`with_known`); "" = not said.

    ``sis_from_submission`` False: the submission name is not an SIS id (a Canvas user id),
    so it never stands in for a blank ``sis_user_id`` or ``sis_login_id``.
    """

    submission: str
    name: str = ""
    email: str = ""
    canvas_id: str = ""
    sis_from_submission: bool = True


@dataclass(frozen=True)
class Roster:
    """The roster's entries by submission name; empty when no roster was given.

    ``given`` holds, per listed submission, only the cells the file filled (``entries``
    have the submission name in the blanks), so that what a submission says can fill
    them instead (:func:`with_known`).
    """

    path: Path | None = None
    entries: Mapping[str, RosterEntry] = field(default_factory=lambda: MappingProxyType({}))
    given: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))

    def entry(self, submission: str) -> RosterEntry:
        """The entry of ``submission``, or one made of the submission name if it is not listed."""
        if submission in self.entries:
            return self.entries[submission]
        return _entry(submission, {})

    def missing(self, submissions: Iterable[str]) -> list[str]:
        """The submissions the roster does not list (none when there is no roster file)."""
        if self.path is None:
            return []
        return sorted({s for s in submissions if s not in self.entries})


def load_roster(path: Path) -> Roster:
    """Read and check the roster CSV at ``path`` (see the module docstring for its columns)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RosterError(f"{path}: no such file") from None
    except OSError as error:
        raise RosterError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise RosterError(
            f"{path}: line {line} is not UTF-8 text; save the file as CSV UTF-8"
        ) from None
    rows = _rows(path, text)
    if not rows:
        raise RosterError(
            f"{path}: is empty; its first line must name the columns, e.g. {','.join(COLUMNS)}"
        )
    _, header = rows[0]
    columns = _columns(path, header)
    entries: dict[str, RosterEntry] = {}
    given: dict[str, Mapping[str, str]] = {}
    lines: dict[str, int] = {}
    for line, cells in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            raise RosterError(
                f"{path}: line {line} has {len(cells)} cells but line 1 names {len(columns)} "
                "columns; put double quotes around a value that contains a comma"
            )
        values = {name: cell.strip() for name, cell in zip(columns, cells, strict=False)}
        submission = values.get("submission", "")
        if not submission:
            raise RosterError(
                f"{path}: line {line}, column submission: is empty; "
                "every row needs the name of the student's submission"
            )
        if submission in entries:
            raise RosterError(
                f"{path}: line {line}, column submission: {submission!r} is already on "
                f"line {lines[submission]}"
            )
        _check_cells(path, line, values)
        entries[submission] = _entry(submission, values)
        given[submission] = MappingProxyType({k: v for k, v in values.items() if v})
        lines[submission] = line
    return Roster(path=path, entries=MappingProxyType(entries), given=MappingProxyType(given))


def with_known(roster: Roster | None, known: Iterable[Known]) -> Roster:
    """The roster the class files are written with: each of ``known`` with the roster's cells
    where it fills them, else what the submission said, else the module docstring's rule.

    A known student's roster row is the one whose ``submission`` is theirs, else (with a
    Canvas user id) the one whose ``canvas_id`` is theirs. Its ``canvas_id`` must agree with
    the one the submission gives: RosterError otherwise (one of them is wrong, and a grade
    would go to the wrong student). Students the roster lists but ``known`` does not are
    kept as they are. The result's ``given`` holds, for each known student, the cells of
    the roster row found for them.
    """
    roster = roster if roster is not None else Roster()
    by_canvas_id = {e.canvas_id: e.submission for e in roster.entries.values() if e.canvas_id}
    entries = dict(roster.entries)
    given = dict(roster.given)
    for student in known:
        row = student.submission
        if row not in roster.entries and student.canvas_id:
            row = by_canvas_id.get(student.canvas_id, row)
        cells = _cells(roster, row)
        roster_id = cells.get("canvas_id", "")
        if roster_id and student.canvas_id and roster_id != student.canvas_id:
            raise RosterError(
                f"{roster.path}: submission {row!r} has canvas_id {roster_id} but Canvas's "
                f"file name gives {student.canvas_id}; correct the roster"
            )
        said = {"name": student.name, "email": student.email, "canvas_id": student.canvas_id}
        values = {**{k: v for k, v in said.items() if v}, **cells}
        entry = _entry(student.submission, values)
        if not student.sis_from_submission:
            entry = replace(
                entry,
                sis_user_id=cells.get("sis_user_id", ""),
                sis_login_id=cells.get("sis_login_id", ""),
            )
        entries[student.submission] = entry
        given[student.submission] = MappingProxyType(dict(cells))
    return Roster(
        path=roster.path, entries=MappingProxyType(entries), given=MappingProxyType(given)
    )


def _cells(roster: Roster, submission: str) -> Mapping[str, str]:
    """The cells the roster fills for ``submission`` (all of a row made without ``given``)."""
    if submission in roster.given:
        return roster.given[submission]
    entry = roster.entries.get(submission)
    return {k: v for k, v in asdict(entry).items() if v} if entry is not None else {}


def _rows(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """Every row with the line it starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    rows = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise RosterError(f"{path}: line {start} is not valid CSV ({error})") from None
    return rows


def _columns(path: Path, header: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in header]
    for number, name in enumerate(columns, start=1):
        if name not in COLUMNS:
            raise RosterError(
                f"{path}: line 1, column {number} is {header[number - 1]!r}, which is not a "
                f"roster column; the columns are {', '.join(COLUMNS)}"
            )
        first = columns.index(name) + 1
        if first != number:
            raise RosterError(
                f"{path}: line 1, column {number}: {name!r} is already column {first}"
            )
    if "submission" not in columns:
        raise RosterError(
            f"{path}: line 1 has no submission column (the student's submission name), "
            f"only {', '.join(columns)}"
        )
    return columns


def _check_cells(path: Path, line: int, values: Mapping[str, str]) -> None:
    canvas_id = values.get("canvas_id", "")
    if canvas_id and not (canvas_id.isascii() and canvas_id.isdigit()):
        raise RosterError(
            f"{path}: line {line}, column canvas_id: must be a whole number "
            f"(the Canvas user id), not {canvas_id!r}"
        )
    email = values.get("email", "")
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise RosterError(
            f"{path}: line {line}, column email: must be an email address like "
            f"name@example.edu, not {email!r}"
        )


def _entry(submission: str, values: Mapping[str, str]) -> RosterEntry:
    def either(column: str) -> str:
        return values.get(column) or submission

    return RosterEntry(
        submission=submission,
        name=either("name"),
        canvas_id=values.get("canvas_id", ""),
        sis_user_id=either("sis_user_id"),
        sis_login_id=either("sis_login_id"),
        section=values.get("section", ""),
        email=values.get("email", ""),
        lti_user_id=either("lti_user_id"),
    )
