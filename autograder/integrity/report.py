"""``similarity.csv`` and ``similarity.html``: the pairs worth a look, why, and what was left out.

The words are careful on purpose. A pair is "worth a look": its code or its wrong answers agree
more than the rest of the class's do. That is a reason for a person to read both submissions,
never a finding that anyone copied. Every row shows its evidence, and the page says what was
compared and what was excluded, so a reader can judge the evidence's weight.

Everything from a submission (student ids, code, function names, values) is escaped for HTML
and made safe for spreadsheets in the CSV.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder.export.common import csv_text
from autograder.grading.results import show_controls
from autograder.integrity import code_similarity, pairs, shared_answers
from autograder.integrity.code_similarity import CodeIndexSummary
from autograder.integrity.fingerprints import K
from autograder.integrity.pairs import Pair
from autograder.integrity.shared_answers import AnswerIndexSummary
from autograder.integrity.sources import Unit
from autograder.outputs.atomic import write_text_atomic

CSV_HEADER = (
    "student_a",
    "student_b",
    "flagged",
    "evidence",
    "code_share_a",
    "code_share_b",
    "code_functions_a",
    "code_functions_b",
    "shared_wrong_functions",
    "shared_wrong_answers",
)

CSV_NAME, HTML_NAME = "similarity.csv", "similarity.html"
UnitsOf = Callable[[str, Sequence[tuple[int, float]]], list[Unit]]


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report shows besides the pairs."""

    assignment: str
    students: int
    code: CodeIndexSummary | None  # None when no code could be compared
    answers: AnswerIndexSummary | None  # None when no answers could be compared
    given_files: tuple[str, ...]  # the release folder's files treated as given code
    unreadable: dict[str, str] = field(default_factory=dict)  # student -> why not compared


def evidence_text(pair: Pair, units_of: UnitsOf) -> str:
    """The evidence of one pair in a sentence or two (the CSV's ``evidence``)."""
    parts = []
    if pair.code is not None:
        parts.append(
            f"code: {pair.code.share_a:.0%} of {pair.a}'s code and "
            f"{pair.code.share_b:.0%} of {pair.b}'s match, weighed by rarity ("
            f"{pair.a}: {_names(units_of(pair.a, pair.code.units_a))}; "
            f"{pair.b}: {_names(units_of(pair.b, pair.code.units_b))})"
        )
    for shared in pair.answers:
        parts.append(
            f"shared rare wrong answer: {shared.call} gave {shared.shown} "
            f"(expected {shared.expected}; {shared.holders} students gave it)"
        )
    return "; ".join(parts)


def _names(units: Sequence[Unit]) -> str:
    return ", ".join(u.name for u in units) or "no single function"


def similarity_csv(rows: Sequence[Pair], units_of: UnitsOf) -> str:
    """The CSV: one row per pair worth a look, flagged ones first."""
    table: list[Sequence[str | float | None]] = [CSV_HEADER]
    for pair in rows:
        code = pair.code
        table.append(
            (
                show_controls(pair.a, keep_newlines=False),
                show_controls(pair.b, keep_newlines=False),
                "yes" if pair.flagged else "no",
                show_controls(evidence_text(pair, units_of), keep_newlines=False),
                round(code.share_a, 3) if code else None,
                round(code.share_b, 3) if code else None,
                _names(units_of(pair.a, code.units_a)) if code else None,
                _names(units_of(pair.b, code.units_b)) if code else None,
                " ".join(pair.answer_functions) or None,
                len(pair.answers),
            )
        )
    return csv_text(table)


def _e(text: object) -> str:
    return html.escape(show_controls(str(text)), quote=True)


STYLE = (
    "body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}"
    "pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:90%;margin:.2em 0}"
    ".side{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1em}"
    "section{border-top:1px solid #ccc;margin-top:1.5em}"
    ".flag{color:#a33;font-weight:bold}"
)


def similarity_html(rows: Sequence[Pair], inputs: ReportInputs, units_of: UnitsOf) -> str:
    """The page: what the report is, the pairs with their evidence, what was compared and left out."""
    flagged = [p for p in rows if p.flagged]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Pairs worth a look: {_e(inputs.assignment)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Pairs worth a look: {_e(inputs.assignment)}</h1>",
        "<p>Each pair below wrote code, or gave wrong answers, that agree more than the rest "
        "of the class's do. That makes the pair <em>worth a look</em>: read both submissions "
        "side by side, and talk with the students, before drawing any conclusion. Similar work "
        "has innocent causes too (studying together, the same tutor, the same example "
        "found online), and a pair that is not listed is not thereby cleared.</p>",
        f"<p>{inputs.students} submission{'' if inputs.students == 1 else 's'}; {len(rows)} "
        f"pair{'' if len(rows) == 1 else 's'} worth a look, {len(flagged)} of them flagged.</p>",
    ]
    if rows:
        parts.append(
            "<table><tr><th>student a</th><th>student b</th><th>flagged</th><th>why</th></tr>"
        )
        for number, pair in enumerate(rows, 1):
            why = "; ".join(pair.reasons) if pair.flagged else "weaker evidence (see below)"
            parts.append(
                f"<tr><td><a href='#pair-{number}'>{_e(pair.a)}</a></td><td>{_e(pair.b)}</td>"
                f"<td>{'<span class=flag>yes</span>' if pair.flagged else 'no'}</td>"
                f"<td>{_e(why)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>No pair stands out.</p>")
    for number, pair in enumerate(rows, 1):
        parts += _pair_section(number, pair, units_of)
    parts += _excluded(inputs)
    parts.append("</body></html>")
    return "\n".join(parts)


def _pair_section(number: int, pair: Pair, units_of: UnitsOf) -> list[str]:
    parts = [
        f"<section id='pair-{number}'><h2>{number}. {_e(pair.a)} and {_e(pair.b)}"
        f"{' (flagged)' if pair.flagged else ''}</h2>"
    ]
    if pair.reasons:
        parts.append(f"<p>Flagged because {_e('; '.join(pair.reasons))}.</p>")
    if pair.code is not None:
        code = pair.code
        parts.append(
            f"<h3>Matching code</h3><p>{code.share_a:.0%} of {_e(pair.a)}'s own code "
            f"is also in {_e(pair.b)}'s, and {code.share_b:.0%} of {_e(pair.b)}'s is in "
            f"{_e(pair.a)}'s, each part weighed by how rare it is in the class "
            f"({code.plain_a:.0%} and {code.plain_b:.0%} weighing every part alike). "
            "The functions holding the matches, heaviest first:</p>"
            "<div class=side>"
        )
        for student, units in ((pair.a, code.units_a), (pair.b, code.units_b)):
            parts.append(f"<div><h4>{_e(student)}</h4>")
            for unit in units_of(student, units):
                parts.append(
                    f"<p>{_e(unit.name)} ({_e(unit.where)})</p><pre>{_e(unit.source)}</pre>"
                )
            parts.append("</div>")
        parts.append("</div>")
    if pair.answers:
        parts.append(
            "<h3>Shared rare wrong answers</h3><table><tr><th>call</th><th>both answered</th>"
            "<th>expected</th><th>students who gave this answer</th></tr>"
        )
        for shared in pair.answers:
            parts.append(
                f"<tr><td><code>{_e(shared.call)}</code></td><td><code>{_e(shared.shown)}</code>"
                f"</td><td><code>{_e(shared.expected)}</code></td><td>{shared.holders}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</section>")
    return parts


def _excluded(inputs: ReportInputs) -> list[str]:
    items = []
    if inputs.code is not None:
        code = inputs.code
        given = ", ".join(inputs.given_files) or "none"
        items += [
            f"Code was compared after normalising it (comments and layout dropped, every "
            f"name replaced by one letter), in fragments of {K} characters of that text.",
            f"Given code is never evidence: every fragment that is also in the files handed "
            f"out ({given}) was removed ({code.given} fragments of students' code), so "
            f"untouched stubs and the given helpers match nobody. {code.empty} submissions "
            "had no code of their own left after that.",
            "Common code weighs little: each fragment weighs by how rare it is in the class "
            "(log((N + 1) / holders) / log(N + 1): 1 when one student wrote it, near 0 when "
            f"nearly everyone did). Only pairs that share fragments held by at most "
            f"{code.common_limit} submissions, or whose whole code is near-identical, were "
            f"compared; {code.common} distinct fragments were held by more.",
            f"Short matches weigh little: each matching stretch counts only its length beyond "
            f"{code_similarity.SHORT} characters of normalised code, so a one-line function "
            "written alike counts for (almost) nothing.",
            f"{code.compared_pairs} pairs were compared in full. A pair is listed from "
            f"{pairs.CODE_LISTED:.0%} of one side's code matching (weighed by rarity), and "
            f"flagged from {pairs.CODE_FLAGGED:.0%} when the match weighs at least "
            f"{pairs.CODE_MIN_WEIGHT:g} (characters beyond the short-match allowance, times "
            "rarity), or when the two are near-identical: at least "
            f"{code_similarity.NEAR_IDENTICAL:.0%} of each one's code matches, weighing every "
            f"part alike, with at least {code_similarity.NEAR_MIN_SIZE:g} characters of code "
            f"each, and neither is near-identical to more than {code.near_identical_limit} "
            "submissions (a whole solution many wrote alike is a common solution).",
        ]
    else:
        items.append("No code could be compared.")
    if inputs.answers is not None:
        answers = inputs.answers
        kinds = answers.kinds
        items += [
            f"Each student's functions ({', '.join(answers.functions)}) ran once, in the "
            "sandbox, on the same inputs. Only wrong answers given by at most "
            f"{answers.rare_limit} students count as shared evidence; a pair is flagged for "
            f"them from {pairs.ANSWERS_FLAGGED} functions, or from one with at least "
            f"{pairs.CODE_SUPPORTING:.0%} of matching code.",
            "Not evidence, and left out: correct answers "
            f"({kinds.get(shared_answers.CORRECT, 0)}); no answer (an error, a time-out, "
            f"None, no such function: {kinds.get(shared_answers.NO_ANSWER, 0)}); placeholders "
            f"(all zeros, or an input handed back: {kinds.get(shared_answers.PLACEHOLDER, 0)});"
            " misconceptions of the assignment's catalog, which many students have on their "
            f"own ({kinds.get(shared_answers.CATALOGUED, 0)}); answers of a function that "
            "calls one the student got wrong, whose mistake is counted where it is "
            f"({kinds.get(shared_answers.DOWNSTREAM, 0)}).",
        ]
        for entry, holders in answers.common_wrong:
            items.append(
                f"A wrong answer given by {holders} students, too many to be evidence (a "
                f"misconception the catalog may be missing): {entry.call} gave {entry.shown} "
                f"(expected {entry.expected})."
            )
        for student, reason in sorted(answers.not_probed.items()):
            items.append(f"{student}'s functions could not be run: {reason}.")
    else:
        items.append("No answers could be compared.")
    for student, reason in sorted(inputs.unreadable.items()):
        items.append(f"{student} was not compared: {reason}.")
    return [
        "<section><h2>What was compared, and what was left out</h2><ul>",
        *(f"<li>{_e(item)}</li>" for item in items),
        "</ul></section>",
    ]


def write_report(
    out: Path, rows: Sequence[Pair], inputs: ReportInputs, units_of: UnitsOf
) -> tuple[Path, Path]:
    """Write ``similarity.csv`` and ``similarity.html`` into ``out`` atomically; return them."""
    csv_path, html_path = out / CSV_NAME, out / HTML_NAME
    write_text_atomic(csv_path, similarity_csv(rows, units_of))
    write_text_atomic(html_path, similarity_html(rows, inputs, units_of))
    return csv_path, html_path
