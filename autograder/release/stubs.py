"""Turn a reference solution into student stubs.

Each region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes::

    # YOUR CODE HERE
    raise NotImplementedError()

at the region's indentation; everything else (signatures, docstrings, input
checks, helpers) is kept as it is. A region that is not closed, a nested
region, or an END without a BEGIN is an error naming the file and the line.
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[ \t]*$")
END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
MARKERS = (
    "### BEGIN SOLUTION",
    "### END SOLUTION",
    "### BEGIN HIDDEN TESTS",
    "### END HIDDEN TESTS",
)


class StubError(Exception):
    """The reference's solution markers are malformed; the message names file and line."""


def make_stubs(source: str, origin: str = "<reference>") -> str:
    """Return ``source`` with every solution region replaced by a stub."""
    output: list[str] = []
    opened_at: int | None = None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        begin, end = BEGIN.match(line.rstrip("\n")), END.match(line.rstrip("\n"))
        if begin:
            if opened_at is not None:
                raise StubError(
                    f"{origin}:{number}: a solution region starts inside the one opened at line {opened_at}"
                )
            opened_at = number
            indent = begin["indent"]
            output.append(f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()\n")
        elif end:
            if opened_at is None:
                raise StubError(
                    f"{origin}:{number}: ### END SOLUTION without a ### BEGIN SOLUTION before it"
                )
            opened_at = None
        elif opened_at is None:
            output.append(line)
    if opened_at is not None:
        raise StubError(f"{origin}:{opened_at}: the solution region opened here is never closed")
    return "".join(output)


def solution_lines(source: str) -> list[str]:
    """The substantive lines inside solution regions (stripped), for leak detection."""
    lines, inside = [], False
    for line in source.splitlines():
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside:
            text = line.strip()
            if len(text) >= 12 and not text.startswith("#"):
                lines.append(text)
    return lines


def stubs_for(reference: Path) -> str:
    """The stubs of the reference file at ``reference``."""
    return make_stubs(reference.read_text(encoding="utf-8"), str(reference))
