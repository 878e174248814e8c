"""Turn what a student handed in (a ``.py`` file, a notebook, or a folder) into source chunks.

Reading a submission never runs it. A notebook that is not valid JSON is not
an error of the grader: it becomes a submission with a *problem* (graded 0,
with the reason). Only a missing path, or a folder in which nothing can be
found, is the user's error (:class:`SubmissionNotFound`).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox.client import Chunk

MAGIC_LINE = re.compile(r"^([ \t]*)([%!].*)$", re.MULTILINE)
MAX_SOURCE_BYTES = 2 * 1024 * 1024


class SubmissionNotFound(Exception):
    """The path does not hold a submission; the message is one sentence for the user."""


@dataclass(frozen=True)
class Submission:
    """A submission read from disk: its chunks of source, hash and any problem reading it."""

    path: Path
    kind: str  # "python" or "notebook"
    chunks: tuple[Chunk, ...]
    sha256: str
    problem: str | None = None  # why it cannot be run at all (e.g. a notebook that is not JSON)


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


def find_submission_file(path: Path, module: str) -> Path:
    """The file to grade: ``path`` itself, or ``module.py`` or the one notebook in a folder."""
    path = Path(path)
    if not path.exists():
        raise SubmissionNotFound(f"{path}: no such file or folder")
    if path.is_file():
        return path
    candidate = path / f"{module}.py"
    if candidate.is_file():
        return candidate
    notebooks = sorted(p for p in path.glob("*.ipynb") if not p.name.startswith("."))
    if len(notebooks) == 1:
        return notebooks[0]
    if len(notebooks) > 1:
        names = ", ".join(p.name for p in notebooks)
        raise SubmissionNotFound(
            f"{path}: holds several notebooks ({names}); name the one to grade"
        )
    scripts = sorted(p for p in path.glob("*.py") if not p.name.startswith("."))
    if len(scripts) == 1:
        return scripts[0]  # e.g. a Gradescope upload under another name
    raise SubmissionNotFound(f"{path}: holds neither {module}.py nor a notebook")


def read_submission(path: Path, module: str) -> Submission:
    """Read the submission at ``path`` (see :func:`find_submission_file`)."""
    file = find_submission_file(path, module)
    with open(file, "rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").hexdigest()
        stream.seek(0)
        data = stream.read(MAX_SOURCE_BYTES + 1)
    too_big = len(data) > MAX_SOURCE_BYTES
    if file.suffix == ".ipynb":
        if too_big:
            return Submission(file, "notebook", (), digest, f"{file.name} is larger than 2 MiB")
        chunks, problem = notebook_chunks(data, file.name)
        return Submission(file, "notebook", chunks, digest, problem)
    if too_big:
        return Submission(file, "python", (), digest, f"{file.name} is larger than 2 MiB")
    text = data.decode("utf-8", errors="replace")
    return Submission(file, "python", (Chunk("file", f"{module}.py", text),), digest)


def notebook_chunks(data: bytes, name: str) -> tuple[tuple[Chunk, ...], str | None]:
    """The code cells of a notebook, in order, with IPython magics and shell lines commented out."""
    try:
        notebook = json.loads(data.decode("utf-8"))
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return (), f"{name} is not a valid notebook: it is not JSON (was it saved completely?)"
    except (KeyError, TypeError):
        return (), f"{name} is not a valid notebook: it has no list of cells"
    chunks = []
    code_number = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code_number += 1
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        source = without_magics(str(source))
        chunks.append(Chunk(f"code cell {code_number}", f"<code cell {code_number}>", source))
    return tuple(chunks), None
