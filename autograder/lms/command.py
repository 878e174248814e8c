"""The command-line layer: ``lti-keys``, ``lti-push`` with service access, and ``canvas-push``.

Every :class:`~autograder.lms.errors.LmsError` (and a bad roster) becomes the
CLI's ``UsageError``: one sentence on stderr, exit status 2, nothing sent.
A push that ran exits 0 when every graded student's grade reached the
platform, 1 when some did not (each is in the report with why). Students who
are not graded are never sent and do not change the exit status.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from autograder.config import GradingConfig

SERVICE_OPTIONS = ("client_id", "token_url", "key", "lineitems")


def add_commands(commands: argparse._SubParsersAction, common: Callable) -> None:
    """Add ``lti-keys`` and ``canvas-push`` to ``autograder``'s subcommands."""
    keys = commands.add_parser(
        "lti-keys",
        help="make the tool's key pair for LTI 1.3 (private.pem, jwks.json to register)",
    )
    keys.add_argument(
        "--out", type=Path, required=True, help="folder for private.pem, jwks.json and public.pem"
    )
    keys.add_argument(
        "--force", action="store_true", help="replace an existing private.pem (re-register after)"
    )
    common(keys)

    canvas = commands.add_parser(
        "canvas-push",
        help="send every grade and its feedback summary to a Canvas assignment "
        "(REST API, token from $CANVAS_TOKEN)",
    )
    canvas.add_argument("out", type=Path, help="the grade-batch folder (holds class.json)")
    canvas.add_argument(
        "--url", required=True, help="the Canvas address, e.g. https://canvas.example.edu"
    )
    canvas.add_argument("--course", type=int, required=True, help="the Canvas course id")
    canvas.add_argument("--assignment-id", type=int, required=True, help="the Canvas assignment id")
    canvas.add_argument(
        "--roster", type=Path, default=None, help="CSV with each submission's canvas_id"
    )
    canvas.add_argument(
        "--token-env",
        default="CANVAS_TOKEN",
        help="the environment variable holding the Canvas access token",
    )
    common(canvas)


def add_service_arguments(push: argparse.ArgumentParser) -> None:
    """Add the service-access options to the ``lti-push`` parser (its --line-item route stays)."""
    push.add_argument("--client-id", default=None, help="the tool's client id on the platform")
    push.add_argument(
        "--token-url", default=None, help="the platform's OAuth 2 token URL (access token route)"
    )
    push.add_argument(
        "--key", type=Path, default=None, help="the tool's private key (lti-keys' private.pem)"
    )
    push.add_argument(
        "--lineitems", default=None, help="the course's line items URL (the AGS lineitems claim)"
    )
    push.add_argument(
        "--label", default=None, help="the line item's label (default: the assignment's name)"
    )
    push.add_argument(
        "--resource-id", default=None, help="find (or create) the line item by this resourceId"
    )
    push.add_argument(
        "--kid", default=None, help="the key id the platform registered (default: the key's)"
    )
    push.add_argument(
        "--score-maximum",
        type=float,
        default=None,
        help="the maximum of a line item created (default: the assignment's maximum)",
    )
    push.add_argument(
        "--roster", type=Path, default=None, help="CSV with each submission's lti_user_id/canvas_id"
    )


def service_route(options: argparse.Namespace) -> bool:
    """Whether lti-push was given any service-access option (rather than --line-item alone)."""
    return any(getattr(options, name, None) is not None for name in SERVICE_OPTIONS)


def run_lti_keys(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.cli import UsageError
    from autograder.lms.errors import LmsError
    from autograder.lms.keys import registration_text, write_keys

    try:
        files = write_keys(options.out, force=options.force)
    except LmsError as error:
        raise UsageError(str(error)) from None
    print(registration_text(files))
    return 0


def run_service_push(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.cli import UsageError
    from autograder.lms.ags_push import ServiceSettings, push_with_service
    from autograder.lms.errors import LmsError

    missing = [n for n in SERVICE_OPTIONS if getattr(options, n, None) is None]
    if missing:
        raise UsageError(
            "lti-push with service access needs "
            f"{', '.join('--' + n.replace('_', '-') for n in missing)} as well "
            "(or only --line-item, with the token in $LTI_TOKEN)"
        )
    if getattr(options, "line_item", None):
        raise UsageError(
            "give either --line-item (with the token in $LTI_TOKEN) or --client-id, "
            "--token-url, --key and --lineitems, not both"
        )
    settings = ServiceSettings(
        client_id=options.client_id,
        token_url=options.token_url,
        key_path=options.key,
        lineitems_url=options.lineitems,
        label=options.label,
        resource_id=options.resource_id,
        kid=options.kid,
        score_maximum=options.score_maximum,
    )
    try:
        report = push_with_service(options.scores, settings, roster=_roster(options))
    except LmsError as error:
        raise UsageError(str(error)) from None
    _print(report.lines())
    return 1 if report.not_reached else 0


def run_canvas_push(options: argparse.Namespace, config: GradingConfig) -> int:
    from autograder.cli import UsageError
    from autograder.lms.canvas_push import push_to_canvas
    from autograder.lms.errors import LmsError

    token = os.environ.get(options.token_env, "")
    if not token.strip():
        raise UsageError(
            f"the environment variable {options.token_env} holds no Canvas access token "
            "(make one under Account > Settings > New access token)"
        )
    try:
        report = push_to_canvas(
            options.out,
            url=options.url,
            course_id=options.course,
            assignment_id=options.assignment_id,
            token=token,
            roster=_roster(options),
        )
    except LmsError as error:
        raise UsageError(str(error)) from None
    _print(report.lines())
    return 1 if report.not_reached else 0


def _roster(options: argparse.Namespace):
    if getattr(options, "roster", None) is None:
        return None
    from autograder.cli import UsageError
    from autograder.export.roster import RosterError, load_roster

    try:
        return load_roster(options.roster)
    except RosterError as error:
        raise UsageError(str(error)) from None


def _print(lines: Sequence[str]) -> None:
    from autograder.report import terminal_text

    for line in lines:
        print(terminal_text(line, keep_newlines=False))
