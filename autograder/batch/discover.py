"""Find one submission per student in the layouts instructors actually download.

Layouts recognised (``module`` is the assignment's module name, e.g. ``week1``):

* **plain**: ``<student>.py``, ``<student>.ipynb``, or a folder ``<student>/`` (graded as
  ``autograder grade`` grades a folder);
* **nbgrader**: ``submitted/<student>/<assignment>/`` (pass the course folder, its
  ``submitted`` folder, or nothing else); the assignment folder holds the notebook;
* **Gradescope export** (folder or zip): ``submission_<id>/`` folders beside a
  ``submission_metadata.yml``; each submitter of a submission (a group has several) is a
  :class:`Member` whose id is their ``sid``, else their email, else ``submission_<id>``;
  the entry's id (its results folder) is the first submitter's;
* **Canvas "Download Submissions"** (folder or zip): files named
  ``<name>[_LATE]_<canvas user id>_<file id>_<original file name>`` (canvas-lms
  lib/content_zipper.rb; text and URL entries are ``<name>[_LATE]_<user id>_text.html`` and
  ``_link.html``); the student id is the Canvas user id, the name part (Canvas's sortable
  name lower-cased without separators, e.g. ``doejane``) is kept as the name, and
  ``_LATE`` as ``late``.

Every entry says who it belongs to (:attr:`Entry.students`): one :class:`Member`, or each
member of a Gradescope group submission, which is graded once and gives each member a row
in the class files.

Every student of the class gets an :class:`Entry`, also one whose submission cannot be
graded (an empty folder, two different candidates, a symbolic link, a named pipe): its
``problem`` says why, in one sentence for the instructor. Two entries never share an id,
and no student is a member of two entries: a Canvas student's files are one entry (see
:func:`_canvas_choice`), a Gradescope student listed in two submissions belongs to the
newest (``:created_at``); plain-layout names that meet on one id become one entry with a
problem; ids that differ only by case get a short hash, as they would share a folder on a
case-insensitive file system.

A zip is unpacked first (:func:`unpack_zip`), refusing members that would land outside
the target folder, links, duplicates, very deep or long paths, and archives above a size
or member-count limit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import stat
import time
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from autograder.grading.submission import (
    SubmissionNotFound,
    find_submission_file,
    kind_of,
    read_regular_file,
    refusal,
    shown,
)

# <name>[_LATE]_<user id>_<file id>_<original file name>: Canvas writes the name as the
# sortable name's word characters (underscores may stay, "_<digits>_" never does: it drops
# those underscores so that the ids can be read back), so the first "_<digits>_<digits>_"
# after the name is the ids.
CANVAS_NAME = re.compile(
    r"^(?P<name>.+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<file>\d+)_(?P<original>.+)$", re.S
)
# a text entry or a URL has no file id: <name>[_LATE]_<user id>_text.html or _link.html
CANVAS_ONLINE = re.compile(r"^(?P<name>.+?)(?P<late>_LATE)?_(?P<user>\d+)_(?:text|link)\.html$")
# Canvas names a file uploaded again under a name already used "<stem>-1<suffix>", "-2", ...
CANVAS_COPY = re.compile(r"-\d+$")
CODE_SUFFIXES = (".py", ".ipynb")
ID_PUNCTUATION = "._@+-"
MAX_ID_BYTES = 120  # UTF-8 bytes kept of a name (then "-" and an 8-digit hash at most)
MAX_ZIP_BYTES = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 20_000
MAX_MEMBER_DEPTH = 32  # folders in a member's path
MAX_MEMBER_PATH = 1024  # characters in a member's path
MAX_NAME_BYTES = 255  # one file or folder name (most file systems' limit)
MAX_METADATA_BYTES = 8 * 1024 * 1024
MAX_METADATA_NODES = 2_000_000  # YAML nodes once every alias is expanded
METADATA = "submission_metadata.yml"


class DiscoveryError(Exception):
    """The folder holds no recognisable submissions; the message is one sentence."""


@dataclass(frozen=True)
class Member:
    """One student a submission belongs to, as the export names them.

    ``student_id`` is unique in the class: the student's row in every class file (and the
    key of the roster's ``submission`` column). ``name`` and ``email`` are what the export
    says (Gradescope's metadata, a Canvas file name), ``canvas_id`` the Canvas user id a
    Canvas file name carries; each is "" when the export does not say.
    """

    student_id: str
    name: str = ""
    email: str = ""
    canvas_id: str = ""


@dataclass(frozen=True)
class Entry:
    """One submission to grade: an id safe to use as a folder name, the path, a display name.

    ``student_id`` names the submission's results folder (``OUT/<student_id>/``): it is
    graded once. ``members`` are the students it belongs to, when the export says (a
    Gradescope group lists each member; the first one's id is ``student_id``); empty means
    the one student ``student_id`` (see :attr:`students`). ``late`` is Canvas's ``_LATE``.
    ``problem`` is None when the submission can be graded, else one sentence for the
    instructor saying why this student cannot be (the student is still in the class).
    """

    student_id: str
    path: Path
    name: str = ""
    layout: str = "plain"
    problem: str | None = None
    late: bool = False
    members: tuple[Member, ...] = ()

    @property
    def students(self) -> tuple[Member, ...]:
        """Who this submission is graded for: ``members``, else the entry's own id and name."""
        return self.members or (Member(self.student_id, self.name),)


# -- ids ---------------------------------------------------------------------------------------


def safe_id(raw: str) -> str:
    """A student id usable as a single folder name, distinct for distinct names.

    Letters and digits of any script are kept (NFC-normalised, so "Zoé" and "Zoë" stay
    apart and a name typed on macOS equals the same name typed elsewhere), with ``._@+-``;
    anything else (separators, spaces, controls) becomes ``_``, leading dots go, and the
    id is cut to 120 bytes of UTF-8. Whenever something was replaced, removed or cut, a short
    stable hash of the name is appended, so "a b" and "a_b" remain two students.
    """
    text = unicodedata.normalize("NFC", raw.strip())
    kept = "".join(c if _allowed(c) else "_" for c in text).lstrip(".")
    while len(kept.encode("utf-8")) > MAX_ID_BYTES:  # a folder name holds 255 bytes
        kept = kept[:-1]
    if not text:
        return "unnamed"
    if kept == text:
        return kept
    return f"{kept or 'unnamed'}-{_short_hash(text)}"


def _allowed(character: str) -> bool:
    return character in ID_PUNCTUATION or unicodedata.category(character)[0] in "LNM"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


# -- zips --------------------------------------------------------------------------------------


def unpack_zip(archive: Path, target: Path) -> Path:
    """Unpack ``archive`` into ``target`` (absent, or an empty folder) safely; return ``target``.

    Refused, with one sentence (:class:`DiscoveryError`): a file that is not a zip, more
    than 20,000 members or 512 MiB, a member that would land outside ``target``, is
    nested deeper than 32 folders, has a path longer than 1024 characters or a name
    longer than 255 bytes, is a symbolic link or other special file, or appears twice
    (it would silently replace the first). Nothing becomes a link. On any failure
    ``target`` is removed, so nothing is left behind.
    """
    archive, target = Path(archive), Path(target)
    kind = _kind(target)
    if kind not in ("missing", "folder") or (kind == "folder" and any(target.iterdir())):
        raise DiscoveryError(f"{shown(target)}: is not an empty folder to unpack {archive} into")
    try:
        target.mkdir(parents=True, exist_ok=True)
        _unpack(archive, target)
    except BaseException as error:
        shutil.rmtree(target, ignore_errors=True)
        if isinstance(error, DiscoveryError) or not isinstance(error, Exception):
            raise
        if isinstance(error, zipfile.BadZipFile):
            raise DiscoveryError(f"{shown(archive)}: is damaged ({shown(error)})") from None
        reason = shown(getattr(error, "strerror", None) or error or type(error).__name__)
        raise DiscoveryError(f"{shown(archive)}: cannot be unpacked ({reason})") from None
    return target


def _unpack(archive: Path, target: Path) -> None:
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise DiscoveryError(f"{shown(archive)}: is not a valid zip file") from None
    except OSError as error:
        raise DiscoveryError(
            f"{shown(archive)}: cannot be read ({error.strerror or error})"
        ) from None
    with bundle:
        members = bundle.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise DiscoveryError(
                f"{shown(archive)}: holds {len(members)} files, more than {MAX_ZIP_MEMBERS}"
            )
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise DiscoveryError(
                f"{shown(archive)}: unpacks to more than {MAX_ZIP_BYTES >> 20} MiB"
            )
        plan = _plan(archive, members)
        for parts, member in plan:
            destination = target.joinpath(*parts)
            if member.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            descriptor = os.open(destination, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
            with os.fdopen(descriptor, "wb") as sink, bundle.open(member) as source:
                shutil.copyfileobj(source, sink, 1 << 20)
            _keep_time(destination, member)


def _plan(
    archive: Path, members: list[zipfile.ZipInfo]
) -> list[tuple[tuple[str, ...], zipfile.ZipInfo]]:
    """Each member's path parts, every member checked before anything is written."""
    plan, files, folders = [], {}, set()
    for member in members:
        parts = _member_parts(archive, member)
        if not parts:
            continue
        if member.is_dir():
            if parts in files:
                raise _conflict(archive, member)
            folders.add(parts)
        else:
            if parts in files or parts in folders:
                raise DiscoveryError(
                    f"{shown(archive)}: holds the member {shown(member.filename, 120)!r} twice; "
                    "the second copy would silently replace the first"
                )
            files[parts] = member
        folders.update(parts[:end] for end in range(1, len(parts)))
        plan.append((parts, member))
    for parts, member in files.items():
        if parts in folders:
            raise _conflict(archive, member)
    return plan


def _conflict(archive: Path, member: zipfile.ZipInfo) -> DiscoveryError:
    return DiscoveryError(
        f"{shown(archive)}: holds {shown(member.filename, 120)!r} both as a file and as a folder"
    )


def _member_parts(archive: Path, member: zipfile.ZipInfo) -> tuple[str, ...]:
    name = member.filename
    quoted = repr(shown(name, 120))
    if len(name) > MAX_MEMBER_PATH:
        raise DiscoveryError(
            f"{shown(archive)}: member {quoted} has a path of {len(name)} characters, "
            f"more than {MAX_MEMBER_PATH}"
        )
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if name.startswith("/") or ".." in parts:
        raise DiscoveryError(f"{shown(archive)}: member {quoted} would land outside the folder")
    if len(parts) > MAX_MEMBER_DEPTH:
        raise DiscoveryError(
            f"{shown(archive)}: member {quoted} is nested {len(parts)} folders deep, "
            f"more than {MAX_MEMBER_DEPTH}"
        )
    if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in parts):
        raise DiscoveryError(
            f"{shown(archive)}: member {quoted} has a file or folder name longer than "
            f"{MAX_NAME_BYTES} bytes"
        )
    # the Unix file type in the high bits: a link must not become a link, nor a pipe a pipe
    kind = stat.S_IFMT(member.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise DiscoveryError(
            f"{shown(archive)}: member {quoted} is a symbolic link; links are not unpacked "
            "(a class export holds none): remove it and try again"
        )
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise DiscoveryError(
            f"{shown(archive)}: member {quoted} is a special file (a pipe or device), not a "
            "file or folder: remove it and try again"
        )
    return parts


def _keep_time(path: Path, member: zipfile.ZipInfo) -> None:
    """Give the file its time in the archive (a resubmission is told apart by it)."""
    try:
        moment = time.mktime((*member.date_time, 0, 0, -1))
        os.utime(path, (moment, moment), follow_symlinks=False)
    except (OverflowError, ValueError, OSError):
        pass


# -- discovery ---------------------------------------------------------------------------------


def discover(
    folder: Path, module: str, assignment: str, functions: Sequence[str] | None = None
) -> list[Entry]:
    """Every student's submission in ``folder`` (see the module docstring), sorted by id.

    ``functions`` (the assignment's student functions) is passed on to
    :func:`autograder.grading.submission.find_submission_file` to judge folders.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DiscoveryError(f"{shown(folder)}: no such folder")
    layout = _layout(folder)
    if layout == "nbgrader":
        entries = _nbgrader(folder, module, assignment, functions)
    elif layout == "gradescope":
        entries = _gradescope(folder, module, functions)
    elif layout == "canvas":
        entries = _canvas(folder, module)
    else:
        entries = _plain(folder, module, functions)
    if not entries:
        raise DiscoveryError(
            f"{shown(folder)}: found no submissions (expected <student>.py, <student>.ipynb or "
            "<student>/ folders, an nbgrader submitted/ tree, or a Gradescope or Canvas export)"
        )
    return sorted(_distinct(_unique(entries)), key=lambda e: e.student_id)


def _kind(path: Path) -> str:
    """:func:`kind_of`, with "unreadable" for a path that cannot even be looked at."""
    try:
        return kind_of(path)
    except SubmissionNotFound:
        return "unreadable"


def _layout(folder: Path) -> str:
    if folder.name == "submitted" or _kind(folder / "submitted") == "folder":
        return "nbgrader"
    if _metadata_file(folder) is not None:
        return "gradescope"
    for path in folder.iterdir():
        if CANVAS_NAME.match(path.name) and path.suffix in CODE_SUFFIXES:
            return "canvas"
    return "plain"


def _folder_problem(path: Path, module: str, functions: Sequence[str] | None) -> str | None:
    """Why the folder at ``path`` cannot be graded (as ``autograder grade`` would say), or None."""
    try:
        find_submission_file(path, module, functions)
    except SubmissionNotFound as error:
        return str(error)
    except OSError as error:
        return f"{shown(path)}: cannot be read ({error.strerror or error})"
    return None


def _entry(
    student_id: str,
    path: Path,
    module: str,
    functions: Sequence[str] | None,
    name: str = "",
    layout: str = "plain",
) -> Entry:
    """An entry for ``path`` (a file or a folder), with its problem if it has one."""
    kind = _kind(path)
    if kind == "folder":
        problem = _folder_problem(path, module, functions)
    elif kind == "file":
        problem = None
    else:
        problem = refusal(path, kind)
    return Entry(student_id, path, name, layout, problem)


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as error:
        raise DiscoveryError(
            f"{shown(folder)}: cannot be listed ({error.strerror or error})"
        ) from None


def _plain(folder: Path, module: str, functions: Sequence[str] | None) -> list[Entry]:
    entries = []
    for path in _children(folder):
        kind = _kind(path)
        if path.name.startswith(".") or (kind == "folder" and path.name.startswith("_")):
            continue  # .ipynb_checkpoints, __MACOSX, __pycache__
        if kind != "folder" and path.suffix not in (*CODE_SUFFIXES, ""):
            continue  # a README or a gradebook beside the submissions (a link to one, too)
        stem = path.stem if path.suffix in CODE_SUFFIXES else path.name
        entries.append(_entry(safe_id(stem), path, module, functions))
    return entries


def _nbgrader(
    folder: Path, module: str, assignment: str, functions: Sequence[str] | None
) -> list[Entry]:
    submitted = folder if folder.name == "submitted" else folder / "submitted"
    entries = []
    for student in _children(submitted):
        if student.name.startswith("."):
            continue
        kind = _kind(student)
        if kind == "file":
            continue
        if kind != "folder":
            entries.append(
                Entry(safe_id(student.name), student, "", "nbgrader", refusal(student, kind))
            )
            continue
        work = student / assignment
        if _kind(work) == "missing":
            continue  # this student has not submitted this assignment
        entries.append(_entry(safe_id(student.name), work, module, functions, layout="nbgrader"))
    return entries


def _metadata_file(folder: Path) -> Path | None:
    if _kind(folder / METADATA) != "missing":
        return folder / METADATA
    for child in _children(folder):
        if _kind(child) == "folder" and _kind(child / METADATA) != "missing":
            return child / METADATA
    return None


def _gradescope(folder: Path, module: str, functions: Sequence[str] | None) -> list[Entry]:
    metadata_file = _metadata_file(folder)
    assert metadata_file is not None
    metadata = read_metadata(metadata_file)
    candidates = []
    for path in _children(metadata_file.parent):
        if not path.name.startswith("submission_") or path.name == METADATA:
            continue
        kind = _kind(path)
        if kind == "file":
            continue
        info = metadata.get(path.name)
        info = info if isinstance(info, dict) else {}
        members = _submitters(info.get(":submitters"), path.name)
        first = members[0]
        entry = _entry(first.student_id, path, module, functions, first.name, "gradescope")
        candidates.append(
            (_created(info.get(":created_at"), path), dataclasses.replace(entry, members=members))
        )
    return _claim(candidates)


def _submitters(submitters: object, folder_name: str) -> tuple[Member, ...]:
    """The members of one submission from its ``:submitters`` list (each a mapping with
    ``:name``, ``:sid`` and ``:email``); the folder name stands in for a member without
    an sid or email (numbered from the second such member on). A person listed twice in
    one submission is one member; no usable submitter at all is one member, the folder."""
    people = submitters if isinstance(submitters, list) else []
    members: dict[str, Member] = {}
    for person in people:
        if not isinstance(person, dict):
            continue
        email = _text(person.get(":email"))
        raw = _text(person.get(":sid")) or email
        student_id = safe_id(raw) if raw else safe_id(folder_name)
        if not raw and student_id in members:
            student_id = safe_id(f"{folder_name}-{len(members) + 1}")
        if student_id not in members:
            members[student_id] = Member(student_id, _text(person.get(":name")), email)
    return tuple(members.values()) or (Member(safe_id(folder_name)),)


def _created(created_at: object, path: Path) -> float:
    """When a submission was made: Gradescope's ``:created_at`` (YAML reads it as a
    datetime; a naive one is UTC), else the folder's modification time."""
    moment = created_at
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.strip().replace(" Z", "+00:00"))
        except ValueError:
            moment = None
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        try:
            return moment.timestamp()
        except (OverflowError, OSError, ValueError):
            pass
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return 0.0


def _claim(candidates: list[tuple[float, Entry]]) -> list[Entry]:
    """Each student in one submission only: the newest that lists them (a Gradescope export
    lists each student once; a merged or edited one may not). A submission keeps the
    members no newer one claimed, its id becoming its first remaining member's; one whose
    members all have a newer submission is left out, as a resubmission is."""
    claimed: set[str] = set()
    entries = []
    for _, entry in sorted(candidates, key=lambda c: (c[0], c[1].path.name), reverse=True):
        members = tuple(m for m in entry.members if m.student_id not in claimed)
        if not members:
            continue
        claimed.update(m.student_id for m in members)
        if members != entry.members:
            first = members[0]
            entry = dataclasses.replace(
                entry, student_id=first.student_id, name=first.name, members=members
            )
        entries.append(entry)
    return entries


def _text(value: object) -> str:
    """A metadata value as an id or a name: only strings and whole numbers count."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def read_metadata(path: Path) -> dict:
    """Gradescope's ``submission_metadata.yml``: a mapping of ``submission_<id>`` to its details.

    Refused with one sentence: a link or special file, more than 8 MiB, YAML that is not
    valid, nests too deep, or whose aliases expand to more than two million nodes (a few
    hundred bytes of nested aliases can otherwise take minutes and gigabytes).
    """
    try:
        data, _ = read_regular_file(path, MAX_METADATA_BYTES)
    except SubmissionNotFound as error:
        raise DiscoveryError(str(error)) from None
    if len(data) > MAX_METADATA_BYTES:
        raise DiscoveryError(
            f"{shown(path)}: is larger than {MAX_METADATA_BYTES >> 20} MiB, too large for "
            "a submissions list"
        )
    try:
        metadata = yaml.load(data.decode("utf-8"), Loader=_MetadataLoader)  # a SafeLoader, bounded
    except UnicodeDecodeError:
        raise DiscoveryError(f"{shown(path)}: is not UTF-8 text") from None
    except _TooLarge as error:
        raise DiscoveryError(f"{shown(path)}: {error}") from None
    except (yaml.YAMLError, RecursionError, MemoryError, ValueError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DiscoveryError(f"{shown(path)}: is not valid YAML ({shown(reason, 120)})") from None
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise DiscoveryError(f"{shown(path)}: is not a mapping of submissions to their details")
    return metadata


class _TooLarge(Exception):
    pass


class _MetadataLoader(yaml.SafeLoader):
    """PyYAML's safe loader (pure Python), refusing documents whose aliases expand too far."""

    def construct_document(self, node):
        _check_expansion(node, MAX_METADATA_NODES)
        return super().construct_document(node)


def _check_expansion(root: yaml.Node, limit: int) -> None:
    """Raise _TooLarge if ``root`` has more than ``limit`` nodes with every alias expanded.

    Each distinct node's expanded size is computed once (iteratively: no recursion), so
    this costs time linear in the document even when its expansion is exponential.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _node_children(node))
            if total > limit:
                raise _TooLarge(
                    f"its aliases expand to more than {limit:,} values (an alias bomb?)"
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise _TooLarge("an alias refers to the value that contains it")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _node_children(node) if id(child) not in sizes)


def _node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return []


@dataclass(frozen=True)
class _CanvasFile:
    """One file of a Canvas zip, read from its name."""

    path: Path
    kind: str
    user: str  # the Canvas user id
    name: str
    late: bool
    file_id: int  # -1 for a text entry or URL (no file)
    original: str  # the file name the student uploaded ("" for a text entry or URL)


def _canvas_file(path: Path) -> _CanvasFile | None:
    match = CANVAS_NAME.match(path.name)
    if match:
        file_id, original = int(match["file"]), match["original"]
    else:
        match = CANVAS_ONLINE.match(path.name)
        if not match:
            return None
        file_id, original = -1, ""
    return _CanvasFile(
        path, _kind(path), match["user"], match["name"], bool(match["late"]), file_id, original
    )


def _canvas(folder: Path, module: str) -> list[Entry]:
    by_user: dict[str, list[_CanvasFile]] = {}
    for path in _children(folder):
        found = _canvas_file(path)
        if found is not None:
            by_user.setdefault(found.user, []).append(found)
    entries = []
    for user, files in by_user.items():
        files.sort(key=lambda f: (f.file_id, f.path.name))
        odd = [f for f in files if f.kind not in ("file", "folder")]
        code = [f for f in files if f.kind == "file" and f.path.suffix in CODE_SUFFIXES]
        if odd:
            chosen, problem = odd[0], refusal(odd[0].path, odd[0].kind)
        elif code:
            chosen, problem = _canvas_choice(folder, code, module)
        else:
            handed = ", ".join(shown(f.path.name, 80) for f in files)
            chosen = files[-1]
            problem = (
                f"{shown(folder)}: this student handed in only {handed}, neither a .py file "
                "nor a notebook"
            )
        member = Member(user, chosen.name, canvas_id=user)
        entries.append(
            Entry(user, chosen.path, chosen.name, "canvas", problem, chosen.late, (member,))
        )
    return entries


def _canvas_choice(
    folder: Path, code: list[_CanvasFile], module: str
) -> tuple[_CanvasFile, str | None]:
    """Which of one student's code files to grade (``code`` is in upload order).

    Files uploaded as ``<module>.py`` or ``<module>.ipynb`` (or again as ``<module>-1.py``,
    ...) are the candidates when there are any, else all. The newest upload (the highest
    file id) of the candidates is graded, unless they were uploaded under different names
    none of which is the module's: then which one is the submission is not guessed.
    """
    wanted = (f"{module}.py", f"{module}.ipynb")
    named = [f for f in code if _uploaded_as(f.original) in wanted]
    if named:
        return named[-1], None
    if len({_uploaded_as(f.original) for f in code}) == 1:
        return code[-1], None
    handed = ", ".join(shown(f.path.name, 80) for f in code)
    return code[-1], (
        f"{shown(folder)}: this student handed in {handed}, none named {module}.py or "
        f"{module}.ipynb; which one to grade is not guessed: keep only that one"
    )


def _uploaded_as(original: str) -> str:
    """The name a file was first uploaded under: Canvas's "-1", "-2" suffix removed."""
    path = Path(original)
    return CANVAS_COPY.sub("", path.stem) + path.suffix


def _unique(entries: list[Entry]) -> list[Entry]:
    """One entry per id: plain or nbgrader entries that meet on one id become one entry with a
    problem (no guessing). Canvas and Gradescope entries are one per student already."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.student_id, []).append(entry)
    chosen = []
    for student_id, group in groups.items():
        if len(group) == 1:
            chosen.append(group[0])
        else:
            names = ", ".join(shown(e.path.name, 80) for e in group)
            problem = (
                f"{shown(group[0].path.parent)}: {names} are all submissions of {student_id}; "
                "keep only the one to grade"
            )
            chosen.append(dataclasses.replace(group[0], problem=problem))
    return chosen


def _distinct(entries: list[Entry]) -> list[Entry]:
    """Ids that differ only by case (Zoe, zoe) get a short hash: they would share a folder on a
    case-insensitive file system (macOS, Windows); so do ids that are a class file's name. The
    member the entry is named after is renamed with it."""
    folded: dict[str, int] = {}
    for entry in entries:
        key = entry.student_id.casefold()
        folded[key] = folded.get(key, 0) + 1
    reserved = _class_file_names()
    return [
        _renamed(e, f"{e.student_id}-{_short_hash(e.student_id)}")
        if folded[e.student_id.casefold()] > 1 or e.student_id.casefold() in reserved
        else e
        for e in entries
    ]


def _class_file_names() -> set[str]:
    """The names of the files a batch writes beside the students' folders (case-folded): a
    student whose id is one of them (a submission ``summary.html.py``) gets a short hash too,
    as a case collision does, so that no folder stands where a class file goes."""
    from autograder.batch.summary import FIGURE_NAMES
    from autograder.outputs.classfiles import CLASS_OUTPUTS

    return {name.casefold() for each in CLASS_OUTPUTS for name in each.files} | {
        name.casefold() for name in FIGURE_NAMES
    }


def case_free_id(student_id: str) -> str:
    """``student_id`` as it was before :func:`_distinct` gave it a case-collision suffix.

    ``Zoe-<hash>`` (``<hash>`` being the short hash of ``Zoe``) is ``Zoe``; any other id is
    itself. The suffix :func:`safe_id` appends is the hash of the raw name, never of the kept
    part, so it is not mistaken for this one. Shards use it: a student's slice must not move
    when someone whose id differs only by case joins the class.
    """
    base, dash, suffix = student_id.rpartition("-")
    if dash and base and suffix == _short_hash(base):
        return base
    return student_id


def _renamed(entry: Entry, student_id: str) -> Entry:
    members = tuple(
        dataclasses.replace(m, student_id=student_id) if m.student_id == entry.student_id else m
        for m in entry.members
    )
    return dataclasses.replace(entry, student_id=student_id, members=members)
