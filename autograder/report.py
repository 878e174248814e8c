"""Plain-text tables of grading results for the terminal.

Everything here may hold text from a submission (its file name, exception
messages); a terminal obeys escape sequences, so every piece is passed through
:func:`terminal_text`, which writes control characters out (``\\x1b``)
instead of sending them.
"""

from __future__ import annotations

from collections.abc import Sequence

from autograder.grading.results import GradeResult, nothing_implemented, show_controls

PASS, FAIL = "✓", "✗"


def terminal_text(text: str, keep_newlines: bool = True) -> str:
    """``text`` safe to print: control characters (ESC, C0, C1, bidi overrides) written out,
    characters UTF-8 cannot encode replaced; newlines kept unless ``keep_newlines`` is False.

    >>> print(terminal_text("bob" + chr(27) + "[2J.py"))
    bob\\x1b[2J.py
    """
    return show_controls(text, keep_newlines=keep_newlines)


def _one_line(text: str) -> str:
    return terminal_text(text, keep_newlines=False)


def score_table(results: Sequence[GradeResult]) -> str:
    """One submission: a line per check. Several: a line per submission with what went wrong.

    Safe to print: see :func:`terminal_text`.
    """
    if len(results) == 1:
        return _checks_table(results[0])
    return _class_table(results)


def _checks_table(result: GradeResult) -> str:
    names = [_one_line(c.name) for c in result.checks]
    width = max([len(name) for name in names] + [10])
    lines = [f"{_one_line(result.submission)}: {result.score:g} / {result.max_score:g} points"]
    for check, name in zip(result.checks, names, strict=True):
        mark = PASS if check.passed else FAIL
        note = f"  ({_one_line(check.mistake_summary)})" if check.mistake_summary else ""
        lines.append(f"  {mark} {name:<{width}}  {check.score:>5.2f} / {check.max_score:g}{note}")
    for problem in result.load_problems:
        # a syntax error's text spans lines: keep them, indented under the "!"
        lines.append("  ! " + terminal_text(problem.rstrip("\n")).replace("\n", "\n    "))
    return "\n".join(lines)


def _class_table(results: Sequence[GradeResult]) -> str:
    names = [_one_line(r.submission) for r in results]
    width = max([len(name) for name in names] + [10])
    lines = [f"{'submission':<{width}}  {'score':>11}  what went wrong"]
    for result, name in zip(results, names, strict=True):
        lines.append(
            f"{name:<{width}}  {result.score:>5.2f} / {result.max_score:<3g}  "
            f"{_one_line(what_went_wrong(result))}"
        )
    return "\n".join(lines)


def what_went_wrong(result: GradeResult) -> str:
    """A short phrase: the diagnosed mistakes, else the failing functions, else 'nothing'."""
    if result.load_problems and result.score == 0:
        return result.load_problems[0][:100]
    failed = [c for c in result.checks if not c.passed]
    if not failed:
        return "nothing: full marks"
    if nothing_implemented(result.checks):
        return "nothing implemented yet"
    mistakes = sorted({c.mistake_summary for c in failed if c.mistake_summary})
    functions = sorted({t for c in failed for t in c.tags})
    timeouts = sorted({t for c in failed if "timeout" in c.failure_kinds for t in c.tags})
    parts = []
    if mistakes:
        parts.append("; ".join(mistakes))
    if timeouts:
        parts.append(f"time limit in {', '.join(timeouts)}")
    if not parts:
        parts.append(f"wrong: {', '.join(functions)}")
    return "; ".join(parts)
