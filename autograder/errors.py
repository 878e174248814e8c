"""Errors that end a command with one sentence and exit status 2 (never a grade).

Every stage's entry function (``grade_one``, ``grade_class``, ``write_nbgrader_source``,
``lti_push`` ...) raises :class:`UsageError` or :class:`GradingError` for anything the user
must fix, having converted its own module's errors (a bad roster, an LMS that refused a
token, a gradebook without the assignment) into one of them. ``autograder.cli`` prints the
sentence and exits 2; nothing in a stage knows about the command line.
``autograder.config.ConfigError`` (a bad grading.yaml) is treated the same way.
"""

from __future__ import annotations


class KitError(Exception):
    """A command cannot go on; the message is one sentence naming the file and what is wrong."""


class UsageError(KitError):
    """The user asked for something impossible (a missing path, an option without its partner,
    a file that cannot be read); nothing was written or sent."""


class GradingError(KitError):
    """The check run itself failed (not the submission): there is no grade to report.

    The message is one sentence naming the file and the cause, for the instructor. Whoever
    catches it writes nothing that looks like a grade and keeps every earlier result.
    """
