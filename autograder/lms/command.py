"""The entry functions behind ``lti-keys``, ``lti-push`` (both routes) and ``canvas-push``.

Every :class:`~autograder.lms.errors.LmsError` (and a bad roster) becomes one
:class:`~autograder.errors.UsageError` sentence: exit status 2, nothing sent.
A push that ran returns 0 when every graded student's grade reached the
platform, 1 when some did not (each is in the report with why). Students who
are not graded are never sent and do not change the exit status.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UsageError
from autograder.export.roster import Roster


@dataclass(frozen=True)
class ServiceAccess:
    """The LTI 1.3 service-access options of ``lti-push`` (all None: the --line-item route).

    ``client_id``, ``token_url``, ``key`` (the tool's private key) and ``lineitems`` are needed
    together; ``label``, ``resource_id``, ``kid`` and ``score_maximum`` are optional.
    """

    client_id: str | None = None
    token_url: str | None = None
    key: Path | None = None
    lineitems: str | None = None
    label: str | None = None
    resource_id: str | None = None
    kid: str | None = None
    score_maximum: float | None = None

    REQUIRED = ("client_id", "token_url", "key", "lineitems")

    @property
    def given(self) -> bool:
        """Whether any of the required options was given (rather than --line-item alone)."""
        return any(getattr(self, name) is not None for name in self.REQUIRED)

    @property
    def missing(self) -> list[str]:
        """The required options not given, as command-line flags (``--token-url``)."""
        return [
            "--" + name.replace("_", "-") for name in self.REQUIRED if getattr(self, name) is None
        ]


@dataclass(frozen=True)
class LtiPushOptions:
    """What ``lti-push`` sends and how.

    ``scores`` is grade-batch's scores.jsonl. Either ``line_item`` (a line item URL, with the
    bearer token in the environment variable ``token_env``) or ``service`` (the tool gets its
    own token and finds or creates the line item). ``roster`` maps submissions to platform
    ids (service route).
    """

    scores: Path
    line_item: str | None = None
    token_env: str = "LTI_TOKEN"
    service: ServiceAccess = ServiceAccess()
    roster: Path | None = None


def make_lti_keys(out: Path, force: bool = False) -> int:
    """Write the tool's key pair into ``out`` and print what to register on the platform."""
    from autograder.lms.errors import LmsError
    from autograder.lms.keys import registration_text, write_keys

    try:
        files = write_keys(out, force=force)
    except LmsError as error:
        raise UsageError(str(error)) from None
    print(registration_text(files))
    return 0


def lti_push(options: LtiPushOptions) -> int:
    """Send scores.jsonl to an LTI 1.3 platform by the route the options choose."""
    if options.service.given:
        return _service_push(options)
    if not options.line_item:
        raise UsageError(
            "lti-push needs --line-item (with the token in $LTI_TOKEN), or --client-id, "
            "--token-url, --key and --lineitems to get a token itself"
        )
    return _line_item_push(options)


def _line_item_push(options: LtiPushOptions) -> int:
    from autograder.export.lti_push import push_scores

    token = os.environ.get(options.token_env, "")
    if not token:
        raise UsageError(f"the environment variable {options.token_env} holds no bearer token")
    try:
        lines = options.scores.read_text(encoding="utf-8").splitlines()
        scores = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as error:
        raise UsageError(f"{options.scores}: cannot be read as JSON lines ({error})") from None
    try:
        report = push_scores(scores, options.line_item or "", token)
    except ValueError as error:
        raise UsageError(str(error)) from None
    lines = []
    for outcome in report.outcomes:
        if outcome.skipped:
            lines.append(f"SKIPPED {outcome.user_id}: {outcome.message}")
        else:
            verdict = "sent" if outcome.ok else "FAILED"
            lines.append(f"{verdict} {outcome.user_id}: {outcome.status} {outcome.message}")
    attempted = len(report.outcomes) - len(report.skipped)
    lines.append(
        f"{attempted - len(report.failed)} of {attempted} scores sent were accepted by "
        f"{report.url}; {len(report.skipped)} not graded, not sent"
    )
    _print(lines, keep_newlines=True)
    return 0 if not report.failed else 1


def _service_push(options: LtiPushOptions) -> int:
    from autograder.lms.ags_push import ServiceSettings, push_with_service
    from autograder.lms.errors import LmsError

    service = options.service
    if service.missing:
        raise UsageError(
            f"lti-push with service access needs {', '.join(service.missing)} as well "
            "(or only --line-item, with the token in $LTI_TOKEN)"
        )
    if options.line_item:
        raise UsageError(
            "give either --line-item (with the token in $LTI_TOKEN) or --client-id, "
            "--token-url, --key and --lineitems, not both"
        )
    assert service.client_id and service.token_url and service.key and service.lineitems
    settings = ServiceSettings(
        client_id=service.client_id,
        token_url=service.token_url,
        key_path=service.key,
        lineitems_url=service.lineitems,
        label=service.label,
        resource_id=service.resource_id,
        kid=service.kid,
        score_maximum=service.score_maximum,
    )
    try:
        report = push_with_service(options.scores, settings, roster=_roster(options.roster))
    except LmsError as error:
        raise UsageError(str(error)) from None
    _print(report.lines())
    return 1 if report.not_reached else 0


def canvas_push(
    out: Path,
    url: str,
    course: int,
    assignment_id: int,
    roster: Path | None = None,
    token_env: str = "CANVAS_TOKEN",
) -> int:
    """Send every grade of the grade-batch folder ``out`` and its feedback summary to a Canvas
    assignment, with the access token in the environment variable ``token_env``."""
    from autograder.lms.canvas_push import push_to_canvas
    from autograder.lms.errors import LmsError

    token = os.environ.get(token_env, "")
    if not token.strip():
        raise UsageError(
            f"the environment variable {token_env} holds no Canvas access token "
            "(make one under Account > Settings > New access token)"
        )
    try:
        report = push_to_canvas(
            out,
            url=url,
            course_id=course,
            assignment_id=assignment_id,
            token=token,
            roster=_roster(roster),
        )
    except LmsError as error:
        raise UsageError(str(error)) from None
    _print(report.lines())
    return 1 if report.not_reached else 0


def _roster(path: Path | None) -> Roster | None:
    if path is None:
        return None
    from autograder.export.roster import RosterError, load_roster

    try:
        return load_roster(path)
    except RosterError as error:
        raise UsageError(str(error)) from None


def _print(lines: Sequence[str], keep_newlines: bool = False) -> None:
    from autograder.report import terminal_text

    for line in lines:
        print(terminal_text(line, keep_newlines=keep_newlines))
