"""Turn what a student handed in (a ``.py`` file, a notebook, or a folder) into source chunks.

Reading a submission never runs it. A notebook that is not valid JSON is not
an error of the grader: it becomes a submission with a *problem* (graded 0,
with the reason). A missing path, a folder in which nothing can be found, a
folder whose candidates differ (:class:`SubmissionAmbiguous`) and anything that
is not a regular file or folder (:class:`SubmissionRefused`: a symbolic link,
a named pipe, a device) are the user's error (:class:`SubmissionNotFound`).

Which file of a folder is graded: the candidates are ``<module>.py`` and the
notebooks (and other ``.py`` files: all of them when there is neither, else
those that define one of the assignment's functions). One candidate is graded.
Of several, the one that implements something wins over those whose every
function still raises ``NotImplementedError`` (the released stub beside a
completed notebook); this is decided from the syntax tree, nothing is run. Two
that implement something and differ are not guessed between.

Files are opened without following symbolic links, checked to be regular
files on the open descriptor, and read up to a bound.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import stat
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.results import show_controls, spoken_list
from autograder.sandbox.client import Chunk

MAGIC_LINE = re.compile(r"^([ \t]*)([%!].*)$", re.MULTILINE)
CELL_MAGIC = re.compile(r"\A\s*%%(\S*)")  # a cell magic is the cell's first non-blank line
# Cell magics whose body IPython runs as Python in the notebook's own namespace, so names it
# defines exist afterwards (every other cell magic's body is not Python, or runs elsewhere).
PYTHON_CELL_MAGICS = frozenset({"time", "capture"})
SURROGATE = re.compile("[\ud800-\udfff]")
MAX_SOURCE_BYTES = 2 * 1024 * 1024
# The student's answer to the lesson's question (a person reads it): the notebook's markdown
# cell with this id, or one of these files beside the graded .py; at most so many characters.
ANSWER_CELL_ID = "answer"
ANSWER_FILES = ("ANSWER.md", "answer.md")
ANSWER_PLACEHOLDER = "YOUR ANSWER HERE"
MAX_ANSWER_CHARS = 20_000
KIT_CELL_KEY = "autograder"  # cell metadata {"autograder": {"kit": true, "sha256": ...}}
_READ_BLOCK = 1 << 20


class SubmissionNotFound(Exception):
    """The path does not hold a submission; the message is one sentence for the user."""


class SubmissionAmbiguous(SubmissionNotFound):
    """A folder holds several candidates that differ; the message names them."""


class SubmissionRefused(SubmissionNotFound):
    """A symbolic link, named pipe, device or socket where a file or folder was expected."""


@dataclass(frozen=True)
class Submission:
    """A submission read from disk: its chunks of source, hash and any problem reading it.

    ``notes`` are sentences for the student about what was read and what was left out
    (a cell magic's cell, an edited kit cell, the stub beside the graded notebook).
    """

    path: Path
    kind: str  # "python" or "notebook"
    chunks: tuple[Chunk, ...]
    sha256: str
    problem: str | None = None  # why it cannot be run at all (e.g. a notebook that is not JSON)
    notes: tuple[str, ...] = ()
    answer: str | None = None  # the answer to the lesson's question (:func:`answer_text`)


@dataclass(frozen=True)
class NotebookSource:
    """A notebook's code cells to run, a problem that stops all of them, notes on cells left
    out, and the text of its answer cell (None without one, or untouched)."""

    chunks: tuple[Chunk, ...]
    problem: str | None
    notes: tuple[str, ...] = ()
    answer: str | None = None


# -- reading files safely ----------------------------------------------------------------------


def kind_of(path: Path) -> str:
    """What ``path`` itself is, not following a link.

    One of "file", "folder", "symbolic link", "named pipe", "socket", "device" or "missing";
    raises :class:`SubmissionNotFound` if it cannot even be looked at (no permission).
    """
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except OSError as error:
        raise SubmissionNotFound(
            f"{shown(path)}: cannot be read ({error.strerror or error})"
        ) from None
    return _kind_of_mode(mode)


def _kind_of_mode(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device"


def refusal(path: Path, kind: str) -> str:
    """The sentence for a ``path`` that is a ``kind`` other than a regular file or folder."""
    return (
        f"{shown(path)}: is a {kind}, not a regular file or folder, so it is not graded"
        " (a submission never holds one)"
    )


def read_regular_file(path: Path, limit: int) -> tuple[bytes, str]:
    """The first ``limit + 1`` bytes of ``path`` and the sha256 of all of its bytes.

    The file is opened without following a symbolic link and without blocking (a named
    pipe), and must be a regular file on the open descriptor. Raises
    :class:`SubmissionRefused` otherwise, :class:`SubmissionNotFound` if it cannot be read.
    """
    kind = kind_of(path)
    if kind == "missing":
        raise SubmissionNotFound(f"{shown(path)}: no such file or folder")
    if kind != "file":
        raise SubmissionRefused(refusal(path, kind))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if kind_of(path) != "file":  # replaced by a link or pipe since the check above
            raise SubmissionRefused(refusal(path, kind_of(path))) from None
        raise SubmissionNotFound(
            f"{shown(path)}: cannot be read ({error.strerror or error})"
        ) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise SubmissionRefused(refusal(path, _kind_of_mode(mode)))
        digest = hashlib.sha256()
        kept = bytearray()
        while True:
            block = os.read(descriptor, _READ_BLOCK)
            if not block:
                break
            digest.update(block)
            if len(kept) <= limit:
                kept += block[: limit + 1 - len(kept)]
    except OSError as error:
        raise SubmissionNotFound(
            f"{shown(path)}: cannot be read ({error.strerror or error})"
        ) from None
    finally:
        os.close(descriptor)
    return bytes(kept), digest.hexdigest()


def shown(value: object, limit: int = 160) -> str:
    """``value`` as text fit for a sentence: invalid characters replaced, cut to ``limit``."""
    text = SURROGATE.sub("\ufffd", str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def valid_text(text: str) -> str:
    """``text`` with lone surrogates (from ``"\\ud800"`` escapes in JSON) replaced by U+FFFD."""
    return SURROGATE.sub("\ufffd", text)


# -- magics ------------------------------------------------------------------------------------


def without_magics(source: str) -> str:
    """Comment out IPython magics (``%``, ``%%``) and shell escapes (``!``), keeping line numbers.

    A cell that is already valid Python is left alone (a continuation line may
    start with ``%`` or ``!=``); otherwise only lines that begin a statement are
    rewritten, found with the tokenizer so that brackets and strings are respected.
    """
    try:
        compile(source, "<cell>", "exec")
        return source
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    lines = source.splitlines(keepends=True)
    for number in _statement_starts(source):
        if number > len(lines):
            continue
        line = lines[number - 1]
        match = MAGIC_LINE.match(line.rstrip("\r\n"))
        if match:
            ending = line[len(line.rstrip("\r\n")) :]
            lines[number - 1] = f"{match[1]}pass  # {match[2]}{ending}"
    return "".join(lines)


def _statement_starts(source: str) -> list[int]:
    """Line numbers on which a new logical line begins (all lines, if tokenizing fails)."""
    starts, depth, expect_start = [], 0, True
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            skipped = (
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.COMMENT,
                tokenize.INDENT,
                tokenize.DEDENT,
                tokenize.ENDMARKER,
            )
            if expect_start and token.type not in skipped:
                starts.append(token.start[0])
                expect_start = False
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth = max(0, depth - 1)
            elif token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth == 0):
                expect_start = True
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return sorted(set(starts)) or list(range(1, source.count("\n") + 2))


def cell_magic(source: str) -> str | None:
    """The name of the cell magic a cell starts with (``%%writefile x`` -> "writefile"), or None."""
    match = CELL_MAGIC.match(source)
    return match[1] if match else None


# -- kit cells ---------------------------------------------------------------------------------


def kit_cell_metadata(source: str) -> dict:
    """The metadata that marks a code cell as the kit's own (left out when grading).

    It records the hash of the cell's source, so an edited kit cell can be told apart.
    """
    return {KIT_CELL_KEY: {"kit": True, "sha256": _text_hash(source)}}


def _kit_cell_hash(cell: dict) -> str | None:
    """The source hash recorded in a kit cell's metadata ("" if none), None for other cells."""
    metadata = cell.get("metadata")
    mark = metadata.get(KIT_CELL_KEY) if isinstance(metadata, dict) else None
    if not isinstance(mark, dict) or mark.get("kit") is not True:
        return None
    recorded = mark.get("sha256")
    return recorded if isinstance(recorded, str) else ""


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# -- notebooks ---------------------------------------------------------------------------------


def read_notebook(data: bytes, name: str) -> NotebookSource:
    """The code cells of a notebook to run, in order, with notes on the cells left out.

    Left out: the kit's own cells (tagged by :func:`kit_cell_metadata`: the self-check and
    the experiment, which need files and IPython the grader does not give), and cells that
    start with a cell magic whose body is not Python (``%%writefile``, ``%%bash``, ...).
    Line magics and shell lines are commented out (:func:`without_magics`). Code cells are
    numbered as the student sees them, counting those left out.
    """
    try:
        notebook = json.loads(data.decode("utf-8"))
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return NotebookSource(
            (), f"{name} is not a valid notebook: it is not JSON (was it saved completely?)"
        )
    except (KeyError, TypeError):
        return NotebookSource((), f"{name} is not a valid notebook: it has no list of cells")
    chunks, notes = [], []
    code_number = 0
    answer = None
    for cell in cells:
        if _is_answer_cell(cell) and answer is None:
            answer = answer_text(_cell_source(cell))
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code_number += 1
        label = f"code cell {code_number}"
        source = _cell_source(cell)
        recorded = _kit_cell_hash(cell)
        if recorded is not None:
            if recorded != _text_hash(source):
                notes.append(
                    f"{label} is one of the kit's own cells, so it was not run when grading; "
                    "the changes you made to it were not graded either"
                )
            continue
        magic = cell_magic(source)
        if magic is not None and magic not in PYTHON_CELL_MAGICS:
            notes.append(
                f"{label} was not run: it starts with the cell magic %%{shown(magic, 40)}, "
                "and what follows a cell magic is not Python"
            )
            continue
        chunks.append(Chunk(label, f"<{label}>", without_magics(source)))
    return NotebookSource(tuple(chunks), None, tuple(notes), answer)


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(str(s) for s in source)
    return valid_text(str(source))


def _is_answer_cell(cell: object) -> bool:
    """The notebook's answer cell: markdown, with the kit's id, its source text or lines."""
    if not isinstance(cell, dict) or cell.get("id") != ANSWER_CELL_ID:
        return False
    source = cell.get("source")
    text = isinstance(source, str) or (
        isinstance(source, list) and all(isinstance(line, str) for line in source)
    )
    return cell.get("cell_type") == "markdown" and text


def answer_text(text: str) -> str | None:
    """A student's answer as kept: stripped, at most :data:`MAX_ANSWER_CHARS` characters
    (then said to be cut); None when it is empty or still the placeholder."""
    # control characters (a terminal's escape sequences) written out, lines and tabs kept
    text = show_controls(valid_text(text)).strip()
    if not text or text == ANSWER_PLACEHOLDER:
        return None
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS] + f"\n\n[cut at {MAX_ANSWER_CHARS:,} characters]"
    return text


def _answer_beside(folder: Path) -> str | None:
    """The answer file of a folder submission (:data:`ANSWER_FILES`), read as every
    submission file is (no link, no pipe, bounded); None without a readable one."""
    for name in ANSWER_FILES:
        if kind_of(folder / name) != "file":
            continue
        try:
            data, _ = read_regular_file(folder / name, 4 * MAX_ANSWER_CHARS)
        except (SubmissionNotFound, OSError):
            return None
        return answer_text(data.decode("utf-8", errors="replace"))
    return None


def notebook_chunks(data: bytes, name: str) -> tuple[tuple[Chunk, ...], str | None]:
    """The code cells of a notebook to run and any problem (see :func:`read_notebook`)."""
    notebook = read_notebook(data, name)
    return notebook.chunks, notebook.problem


# -- which file --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Assessment:
    """What a candidate file holds, from its syntax tree."""

    state: str  # "implemented", "unknown" (cannot be parsed), "stub" or "empty"
    work: str | None = None  # a fingerprint of the assignment functions it defines


def find_submission_file(path: Path, module: str, functions: Sequence[str] | None = None) -> Path:
    """The file to grade: ``path`` itself, or the candidate of a folder (see the module docstring).

    ``functions`` (the assignment's student functions) decides which functions count; without
    it, every public top-level function does. Raises :class:`SubmissionNotFound` (or its
    subclasses) with one sentence.
    """
    return _choose(Path(path), module, functions)[0]


def _choose(
    path: Path, module: str, functions: Sequence[str] | None
) -> tuple[Path, tuple[str, ...]]:
    """The file to grade and notes for the student on the candidates left out."""
    kind = kind_of(path)
    if kind == "missing":
        raise SubmissionNotFound(f"{shown(path)}: no such file or folder")
    if kind == "file":
        if path.suffix.lower() not in (".py", ".ipynb"):
            raise SubmissionNotFound(
                f"{shown(path)}: is neither a Python file (.py) nor a notebook (.ipynb), so it "
                "is not graded"
            )
        return path, ()
    if kind != "folder":
        raise SubmissionRefused(refusal(path, kind))
    files = _regular_files(path)
    module_file = f"{module}.py" if f"{module}.py" in files else None
    notebooks = sorted(n for n in files if n.endswith(".ipynb") and not n.startswith("."))
    others = sorted(
        n for n in files if n.endswith(".py") and not n.startswith(".") and n != module_file
    )
    primary = ([module_file] if module_file else []) + notebooks
    assessed: dict[str, _Assessment] = {}
    if primary:
        # other .py files (the self-check, the public tests, helpers) count only when they
        # define one of the assignment's functions: e.g. a copy the student worked in
        pool = list(primary)
        if functions:
            for name in others:
                assessment = _assess(path / name, functions)
                if assessment.state in ("implemented", "stub"):
                    assessed[name] = assessment
                    pool.append(name)
    else:
        pool = others
    if not pool:
        raise SubmissionNotFound(
            f"{shown(path)}: holds neither {module}.py nor a notebook nor any other .py file"
        )
    if len(pool) == 1:
        return path / pool[0], ()
    for name in pool:
        if name not in assessed:
            assessed[name] = _assess(path / name, functions)
    contenders = [n for n in pool if assessed[n].state in ("implemented", "unknown")]
    if len(contenders) == 1:
        chosen = contenders[0]
    elif contenders:
        works = {assessed[n].work for n in contenders}
        if len(works) != 1 or None in works:
            raise SubmissionAmbiguous(
                f"{shown(path)}: holds {_listed(contenders)}, which differ and could each be "
                "the work to grade; keep only the one to grade"
            )
        chosen = contenders[0]  # the same functions: the first by preference is as good
    elif module_file:
        chosen = module_file
    elif len(notebooks) == 1:
        chosen = notebooks[0]
    else:
        raise SubmissionAmbiguous(
            f"{shown(path)}: holds {_listed(pool)}, and none of them implements the assignment "
            "yet; keep only the one to grade"
        )
    notes = tuple(
        _left_out_note(name, chosen, assessed[name], assessed[chosen])
        for name in pool
        if name != chosen
    )
    return path / chosen, notes


def _regular_files(folder: Path) -> set[str]:
    """The names of the regular files directly in ``folder``.

    Raises :class:`SubmissionRefused` if anything in it is a link, pipe, socket or device.
    """
    names = set()
    try:
        with os.scandir(folder) as listing:
            for item in listing:
                mode = item.stat(follow_symlinks=False).st_mode
                kind = _kind_of_mode(mode)
                if kind not in ("file", "folder"):
                    raise SubmissionRefused(
                        f"{shown(folder)}: holds {shown(item.name, 80)!r}, a {kind}; a "
                        "submission folder may hold only regular files and folders, so it is "
                        "not graded"
                    )
                if kind == "file":
                    names.add(item.name)
    except OSError as error:
        raise SubmissionNotFound(
            f"{shown(folder)}: cannot be read ({error.strerror or error})"
        ) from None
    return names


def _listed(names: Sequence[str]) -> str:
    return spoken_list([shown(n, 80) for n in names])


def _left_out_note(name: str, chosen: str, left: _Assessment, graded: _Assessment) -> str:
    if left.state == "stub":
        reason = f"every function in {name} still raises NotImplementedError"
    elif left.state == "empty":
        reason = f"{name} defines none of the assignment's functions"
    elif left.work is not None and left.work == graded.work:
        reason = f"{name} holds the same functions"
    else:
        reason = f"{name} implements nothing"
    return f"Graded {chosen}, not {name}: {reason}."


def _assess(file: Path, functions: Sequence[str] | None) -> _Assessment:
    """Whether ``file`` implements any of ``functions`` (public functions if None), statically."""
    try:
        data, _ = read_regular_file(file, MAX_SOURCE_BYTES)
    except SubmissionNotFound:
        return _Assessment("unknown")
    if len(data) > MAX_SOURCE_BYTES:
        return _Assessment("unknown")
    if file.suffix == ".ipynb":
        notebook = read_notebook(data, file.name)
        if notebook.problem:
            return _Assessment("unknown")
        sources = [chunk.source for chunk in notebook.chunks]
    else:
        sources = [data.decode("utf-8", errors="replace")]
    definitions: dict[str, ast.AST] = {}
    unparsed = False
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            unparsed = True
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if functions is None and node.name.startswith("_"):
                    continue
                if functions is None or node.name in functions:
                    definitions[node.name] = node  # the last definition is the one that runs
            elif functions and isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in functions:
                        definitions[target.id] = node  # e.g. loss = lambda a, b: ...
    if any(not _is_stub(node) for node in definitions.values()):
        work = hashlib.sha256(
            repr(sorted((name, ast.dump(node)) for name, node in definitions.items())).encode()
        ).hexdigest()
        return _Assessment("implemented", work)
    if unparsed:
        return _Assessment("unknown")
    return _Assessment("stub" if definitions else "empty")


def _is_stub(node: ast.AST) -> bool:
    """A function left as released: it does nothing (a docstring, ``pass``), or it raises
    NotImplementedError at its top level and returns nothing anywhere.

    The kit's stubs keep the lines outside the solution region (e.g. converting the inputs)
    before ``raise NotImplementedError()``; a started function returns something.
    """
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    body = [
        statement
        for statement in node.body
        if not isinstance(statement, ast.Pass)
        and not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
    ]
    if not body:
        return True
    raises = any(isinstance(s, ast.Raise) and _not_implemented(s.exc) for s in body)
    return raises and not _returns_something(node)


def _not_implemented(raised: ast.AST | None) -> bool:
    if isinstance(raised, ast.Call):
        raised = raised.func
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def _returns_something(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``function`` itself (not a function inside it) returns a value or yields."""
    pending = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            return True
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        pending.extend(ast.iter_child_nodes(node))
    return False


# -- reading -----------------------------------------------------------------------------------


def read_submission(path: Path, module: str, functions: Sequence[str] | None = None) -> Submission:
    """Read the submission at ``path`` (see :func:`find_submission_file`)."""
    file, notes = _choose(Path(path), module, functions)
    data, digest = read_regular_file(file, MAX_SOURCE_BYTES)
    too_big = len(data) > MAX_SOURCE_BYTES
    if file.suffix == ".ipynb":
        if too_big:
            problem = f"{file.name} is larger than 2 MiB"
            return Submission(file, "notebook", (), digest, problem, notes)
        notebook = read_notebook(data, file.name)
        return Submission(
            file,
            "notebook",
            notebook.chunks,
            digest,
            notebook.problem,
            notes + notebook.notes,
            notebook.answer,
        )
    answer = _answer_beside(Path(path)) if kind_of(Path(path)) == "folder" else None
    if too_big:
        problem = f"{file.name} is larger than 2 MiB"
        return Submission(file, "python", (), digest, problem, notes, answer)
    text = data.decode("utf-8", errors="replace")
    chunks = (Chunk("file", f"{module}.py", text),)
    return Submission(file, "python", chunks, digest, None, notes, answer)
