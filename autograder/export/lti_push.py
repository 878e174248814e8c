"""Send LTI 1.3 Scores to the platform's line item, one POST each, with urllib only.

Each Score is POSTed to the line item URL with ``/scores`` added to its path
(before any ``?query``), as ``application/vnd.ims.lis.v1.score+json`` with the
access token as a Bearer token (scope
``https://purl.imsglobal.org/spec/lti-ags/scope/score``; getting it is the
caller's business). Every student is tried; the report says, for each,
whether the platform took the Score and if not why (HTTP status and the start
of the platform's answer).

Only a Score that is ``FullyGraded`` with a ``scoreGiven`` is sent. Any other
(a student who was not graded: ``Failed``, no score) is *skipped*, never sent,
and reported as skipped: Canvas sets the score to none on a Failed Score, so
sending it would wipe a grade the student already has. Grade such students
by hand. The token is never logged nor put in the report,
redirects are not followed (the token would go with them), and plain
``http://`` is refused except to this machine.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
ANSWER_CHARS = 200  # of the platform's error answer kept in the report
NOT_SENT = (
    "skipped: not graded, so nothing was sent (a Score without a grade would clear the one "
    "the platform holds); grade this student by hand"
)


@dataclass(frozen=True)
class PushOutcome:
    """What the platform did with one student's Score."""

    user_id: str
    ok: bool
    status: int | None  # the HTTP status, None when there was no answer (or nothing was sent)
    message: str
    skipped: bool = False  # not sent: the student is not graded (ok is False too)


@dataclass(frozen=True)
class PushReport:
    """Every student's outcome, in the order the Scores were given."""

    url: str
    outcomes: tuple[PushOutcome, ...]

    @property
    def ok(self) -> bool:
        """Every Score that was to be sent was accepted (skipped ones do not count)."""
        return not self.failed

    @property
    def failed(self) -> tuple[PushOutcome, ...]:
        """The Scores sent and not accepted."""
        return tuple(o for o in self.outcomes if not o.ok and not o.skipped)

    @property
    def skipped(self) -> tuple[PushOutcome, ...]:
        """The students not graded, whose Scores were not sent."""
        return tuple(o for o in self.outcomes if o.skipped)


def scores_url(line_item_url: str) -> str:
    """The Scores endpoint of a line item: ``/scores`` added to the path, the query kept.

    Raises ValueError for a URL that is not https (or http to this machine).

    Examples
    --------
    >>> scores_url("https://lms.example.edu/api/lti/courses/3/line_items/7?type=x")
    'https://lms.example.edu/api/lti/courses/3/line_items/7/scores?type=x'
    """
    parts = urlsplit(line_item_url)
    loopback = parts.hostname in LOOPBACK_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValueError(
            f"the line item URL {line_item_url!r} must start with https:// "
            "(http:// only to this machine), so that the token is not sent in the clear"
        )
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores", fragment=""))


def push_scores(
    scores: Iterable[dict[str, Any]], line_item_url: str, token: str, timeout: float = 10.0
) -> PushReport:
    """POST each Score to ``line_item_url``'s Scores endpoint; report every student's outcome.

    ``timeout`` is in seconds, per request. Raises ValueError (before sending
    anything) for a bad URL or an empty token; a failure for one student is
    reported and the others are still sent. A Score that gives no grade is not
    sent: its outcome is ``skipped`` (see the module docstring).
    """
    url = scores_url(line_item_url)
    if not token or any(c in token for c in "\r\n"):
        raise ValueError("the access token is empty or spans several lines")
    opener = urllib.request.build_opener(_RefuseRedirects)
    headers = {
        "Content-Type": SCORE_MEDIA_TYPE,
        "Accept": "application/json",
        "Authorization": f"Bearer {token}",
    }
    outcomes = []
    for score in scores:
        user_id = str(score.get("userId", ""))
        if not sendable(score):
            outcomes.append(PushOutcome(user_id, False, None, NOT_SENT, skipped=True))
            continue
        outcome = _push_one(opener, url, headers, score, user_id, timeout)
        if token in outcome.message:  # a platform that echoes the request
            outcome = PushOutcome(
                user_id, outcome.ok, outcome.status, outcome.message.replace(token, "[token]")
            )
        outcomes.append(outcome)
    return PushReport(url=url, outcomes=tuple(outcomes))


def sendable(score: dict[str, Any]) -> bool:
    """Whether ``score`` gives a grade (``FullyGraded`` with a ``scoreGiven``) and may be sent."""
    return score.get("gradingProgress") == "FullyGraded" and "scoreGiven" in score


def _push_one(
    opener: urllib.request.OpenerDirector,
    url: str,
    headers: dict[str, str],
    score: dict[str, Any],
    user_id: str,
    timeout: float,
) -> PushOutcome:
    try:
        body = json.dumps(score, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as error:
        return PushOutcome(user_id, False, None, f"the Score is not valid JSON ({error})")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
            return PushOutcome(user_id, True, response.status, f"HTTP {response.status}")
    except urllib.error.HTTPError as error:
        with error:
            answer = " ".join(error.read(ANSWER_CHARS * 4).decode("utf-8", "replace").split())
        if 300 <= error.code < 400:
            answer = "the platform redirected the request; it is not followed with the token"
        text = f"HTTP {error.code} {error.reason}" + (
            f": {answer[:ANSWER_CHARS]}" if answer else ""
        )
        return PushOutcome(user_id, False, error.code, text)
    except urllib.error.URLError as error:
        return PushOutcome(user_id, False, None, f"no answer from the platform ({error.reason})")
    except (OSError, http.client.HTTPException) as error:
        return PushOutcome(user_id, False, None, f"no answer from the platform ({error!r})")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Turn a redirect into an HTTPError: following it would carry the token elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
