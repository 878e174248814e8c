"""``autograder new NAME``: a new assignment's two folders and its grading.yaml entry.

The files come from ``templates/``, a small working assignment (one function, a loss, with
its reference, a public and a hidden check, one catalogued mistake, two samples, a lesson and
a picture) whose names and texts hold placeholders:

* ``__NAME__`` becomes the assignment's name (also its module's name);
* ``__TITLE__`` a title made from it (``week_one`` → ``Week one``);
* ``__NAME_YAML__``, ``__TITLE_YAML__`` the same, written so that YAML reads them as strings
  (quoted when YAML would read a bare word such as ``yes`` as something else);
* ``__SEED__`` a seed base derived from the name.

``templates/reference/`` becomes ``reference/NAME/`` (hidden: the solution, checks, catalog,
samples) and ``templates/assignments/`` becomes ``assignments/NAME/`` (what students get), both
beside the course's grading.yaml. ``grading_entry.yaml`` is appended to that file's
``assignments:`` block (its comments and the other entries are kept byte for byte), or, when
there is no grading.yaml, ``grading_header.yaml`` followed by the entry becomes one.

Everything is checked before anything is written; each folder is assembled beside its place
and moved in whole, grading.yaml replaced atomically, and a failure part-way removes what was
made, so a refused or failed ``new`` leaves the course as it was.
"""

from __future__ import annotations

import contextlib
import json
import keyword
import os
import re
import shutil
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from autograder.errors import UsageError

TEMPLATES = Path(__file__).with_name("templates")
TREES = ("reference", "assignments")  # template folder = course folder holding NAME/
HEADER = TEMPLATES / "grading_header.yaml"
ENTRY = TEMPLATES / "grading_entry.yaml"
CONFIG_NAME = "grading.yaml"
SKIPPED = {"__pycache__", ".pytest_cache", ".ruff_cache"}

# Names a student module may not have: it would shadow what the grader, the self-check or
# the public checks import, or pytest would collect it as a test file.
RESERVED = {"numpy", "pytest", "matplotlib", "yaml", "autograder", "selfcheck", "conftest"}
RESERVED |= {"feedback_figures", "IPython", "ipykernel", "nbformat", "nbgrader"}
TOP_LEVEL_KEY = re.compile(r"^[^\s#]")
ASSIGNMENTS_LINE = re.compile(r"^assignments[ \t]*:[ \t]*(#.*)?$")


class ScaffoldError(UsageError):
    """The assignment cannot be scaffolded; the message is one sentence, and nothing was written.

    A :class:`~autograder.errors.UsageError`, so the command ends with the sentence and status 2.
    """


@dataclass(frozen=True)
class Scaffold:
    """What ``new_assignment`` made: the grading.yaml it wrote to and every file it created."""

    name: str
    config: Path
    config_created: bool
    files: tuple[Path, ...]

    def summary(self) -> str:
        """What was made and what to run next, for the terminal."""
        root = self.config.parent
        entry = "a new grading.yaml" if self.config_created else str(self.config)
        return (
            f"Created the assignment {self.name}: {root / 'reference' / self.name}/ (hidden: "
            f"solution, checks, mistake catalog, samples), {root / 'assignments' / self.name}/ "
            f"(what students get) and its entry in {entry}.\n"
            f"Next: autograder generate --assignment {self.name}, then autograder demo "
            f"--assignment {self.name}; docs/authoring.md walks you from here to a graded class."
        )


def new_assignment(name: str, config: Path | None = None) -> Scaffold:
    """Scaffold the assignment ``name`` beside ``config`` (default: ``./grading.yaml``).

    Creates ``reference/<name>/`` and ``assignments/<name>/`` in the folder holding the
    config, and adds the assignment's entry to the config (creating the file if there is
    none). Raises :class:`ScaffoldError`, having written nothing, if ``name`` is not a usable
    module name, if the config already defines it (or an assignment whose module it is), if
    either folder exists, or if the config cannot be read or extended safely.
    """
    config = Path(config) if config is not None else Path(CONFIG_NAME)
    check_name(name)
    root = config.parent
    if config.exists():
        old_text = _read_config(config)
        new_text = _with_entry(config, old_text, name)
    else:
        if not root.is_dir():
            raise ScaffoldError(f"{root}: there is no such folder to create {config.name} in")
        old_text = None
        new_text = HEADER.read_text(encoding="utf-8") + _indented(entry_text(name), "  ")
    targets = {tree: root / tree / name for tree in TREES}
    for target in targets.values():
        if target.exists() or target.is_symlink():
            raise ScaffoldError(
                f"{target} already exists; choose another name or move that folder away"
            )
    created: list[Path] = []
    new_parents = [t.parent for t in targets.values() if not t.parent.exists()]
    try:
        files: list[Path] = []
        for tree, target in targets.items():
            files += _place_tree(TEMPLATES / tree, target, name, created)
        _write_atomically(config, new_text)
    except OSError as error:
        for folder in created:
            shutil.rmtree(folder, ignore_errors=True)
        for folder in new_parents:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: made by this call, for this assignment
        raise ScaffoldError(
            f"{error.filename or root}: the scaffold could not be written "
            f"({error.strerror or error}); nothing was kept"
        ) from None
    return Scaffold(name, config, old_text is None, (*sorted(files), config))


def check_name(name: str) -> None:
    """Raise :class:`ScaffoldError` unless ``name`` can name an assignment and its module."""
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise ScaffoldError(
            f"{name!r} is not a Python identifier; an assignment's name is its module's name "
            "(ASCII letters, digits and underscores, not starting with a digit)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ScaffoldError(f"{name!r} is a Python keyword, so no module can have that name")
    if name.lower().startswith("test"):
        raise ScaffoldError(
            f"{name!r} starts with 'test', so pytest would collect the students' {name}.py "
            "as a test file; choose another name"
        )
    if name in RESERVED or name in sys.stdlib_module_names:
        raise ScaffoldError(
            f"{name!r} is the name of a module the kit or Python uses; a student module of "
            "that name would shadow it, so choose another name"
        )


def title_of(name: str) -> str:
    """A title made from the name: underscores become spaces, the first letter a capital."""
    words = " ".join(name.replace("_", " ").split())
    return words[:1].upper() + words[1:] if words else name


def yaml_scalar(text: str) -> str:
    """``text`` as YAML that reads back as that very string (quoted only when it must be)."""
    try:
        plain = yaml.safe_load(f"key: {text}\n")
    except yaml.YAMLError:
        plain = None
    if isinstance(plain, dict) and plain.get("key") == text and "#" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def seed_of(name: str) -> int:
    """A seed base from the name: stable, so scaffolding a name twice gives the same files."""
    return 10_000_000 + zlib.crc32(name.encode()) % 90_000_000


def render(text: str, name: str) -> str:
    """A template's text with its placeholders filled in for ``name``."""
    title = title_of(name)
    replacements = {
        "__NAME_YAML__": yaml_scalar(name),
        "__TITLE_YAML__": yaml_scalar(title),
        "__NAME__": name,
        "__TITLE__": title,
        "__SEED__": str(seed_of(name)),
    }
    pattern = re.compile("|".join(re.escape(key) for key in replacements))
    return pattern.sub(lambda match: replacements[match.group(0)], text)


def entry_text(name: str) -> str:
    """The grading.yaml entry of ``name``, unindented (its first line is ``name:``)."""
    return render(ENTRY.read_text(encoding="utf-8"), name)


def _read_config(config: Path) -> str:
    try:
        text = config.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScaffoldError(f"{config}: cannot be read ({error})") from None
    return text


def _parsed(config: Path, text: str) -> dict:
    """The config's assignments, read as YAML; a sentence if it is not a mapping of them."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ScaffoldError(
            f"{config}: is not valid YAML{where}; fix it before adding an assignment"
        ) from None
    assignments = data.get("assignments") if isinstance(data, dict) else None
    if assignments is None and isinstance(data, dict) and "assignments" in data:
        assignments = {}  # "assignments:" with nothing under it yet
    if not isinstance(assignments, dict):
        raise ScaffoldError(
            f"{config}: has no 'assignments:' mapping to add the assignment to; "
            "fix it, or scaffold in a folder without a grading.yaml"
        )
    return assignments


def _with_entry(config: Path, text: str, name: str) -> str:
    """``text`` with the entry of ``name`` appended to its ``assignments:`` block."""
    assignments = _parsed(config, text)
    if name in assignments:
        raise ScaffoldError(f"{config}: it already defines an assignment {name!r}")
    for other, body in assignments.items():
        if isinstance(body, dict) and body.get("module") == name:
            raise ScaffoldError(
                f"{config}: the assignment {other!r} already has the module {name!r}; "
                "choose another name"
            )
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    starts = [i for i, line in enumerate(lines) if ASSIGNMENTS_LINE.match(line.rstrip("\r\n"))]
    if len(starts) != 1:
        raise ScaffoldError(
            f"{config}: its assignments are not written as a block ('assignments:' alone on a "
            f"line, each entry indented below it), so the entry for {name!r} cannot be added "
            "safely; add it by hand (docs/authoring.md shows one)"
        )
    start = starts[0]
    end = next(
        (i for i in range(start + 1, len(lines)) if TOP_LEVEL_KEY.match(lines[i])), len(lines)
    )
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # leave blank lines and comments before the next key where they are
    indent = next(
        (
            line[: len(line) - len(line.lstrip(" "))]
            for line in lines[start + 1 : end]
            if line.strip() and not line.lstrip().startswith("#")
        ),
        "  ",
    )
    if not indent:
        indent = "  "
    separator = ["\n"] if end > start + 1 else []
    new_lines = [*lines[:end], *separator, _indented(entry_text(name), indent), *lines[end:]]
    new_text = "".join(new_lines)
    # The other entries and keys must read back exactly as before, and the new one as written.
    expected = yaml.safe_load(entry_text(name))
    try:
        data = yaml.safe_load(new_text)
    except yaml.YAMLError:
        data = None
    old = yaml.safe_load(text)
    if (
        not isinstance(data, dict)
        or {k: v for k, v in data.items() if k != "assignments"}
        != {k: v for k, v in old.items() if k != "assignments"}
        or data.get("assignments") != {**assignments, **expected}
    ):
        raise ScaffoldError(
            f"{config}: the entry for {name!r} could not be added without changing how the "
            "rest of the file reads; add it by hand (docs/authoring.md shows one)"
        )
    return new_text


def _indented(text: str, indent: str) -> str:
    return "".join(
        indent + line if line.strip() else line for line in text.splitlines(keepends=True)
    )


def _place_tree(template: Path, target: Path, name: str, created: list[Path]) -> list[Path]:
    """Render ``template`` into a folder beside ``target``, then move it to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.new.", dir=target.parent))
    created.append(staging)
    written = []
    for source in sorted(template.rglob("*")):
        relative = source.relative_to(template)
        if source.is_dir() or any(part in SKIPPED for part in relative.parts):
            continue
        relative = Path(render(relative.as_posix(), name))
        destination = staging / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(render(source.read_text(encoding="utf-8"), name), encoding="utf-8")
        written.append(target / relative)
    os.chmod(staging, 0o755)  # mkdtemp makes it private; a course folder is not
    os.replace(staging, target)
    created[-1] = target
    return written


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
