"""Find one submission per student in the layouts instructors actually download.

Layouts recognised (``module`` is the assignment's module name, e.g. ``regression_losses``):

* **plain**: ``<student>.py``, ``<student>.ipynb``, or a folder ``<student>/`` (graded as
  ``autograder grade`` grades a folder);
* **nbgrader**: ``submitted/<student>/<assignment>/`` (pass the course folder, its
  ``submitted`` folder, or nothing else); the assignment folder holds the notebook;
* **Gradescope export** (folder or zip): ``submission_<id>/`` folders beside a
  ``submission_metadata.yml``; the student id is the first submitter's ``sid``,
  else their email, else ``submission_<id>``;
* **Canvas "Download Submissions"** (folder or zip): files named
  ``<name>[_LATE]_<canvas user id>_<submission id>_<original file name>``; the
  student id is the Canvas user id, and the name part is kept as the display name.

Every student of the class gets an :class:`Entry`, also one whose submission cannot be
graded (an empty folder, two different candidates, a symbolic link, a named pipe): its
``problem`` says why, in one sentence for the instructor. Two entries never share an id:
a Canvas or Gradescope resubmission keeps the newest file; plain-layout names that meet
on one id become one entry with a problem; ids that differ only by case get a short
hash, as they would share a folder on a case-insensitive file system.

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

CANVAS_NAME = re.compile(
    r"^(?P<name>[^_]+?)(?:_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$", re.I
)
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
class Entry:
    """One student's submission: an id safe to use as a folder name, the path, a display name.

    ``problem`` is None when the submission can be graded, else one sentence for the
    instructor saying why this student cannot be (the student is still in the class).
    """

    student_id: str
    path: Path
    name: str = ""
    layout: str = "plain"
    problem: str | None = None


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
        entries = _canvas(folder)
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
    entries = []
    for path in _children(metadata_file.parent):
        if not path.name.startswith("submission_") or path.name == METADATA:
            continue
        kind = _kind(path)
        if kind == "file":
            continue
        info = metadata.get(path.name)
        submitters = info.get(":submitters") if isinstance(info, dict) else None
        first = submitters[0] if isinstance(submitters, list) and submitters else None
        first = first if isinstance(first, dict) else {}
        raw = _text(first.get(":sid")) or _text(first.get(":email")) or path.name
        name = _text(first.get(":name"))
        entries.append(_entry(safe_id(raw), path, module, functions, name, "gradescope"))
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


def _canvas(folder: Path) -> list[Entry]:
    by_user: dict[str, list[tuple[Path, str, str]]] = {}
    for path in _children(folder):
        match = CANVAS_NAME.match(path.name)
        if match:
            by_user.setdefault(match["user"], []).append((path, match["name"], _kind(path)))
    entries = []
    for user, files in by_user.items():
        odd = [(path, kind) for path, _, kind in files if kind not in ("file", "folder")]
        code = [(path, name) for path, name, kind in files if kind == "file"]
        code = [(path, name) for path, name in code if path.suffix in CODE_SUFFIXES]
        name = files[0][1]
        if odd:
            entries.append(Entry(user, odd[0][0], name, "canvas", refusal(*odd[0])))
        elif code:  # several: a resubmission; _unique keeps the newest
            entries += [Entry(user, path, name, "canvas") for path, name in code]
        else:
            handed = ", ".join(shown(path.name, 80) for path, _, _ in files)
            entries.append(
                Entry(
                    user,
                    files[0][0],
                    name,
                    "canvas",
                    f"{shown(folder)}: this student handed in only {handed}, neither a .py file "
                    "nor a notebook",
                )
            )
    return entries


def _unique(entries: list[Entry]) -> list[Entry]:
    """One entry per id: a Canvas or Gradescope resubmission keeps its newest file; plain or
    nbgrader entries that meet on one id become one entry with a problem (no guessing)."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.student_id, []).append(entry)
    chosen = []
    for student_id, group in groups.items():
        if len(group) == 1:
            chosen.append(group[0])
        elif all(e.layout in ("canvas", "gradescope") for e in group):
            chosen.append(max(group, key=_modified))
        else:
            names = ", ".join(shown(e.path.name, 80) for e in group)
            problem = (
                f"{shown(group[0].path.parent)}: {names} are all submissions of {student_id}; "
                "keep only the one to grade"
            )
            chosen.append(dataclasses.replace(group[0], problem=problem))
    return chosen


def _modified(entry: Entry) -> float:
    try:
        return os.lstat(entry.path).st_mtime
    except OSError:
        return 0.0


def _distinct(entries: list[Entry]) -> list[Entry]:
    """Ids that differ only by case (Zoe, zoe) get a short hash: they would share a folder on a
    case-insensitive file system (macOS, Windows)."""
    folded: dict[str, int] = {}
    for entry in entries:
        key = entry.student_id.casefold()
        folded[key] = folded.get(key, 0) + 1
    return [
        dataclasses.replace(e, student_id=f"{e.student_id}-{_short_hash(e.student_id)}")
        if folded[e.student_id.casefold()] > 1
        else e
        for e in entries
    ]
