"""The code text a submission is compared by, and the given code that is never evidence.

A submission's text is its chunks as the grader runs them (a ``.py`` file whole, a notebook's
code cells in order, kit cells left out), joined with a blank line between chunks. Nothing is
run: the text is only read. The *given* code is what every student received: every ``.py`` file
of the assignment's release folder (the stubs with their helpers, the public tests, the
self-check and figure code) and the code cells of its notebooks.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.config import AssignmentConfig
from autograder.grading.submission import read_regular_file, read_submission

MAX_GIVEN_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class CodeText:
    """A submission's source as one text, and where each chunk (file or cell) starts in it.

    ``starts[i]`` is the character offset at which chunk ``labels[i]`` begins.
    """

    text: str
    labels: tuple[str, ...]
    starts: tuple[int, ...]

    def where(self, offset: int) -> tuple[str, int]:
        """The chunk label and the 1-based line within that chunk of character ``offset``."""
        index = max(0, bisect.bisect_right(self.starts, offset) - 1)
        if not self.labels:
            return "", 1
        start = self.starts[index]
        return self.labels[index], self.text.count("\n", start, max(start, offset)) + 1


def join_chunks(chunks: list[tuple[str, str]]) -> CodeText:
    """One :class:`CodeText` from ``(label, source)`` pairs, in order."""
    parts: list[str] = []
    labels: list[str] = []
    starts: list[int] = []
    position = 0
    for label, source in chunks:
        labels.append(label)
        starts.append(position)
        parts.append(source + "\n\n")
        position += len(source) + 2
    return CodeText("".join(parts), tuple(labels), tuple(starts))


def submission_code(path: Path, module: str) -> CodeText:
    """The code of the submission at ``path`` (a file or folder, as the grader finds it).

    Raises whatever :func:`autograder.grading.submission.read_submission` raises for a path
    that holds no submission; a notebook that is not valid JSON gives an empty text.
    """
    submission = read_submission(path, module)
    return join_chunks([(chunk.label, chunk.source) for chunk in submission.chunks])


def given_code(assignment: AssignmentConfig) -> list[str]:
    """The code every student was given: the release folder's ``.py`` files and notebook cells."""
    texts: list[str] = []
    folder = assignment.release_dir
    for path in sorted(folder.glob("*.py")) + sorted(folder.glob("*.ipynb")):
        data, _ = read_regular_file(path, MAX_GIVEN_BYTES)
        if path.suffix == ".py":
            texts.append(data.decode("utf-8", errors="replace"))
        else:
            texts += notebook_code_cells(data)
    return texts


def notebook_code_cells(data: bytes) -> list[str]:
    """Every code cell's source of a notebook (the kit's own cells too), as written."""
    try:
        cells = json.loads(data.decode("utf-8")).get("cells", [])
    except (UnicodeDecodeError, ValueError, AttributeError):
        return []
    texts = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            texts.append("".join(source) if isinstance(source, list) else str(source))
    return texts


DEFINITION = re.compile(r"(?:async[ \t]+def|def|class)[ \t]+(\w+)")
MAX_SHOWN_LINES = 40


@dataclass(frozen=True)
class Unit:
    """A top-level unit of a submission's code, as shown in the report."""

    name: str  # the function or class it defines, or "top level"
    where: str  # "line 12", or "code cell 3, line 1" for a notebook
    source: str  # its code, docstring left out, cut to MAX_SHOWN_LINES lines


def unit(code: CodeText, unit_starts: tuple[int, ...], index: int) -> Unit:
    """Unit ``index`` of ``code`` (``unit_starts`` as in :class:`~.fingerprints.Fingerprints`)."""
    start = unit_starts[index]
    end = unit_starts[index + 1] if index + 1 < len(unit_starts) else len(code.text)
    found = DEFINITION.match(code.text, start) if index > 0 else None
    label, line = code.where(start)
    where = f"line {line}" if label in ("", "file") else f"{label}, line {line}"
    return Unit(found.group(1) if found else "top level", where, _shown(code.text[start:end]))


def _shown(segment: str) -> str:
    """``segment`` without the docstring of the definition it starts with, at most 40 lines."""
    lines = segment.rstrip().splitlines()
    try:
        tree = ast.parse(segment)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is not None and tree.body:
        node = tree.body[0]
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            first, last = body[0].lineno, body[0].end_lineno or body[0].lineno
            lines = lines[: first - 1] + lines[last:]
    if len(lines) > MAX_SHOWN_LINES:
        lines = [*lines[:MAX_SHOWN_LINES], f"... ({len(lines) - MAX_SHOWN_LINES} more lines)"]
    return "\n".join(lines)
