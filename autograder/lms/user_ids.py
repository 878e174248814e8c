"""Whom each grade goes to on the platform: the LTI user id, else the Canvas user id.

scores.jsonl's ``userId`` is the roster's ``lti_user_id`` when the batch had
one, else the *submission name* (autograder/export/lti.py), which no platform
knows (Canvas answers 422). A push therefore tells the two apart with
``OUT/class.json`` (its submission names) and, for a submission name, looks
for the student's platform id in this order:

1. the roster's ``lti_user_id`` (the LTI ``sub``; Canvas and Moodle both take it);
2. the roster's ``canvas_id`` (Canvas also takes its own user id as ``userId``);
3. ``canvas_id`` in class.json (what the batch knew: a Canvas "Download Submissions"
   zip names each submission by its Canvas user id, else the roster given to the batch).

A submission with none of them is not sent, and the report says so. (A
roster ``lti_user_id`` identical to the submission name cannot be told from a
blank one, since the roster fills blanks with the submission name: give such
students a ``canvas_id`` or leave them to the CSV route.) The Canvas REST
route (canvas-push) uses 2 and 3 only: its ids are Canvas user ids.

Two submissions that would go to the same user are refused before anything
is sent: one grade would silently replace the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from autograder.export.roster import Roster
from autograder.lms.class_file import ClassFile
from autograder.lms.errors import LmsError

NO_LTI_USER_ID = (
    "no LTI user id nor Canvas user id is known for this submission, so the platform "
    "could not tell who it is; add lti_user_id or canvas_id to the roster (--roster) and push again"
)
NO_CANVAS_USER_ID = (
    "no Canvas user id is known for this submission; add canvas_id to the roster "
    "(--roster) and push again"
)


@dataclass(frozen=True)
class Addressee:
    """Where one student's grade goes: ``user_id`` None means nowhere (see ``source``)."""

    submission: str | None  # the submission name, when known
    user_id: str | None
    source: str  # "roster lti_user_id", "roster canvas_id", "class.json canvas_id", ...


def lti_addressee(user_id: str, class_file: ClassFile, roster: Roster | None) -> Addressee:
    """The platform user of a scores.jsonl row whose ``userId`` is ``user_id``."""
    if class_file.student(user_id) is None:
        # not a submission name: the lti_user_id the batch took from its roster
        owner = None
        if roster is not None:
            owner = next(
                (e.submission for e in roster.entries.values() if e.lti_user_id == user_id), None
            )
        return Addressee(owner, user_id, "roster lti_user_id" if owner else "scores.jsonl userId")
    entry = roster.entries.get(user_id) if roster is not None else None
    if entry is not None and entry.lti_user_id != user_id:
        return Addressee(user_id, entry.lti_user_id, "roster lti_user_id")
    return _canvas(user_id, class_file, roster)


def canvas_addressee(submission: str, class_file: ClassFile, roster: Roster | None) -> Addressee:
    """The Canvas user of a submission (roster canvas_id, else class.json's), or nobody."""
    return _canvas(submission, class_file, roster)


def check_unique(addressees: Iterable[Addressee]) -> None:
    """LmsError when two submissions go to one user id (nothing has been sent yet)."""
    owners: dict[str, str] = {}
    for a in addressees:
        if a.user_id is None:
            continue
        name = a.submission or a.user_id
        if a.user_id in owners and owners[a.user_id] != name:
            raise LmsError(
                f"submissions {owners[a.user_id]!r} and {name!r} both go to user id "
                f"{a.user_id!r}; fix the roster so that each student has their own id "
                "(nothing was sent)"
            )
        owners[a.user_id] = name


def _canvas(submission: str, class_file: ClassFile, roster: Roster | None) -> Addressee:
    entry = roster.entries.get(submission) if roster is not None else None
    if entry is not None and entry.canvas_id:
        return Addressee(submission, entry.canvas_id, "roster canvas_id")
    student = class_file.student(submission)
    if student is not None and student.canvas_id:
        return Addressee(submission, student.canvas_id, "class.json canvas_id")
    return Addressee(submission, None, "none")
