"""Find one submission per student in the layouts instructors actually download.

Layouts recognised (``module`` is the assignment's module name, e.g. ``regression_losses``):

* **plain**: ``<student>.py``, ``<student>.ipynb``, or a folder ``<student>/`` holding
  ``<module>.py`` or exactly one notebook;
* **nbgrader**: ``submitted/<student>/<assignment>/`` (pass the course folder, its
  ``submitted`` folder, or nothing else); the assignment folder holds the notebook;
* **Gradescope export** (folder or zip): ``submission_<id>/`` folders beside a
  ``submission_metadata.yml``; the student id is the first submitter's ``sid``,
  else their email, else ``submission_<id>``;
* **Canvas "Download Submissions"** (folder or zip): files named
  ``<name>[_LATE]_<canvas user id>_<submission id>_<original file name>``; the
  student id is the Canvas user id, and the name part is kept as the display name.

A zip is unpacked first, refusing members that would land outside the target
folder, and archives above a size or member-count limit.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

CANVAS_NAME = re.compile(
    r"^(?P<name>[^_]+?)(?:_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$", re.I
)
SAFE_ID = re.compile(r"[^A-Za-z0-9._@+-]")
MAX_ZIP_BYTES = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 20_000


class DiscoveryError(Exception):
    """The folder holds no recognisable submissions; the message is one sentence."""


@dataclass(frozen=True)
class Entry:
    """One student's submission: an id safe to use as a folder name, the path, a display name."""

    student_id: str
    path: Path
    name: str = ""
    layout: str = "plain"


def safe_id(raw: str) -> str:
    """A student id usable as a single folder name (no separators, no leading dots)."""
    cleaned = SAFE_ID.sub("_", raw.strip()).lstrip(".")
    return cleaned or "unnamed"


def unpack_zip(archive: Path, target: Path) -> Path:
    """Unpack ``archive`` into ``target`` safely; return ``target``."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise DiscoveryError(
                    f"{archive}: holds {len(members)} files, more than {MAX_ZIP_MEMBERS}"
                )
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise DiscoveryError(f"{archive}: unpacks to more than {MAX_ZIP_BYTES >> 20} MiB")
            root = target.resolve()
            for member in members:
                destination = (target / member.filename).resolve()
                if not destination.is_relative_to(root):
                    raise DiscoveryError(
                        f"{archive}: member {member.filename!r} would land outside the folder"
                    )
            bundle.extractall(target)
    except zipfile.BadZipFile:
        raise DiscoveryError(f"{archive}: is not a valid zip file") from None
    return target


def discover(folder: Path, module: str, assignment: str) -> list[Entry]:
    """Every student's submission in ``folder`` (see the module docstring), sorted by id."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DiscoveryError(f"{folder}: no such folder")
    for finder in (_nbgrader, _gradescope, _canvas, _plain):
        entries = finder(folder, module, assignment)
        if entries:
            return _unique(sorted(entries, key=lambda e: e.student_id))
    raise DiscoveryError(
        f"{folder}: found no submissions (expected <student>.py, <student>.ipynb or <student>/ "
        "folders, an nbgrader submitted/ tree, or a Gradescope or Canvas export)"
    )


def _unique(entries: list[Entry]) -> list[Entry]:
    """Keep one entry per id; a repeated id (e.g. a resubmission) keeps its newest file."""
    chosen: dict[str, Entry] = {}
    for entry in entries:
        previous = chosen.get(entry.student_id)
        if previous is None or entry.path.stat().st_mtime >= previous.path.stat().st_mtime:
            chosen[entry.student_id] = entry
    return list(chosen.values())


def _is_submission(path: Path, module: str) -> bool:
    if path.is_file():
        return path.suffix in (".py", ".ipynb") and not path.name.startswith(".")
    if path.is_dir() and not path.name.startswith((".", "_")):
        return (path / f"{module}.py").is_file() or any(path.glob("*.ipynb"))
    return False


def _plain(folder: Path, module: str, assignment: str) -> list[Entry]:
    return [
        Entry(safe_id(path.stem if path.is_file() else path.name), path)
        for path in sorted(folder.iterdir())
        if _is_submission(path, module)
    ]


def _nbgrader(folder: Path, module: str, assignment: str) -> list[Entry]:
    submitted = folder / "submitted" if (folder / "submitted").is_dir() else folder
    if submitted.name != "submitted":
        return []
    return [
        Entry(safe_id(student.name), student / assignment, layout="nbgrader")
        for student in sorted(submitted.iterdir())
        if (student / assignment).is_dir() and _is_submission(student / assignment, module)
    ]


def _gradescope(folder: Path, module: str, assignment: str) -> list[Entry]:
    metadata_files = list(folder.glob("submission_metadata.yml")) + list(
        folder.glob("*/submission_metadata.yml")
    )
    if not metadata_files:
        return []
    root = metadata_files[0].parent
    try:
        metadata = yaml.safe_load(metadata_files[0].read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        metadata = {}
    entries = []
    for path in sorted(root.glob("submission_*")):
        if not path.is_dir() or not _is_submission(path, module):
            continue
        submitters = (metadata.get(path.name) or {}).get(":submitters") or []
        first = submitters[0] if submitters and isinstance(submitters[0], dict) else {}
        raw = first.get(":sid") or first.get(":email") or path.name
        entries.append(Entry(safe_id(str(raw)), path, str(first.get(":name", "")), "gradescope"))
    return entries


def _canvas(folder: Path, module: str, assignment: str) -> list[Entry]:
    entries = []
    for path in sorted(folder.iterdir()):
        match = CANVAS_NAME.match(path.name)
        if not match or not path.is_file() or path.suffix not in (".py", ".ipynb"):
            continue
        entries.append(Entry(match["user"], path, match["name"], "canvas"))
    return entries
