"""Plain-text tables of grading results for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from autograder.grading.results import GradeResult

PASS, FAIL = "✓", "✗"


def score_table(results: Sequence[GradeResult]) -> str:
    """One submission: a line per check. Several: a line per submission with what went wrong."""
    if len(results) == 1:
        return _checks_table(results[0])
    return _class_table(results)


def _checks_table(result: GradeResult) -> str:
    width = max([len(c.name) for c in result.checks] + [10])
    lines = [f"{result.submission}: {result.score:g} / {result.max_score:g} points"]
    for check in result.checks:
        mark = PASS if check.passed else FAIL
        note = f"  ({check.mistake_summary})" if check.mistake_summary else ""
        lines.append(
            f"  {mark} {check.name:<{width}}  {check.score:>5.2f} / {check.max_score:g}{note}"
        )
    for problem in result.load_problems:
        lines.append(f"  ! {problem}")
    return "\n".join(lines)


def _class_table(results: Sequence[GradeResult]) -> str:
    width = max([len(r.submission) for r in results] + [10])
    lines = [f"{'submission':<{width}}  {'score':>11}  what went wrong"]
    for result in results:
        lines.append(
            f"{result.submission:<{width}}  {result.score:>5.2f} / {result.max_score:<3g}  {what_went_wrong(result)}"
        )
    return "\n".join(lines)


def what_went_wrong(result: GradeResult) -> str:
    """A short phrase: the diagnosed mistakes, else the failing functions, else 'nothing'."""
    if result.load_problems and result.score == 0:
        return result.load_problems[0][:100]
    failed = [c for c in result.checks if not c.passed]
    if not failed:
        return "nothing: full marks"
    if all("not implemented yet" in c.output for c in failed) and len(failed) == len(result.checks):
        return "nothing implemented yet"
    mistakes = sorted({c.mistake_summary for c in failed if c.mistake_summary})
    functions = sorted({t for c in failed for t in c.tags})
    timeouts = sorted({t for c in failed if "time limit" in c.output for t in c.tags})
    parts = []
    if mistakes:
        parts.append("; ".join(mistakes))
    if timeouts:
        parts.append(f"time limit in {', '.join(timeouts)}")
    if not parts:
        parts.append(f"wrong: {', '.join(functions)}")
    return "; ".join(parts)
