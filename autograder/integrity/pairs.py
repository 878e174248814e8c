"""Which pairs are worth a look, and which of them are flagged: the two kinds of evidence joined.

A pair gets a row when its code matches enough to list (``CODE_LISTED``) or when it shares at
least one rare wrong answer. It is *flagged* when any of these holds:

* its code matches: the larger share is at least ``CODE_FLAGGED`` and the match weighs at
  least ``CODE_MIN_WEIGHT`` (so a student who wrote one function is not flagged for it), or
  the two are near-identical (see :mod:`.code_similarity`);
* it shares rare wrong answers in at least ``ANSWERS_FLAGGED`` functions (one odd answer in
  common happens; two independent odd answers in common rarely do);
* it shares a rare wrong answer in one function and its code matches at least
  ``CODE_SUPPORTING``.

Every threshold is a constant here, stated in the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autograder.integrity.code_similarity import CodeMatch
from autograder.integrity.shared_answers import SharedAnswer

CODE_FLAGGED = 0.6
CODE_LISTED = 0.45
CODE_SUPPORTING = 0.3
CODE_MIN_WEIGHT = 60.0
ANSWERS_FLAGGED = 2


@dataclass(frozen=True)
class Pair:
    """Two students (``a`` before ``b`` in the class order), their evidence, and the verdict.

    ``code`` is oriented so that its ``a`` side is student ``a``'s. ``reasons`` says in words
    why the pair is flagged (empty when it is only listed).
    """

    a: str
    b: str
    code: CodeMatch | None
    answers: tuple[SharedAnswer, ...]
    flagged: bool
    reasons: tuple[str, ...]

    @property
    def answer_functions(self) -> tuple[str, ...]:
        """The functions with a shared rare wrong answer, in order of appearance."""
        return tuple(dict.fromkeys(s.function for s in self.answers))


def join(
    students: Sequence[str],
    code: Sequence[CodeMatch],
    answers: Mapping[tuple[str, str], Sequence[SharedAnswer]],
) -> list[Pair]:
    """The rows of the report: flagged pairs first, then by the strength of their evidence.

    ``students`` is the class order (``code`` refers to students by index into it);
    ``answers`` is keyed by a sorted pair of student ids.
    """
    order = {student: i for i, student in enumerate(students)}
    by_pair: dict[tuple[str, str], CodeMatch] = {}
    for match in code:
        by_pair[(students[match.a], students[match.b])] = match
    keys = set(by_pair)
    for a, b in answers:
        keys.add((a, b) if order.get(a, 0) <= order.get(b, 0) else (b, a))
    pairs = []
    for a, b in keys:
        match = by_pair.get((a, b))
        shared = tuple(answers.get(tuple(sorted((a, b))), ()))  # type: ignore[arg-type]
        pair = _judge(a, b, match, shared)
        if pair is not None:
            pairs.append(pair)
    return sorted(
        pairs,
        key=lambda p: (
            not p.flagged,
            -len(p.answer_functions),
            -(p.code.share if p.code else 0.0),
            order.get(p.a, 0),
            order.get(p.b, 0),
        ),
    )


def _judge(
    a: str, b: str, match: CodeMatch | None, shared: tuple[SharedAnswer, ...]
) -> Pair | None:
    share = match.share if match is not None else 0.0
    functions = tuple(dict.fromkeys(s.function for s in shared))
    reasons = []
    if match is not None and share >= CODE_FLAGGED and match.weight >= CODE_MIN_WEIGHT:
        reasons.append(
            f"their code matches: {share:.0%} of one's code, weighed by how rare each part is "
            "in the class, is also in the other's"
        )
    elif match is not None and match.near_identical:
        reasons.append(
            f"their code is the same but for names, comments and layout ({match.plain_a:.0%} "
            f"and {match.plain_b:.0%}), which few other submissions' are"
        )
    if len(functions) >= ANSWERS_FLAGGED:
        reasons.append(
            f"they share rare wrong answers in {len(functions)} functions ({', '.join(functions)})"
        )
    elif functions and share >= CODE_SUPPORTING:
        reasons.append(
            f"they share a rare wrong answer in {functions[0]} and {share:.0%} of their "
            "distinctive code matches"
        )
    if not reasons and not shared and share < CODE_LISTED:
        return None  # weaker code evidence than the report lists
    return Pair(a, b, match, shared, bool(reasons), tuple(reasons))
