"""``autograder lti-push`` with its own service access: scores.jsonl into the platform's gradebook.

In order, each step able to stop everything before a Score is sent:

1. read ``OUT/scores.jsonl`` and ``OUT/class.json`` (and the roster, if given) and
   decide whom each Score goes to (:mod:`autograder.lms.user_ids`);
2. read the tool's key (:mod:`autograder.lms.keys`) and get an access token with
   it (:mod:`autograder.lms.service_token`): scopes lineitem, lineitem.readonly, score;
3. find the line item by ``--resource-id`` or label (default: the assignment's name
   in class.json) or create it, worth ``--score-maximum`` (default: the assignment's
   maximum) (:mod:`autograder.lms.line_items`);
4. stamp the push (:mod:`autograder.lms.stamps`) and POST every graded student's
   Score to the line item's ``/scores``
   (:func:`autograder.export.lti_push.push_scores`).

A student who is not graded is never sent (a Score without a grade would clear
the one the platform holds), nor one whose platform id is unknown; both are in
the report as skipped, with why. A Score the platform refuses is reported
with its answer (Canvas: 422 for a user not in the course) and the others
still go. Pushing the same scores.jsonl again succeeds: each push has a later
timestamp.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from autograder.export.lti_push import NOT_SENT, push_scores, sendable
from autograder.export.roster import Roster
from autograder.lms.class_file import CLASS_FILE, load_class_file
from autograder.lms.errors import LmsError
from autograder.lms.keys import load_private_key
from autograder.lms.line_items import LineItem, find_or_create
from autograder.lms.service_token import (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_SCORE,
    get_token,
)
from autograder.lms.stamps import PushClock
from autograder.lms.transport import check_url
from autograder.lms.user_ids import NO_LTI_USER_ID, Addressee, check_unique, lti_addressee


@dataclass(frozen=True)
class ServiceSettings:
    """How to reach the platform's services (the lti-push options)."""

    client_id: str
    token_url: str
    key_path: Path
    lineitems_url: str
    label: str | None = None
    resource_id: str | None = None
    kid: str | None = None
    score_maximum: float | None = None
    timeout: float = 10.0  # seconds, per request


@dataclass(frozen=True)
class StudentPush:
    """What happened to one row of scores.jsonl."""

    submission: str | None
    user_id: str | None
    outcome: Literal["sent", "failed", "skipped"]
    status: int | None  # the platform's HTTP status, None when nothing was sent or no answer
    message: str
    graded: bool  # the row gives a grade (so a skip means a grade did not reach the platform)


@dataclass(frozen=True)
class AgsPushReport:
    """The whole push: the line item, the timestamp every Score carried, each student."""

    line_item: LineItem | None  # None when there was nothing to send
    timestamp: str | None
    students: tuple[StudentPush, ...]

    @property
    def sent(self) -> tuple[StudentPush, ...]:
        return tuple(s for s in self.students if s.outcome == "sent")

    @property
    def not_reached(self) -> tuple[StudentPush, ...]:
        """Graded students whose grade is not on the platform: refused, or no user id."""
        return tuple(s for s in self.students if s.graded and s.outcome != "sent")

    def lines(self) -> list[str]:
        """The report, one line per student then a summary (student names unescaped)."""
        out = []
        if self.line_item is not None:
            state = "created" if self.line_item.created else "found"
            worth = (
                f", out of {self.line_item.score_maximum:g}"
                if self.line_item.score_maximum is not None
                else ""
            )
            out.append(
                f"Line item {self.line_item.label!r} ({state}{worth}): {self.line_item.url}; "
                f"Scores stamped {self.timestamp}"
            )
        for s in self.students:
            message = s.message.removeprefix("skipped: ")
            out.append(f"{s.outcome:7} {s.submission or '?'} -> {s.user_id or '?'}: {message}")
        graded = sum(1 for s in self.students if s.graded)
        out.append(
            f"{len(self.sent)} of {graded} graded students' scores accepted; "
            f"{len(self.not_reached)} did not reach the platform; "
            f"{len(self.students) - graded} not graded, not sent"
        )
        return out


def read_scores(path: Path) -> list[dict[str, Any]]:
    """The Scores of a scores.jsonl (one JSON object per line); LmsError naming the line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise LmsError(f"{path}: no such file; grade-batch writes OUT/scores.jsonl") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LmsError(f"{path}: cannot be read ({error})") from None
    scores = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            score = json.loads(line)
        except ValueError as error:
            raise LmsError(f"{path}: line {number} is not JSON ({error})") from None
        if not isinstance(score, dict) or not isinstance(score.get("userId"), str):
            raise LmsError(f"{path}: line {number} is not a Score (an object with a userId)")
        scores.append(score)
    return scores


def push_with_service(
    scores_path: Path,
    settings: ServiceSettings,
    roster: Roster | None = None,
    clock: PushClock | None = None,
) -> AgsPushReport:
    """Push ``scores_path`` (``OUT/scores.jsonl``) as the module docstring says.

    Raises LmsError, with nothing sent, for a bad file, key or URL, a refused
    token, missing scopes, or a line item that cannot be found or made.
    Scores the platform refuses are in the report, not raised.
    """
    scores_path = Path(scores_path)
    check_url(settings.token_url, "the token URL")
    check_url(settings.lineitems_url, "the line items URL")
    scores = read_scores(scores_path)
    class_file = load_class_file(scores_path.parent / CLASS_FILE)
    planned = [
        (score, lti_addressee(score["userId"], class_file, roster), sendable(score))
        for score in scores
    ]
    to_send = [(s, a) for s, a, graded in planned if graded and a.user_id is not None]
    check_unique(a for _, a in to_send)
    if not to_send:
        return AgsPushReport(None, None, tuple(_skipped(a, graded) for _, a, graded in planned))
    label = settings.label or class_file.assignment
    maximum = settings.score_maximum if settings.score_maximum is not None else class_file.max_score
    key = load_private_key(settings.key_path)
    token = get_token(
        settings.token_url, settings.client_id, key, kid=settings.kid, timeout=settings.timeout
    )
    if SCOPE_SCORE not in token.scopes:
        raise LmsError(
            f"the platform at {settings.token_url} did not grant the score scope (only "
            f"{_names(token.scopes)}); enable it for the tool, nothing was sent"
        )
    if not token.scopes & {SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY}:
        raise LmsError(
            f"the platform at {settings.token_url} granted neither lineitem nor "
            f"lineitem.readonly (only {_names(token.scopes)}), so the line item cannot be found; "
            "enable them for the tool, nothing was sent"
        )
    line_item = find_or_create(
        settings.lineitems_url,
        token.token,
        label=label,
        resource_id=settings.resource_id,
        score_maximum=maximum,
        may_create=SCOPE_LINEITEM in token.scopes,
        timeout=settings.timeout,
    )
    stamp = (clock or PushClock()).stamp()
    payloads = [dict(score, userId=a.user_id, timestamp=stamp) for score, a in to_send]
    try:
        pushed = push_scores(payloads, line_item.url, token.token, timeout=settings.timeout)
    except ValueError as error:
        raise LmsError(str(error)) from None
    outcomes = {id(score): o for (score, _), o in zip(to_send, pushed.outcomes, strict=True)}
    students = []
    for score, a, graded in planned:
        outcome = outcomes.get(id(score))
        if outcome is None:
            students.append(_skipped(a, graded))
            continue
        students.append(
            StudentPush(
                submission=a.submission,
                user_id=a.user_id,
                outcome="sent" if outcome.ok else "failed",
                status=outcome.status,
                message=f"{outcome.message} (user id from {a.source})"
                if outcome.ok
                else outcome.message,
                graded=True,
            )
        )
    return AgsPushReport(line_item, stamp, tuple(students))


def _skipped(addressee: Addressee, graded: bool) -> StudentPush:
    if not graded:
        return StudentPush(
            addressee.submission, addressee.user_id, "skipped", None, NOT_SENT, graded=False
        )
    return StudentPush(addressee.submission, None, "skipped", None, NO_LTI_USER_ID, graded=True)


def _names(scopes: frozenset[str]) -> str:
    return ", ".join(sorted(s.rsplit("/", 1)[-1] for s in scopes)) or "none"
