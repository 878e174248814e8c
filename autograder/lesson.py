"""A lesson's text: its ``## `` sections, and its wording for each kind of reader.

The lesson is the release folder's README.md, which students read, the notebook's markdown is
made of (:mod:`autograder.release.notebook`), and the feedback pages quote where a diagnosis
cites it (:mod:`autograder.feedback.pages`).
"""

from __future__ import annotations

import re

SECTION = re.compile(r"^## ", re.MULTILINE)


def split_sections(readme: str) -> tuple[str, list[str]]:
    """The README's text before its first ``## `` heading, and each ``## `` section."""
    parts = SECTION.split(readme)
    head, sections = parts[0], ["## " + part for part in parts[1:]]
    return head.strip(), [s.strip() for s in sections]


FILE_MARKER = "<!-- file -->"
NOTEBOOK_MARKER = "<!-- notebook"
_RULE = (
    f"the text for students of the .py file goes after a line {FILE_MARKER!r}, the notebook's "
    f"after a line {NOTEBOOK_MARKER!r}, and a line '-->' ends it"
)


class LessonMarkupError(ValueError):
    """A lesson's ``<!-- file -->`` / ``<!-- notebook`` markers do not pair up; the message
    names the line."""


def notebook_wording(readme: str) -> str:
    """The lesson as the notebook says it (:func:`lesson_wording`)."""
    return lesson_wording(readme, "notebook")


def file_wording(readme: str) -> str:
    """The lesson as the README says it to students of the ``.py`` file, the notebook's
    passages and the markers left out (:func:`lesson_wording`)."""
    return lesson_wording(readme, "file")


def lesson_wording(readme: str, reader: str) -> str:
    """The lesson as ``reader`` (``"notebook"`` or ``"file"``) reads it.

    A lesson may word a passage twice: a line ``<!-- file -->``, the text for students who
    work in the ``.py`` file, a line ``<!-- notebook``, the notebook's text, and a line ``-->``.
    The README shows the first and hides the second in a comment; the notebook shows the
    second in place of the first. Either way the markers go. Raises :class:`LessonMarkupError`
    naming the line of a marker out of that order.
    """
    kept: list[str] = []
    state, opened = "both", 0  # "file" or "notebook" inside a pair, from the line ``opened``
    for number, line in enumerate(readme.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == FILE_MARKER:
            if state != "both":
                _unpaired(number, f"{FILE_MARKER!r} comes before the pair of line {opened} ends")
            state, opened = "file", number
        elif marker == NOTEBOOK_MARKER:
            if state != "file":
                _unpaired(number, f"{NOTEBOOK_MARKER!r} has no {FILE_MARKER!r} before it")
            state, opened = "notebook", number
        elif state == "notebook" and marker == "-->":
            state = "both"
        elif state in ("both", reader):
            kept.append(line)
    if state == "file":
        _unpaired(opened, f"{FILE_MARKER!r} has no {NOTEBOOK_MARKER!r} after it")
    if state == "notebook":
        _unpaired(opened, f"{NOTEBOOK_MARKER!r} is never closed by a line '-->'")
    return "".join(kept)


def _unpaired(line: int, what: str) -> None:
    raise LessonMarkupError(f"line {line}: {what} ({_RULE})")
