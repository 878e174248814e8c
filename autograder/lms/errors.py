"""The one error of this package: a sentence for the instructor, and nothing was sent."""

from __future__ import annotations


class LmsError(Exception):
    """Talking to the LMS cannot go on; the message is one sentence naming the file or URL.

    Raised before anything is sent whenever possible (a bad key, a refused token, an
    unknown line item); the commands turn it into exit status 2.
    """


def missing_extra(package: str, extra: str) -> LmsError:
    """The error for an optional dependency that is not installed."""
    return LmsError(
        f"{package} is not installed; install the kit with its {extra!r} extra, "
        f"e.g. pip install 'sign-of-the-gradient[{extra}]'"
    )
