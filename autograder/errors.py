"""Errors that end a command with one sentence and exit status 2 (never a grade)."""

from __future__ import annotations


class GradingError(Exception):
    """The check run itself failed (not the submission): there is no grade to report.

    The message is one sentence naming the file and the cause, for the instructor. Whoever
    catches it writes nothing that looks like a grade and keeps every earlier result.
    """
