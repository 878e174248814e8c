"""``autograder canvas-push``: every grade and its feedback summary into Canvas, through its REST API.

With canvasapi, as Canvas's API documents it:

1. ``GET /api/v1/courses/:course_id`` and
   ``GET /api/v1/courses/:course_id/assignments/:assignment_id``: the assignment must be
   published (Canvas refuses grades otherwise) and worth the kit's maximum (a grade is
   posted as points, so 17.5 of 20 would be 17.5 of 100 in a 100-point assignment);
2. ``POST /api/v1/courses/:course_id/assignments/:assignment_id/submissions/update_grades``
   with ``grade_data[<user id>][posted_grade]`` (the score, plain points) and
   ``grade_data[<user id>][text_comment]`` (the summary a student reads) per student
   (``Assignment.submissions_bulk_update``): Canvas answers a Progress;
3. ``GET /api/v1/progress/:id`` until its ``workflow_state`` is ``completed`` or
   ``failed``. Canvas grades every student it finds and fails the job with
   ``Couldn't find User(s) with API ids '7', '9'`` for the others
   (``Submission.process_bulk_update``), so the report names exactly who was not graded.

The user ids are Canvas user ids (:func:`autograder.lms.user_ids.canvas_addressee`).
A student who is not graded, or has no Canvas user id, is skipped and
reported. The token (``$CANVAS_TOKEN``, a Canvas access token of a teacher of
the course) goes only to ``--url`` over https (http only to this machine);
redirects are refused. A refused token, a missing course or assignment, or an
unreachable server is one LmsError sentence, and nothing was sent.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from autograder.export.common import plain_number, summary
from autograder.export.roster import Roster
from autograder.lms.class_file import CLASS_FILE, ClassFile, load_class_file, load_result
from autograder.lms.errors import LmsError, missing_extra
from autograder.lms.transport import check_url, what_it_said
from autograder.lms.user_ids import NO_CANVAS_USER_ID, canvas_addressee, check_unique

DONE_STATES = ("completed", "failed")
_MISSING_USERS = re.compile(r"Couldn't find User\(s\) with API ids (.*)", re.S)


@dataclass(frozen=True)
class CanvasStudent:
    """What happened to one student of class.json."""

    submission: str
    canvas_id: str | None
    outcome: Literal["graded", "failed", "skipped", "unknown"]
    message: str
    graded: bool  # the kit graded this student (so anything but "graded" is a grade not in Canvas)


@dataclass(frozen=True)
class CanvasPushReport:
    """The push: the assignment, the Canvas job (Progress) and each student."""

    assignment: str
    progress_url: str | None
    job_state: str | None
    students: tuple[CanvasStudent, ...]

    @property
    def not_reached(self) -> tuple[CanvasStudent, ...]:
        """Graded students whose grade is not (known to be) in Canvas."""
        return tuple(s for s in self.students if s.graded and s.outcome != "graded")

    def lines(self) -> list[str]:
        """The report, one line per student then a summary."""
        out = []
        if self.progress_url is not None:
            out.append(f"Canvas job {self.progress_url}: {self.job_state}")
        for s in self.students:
            out.append(f"{s.outcome:7} {s.submission} -> {s.canvas_id or '?'}: {s.message}")
        graded = sum(1 for s in self.students if s.graded)
        done = sum(1 for s in self.students if s.outcome == "graded")
        missed = len(self.not_reached)
        out.append(
            f"{done} of {graded} graded students' grades and comments are in "
            f"{self.assignment}; {missed} {'is' if missed == 1 else 'are'} not; "
            f"{len(self.students) - graded} not graded, not sent"
        )
        return out


def push_to_canvas(
    out: Path,
    *,
    url: str,
    course_id: int,
    assignment_id: int,
    token: str,
    roster: Roster | None = None,
    timeout: float = 30.0,
    poll_seconds: float = 1.0,
    wait_seconds: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> CanvasPushReport:
    """Send every graded student of ``out`` (a grade-batch folder) to a Canvas assignment.

    ``url`` is the Canvas address (``https://canvas.example.edu``, no
    ``/api/v1``). ``timeout`` is per request, in seconds; the job is polled
    every ``poll_seconds`` for at most ``wait_seconds``, after which its
    students are reported as unknown. Raises LmsError (nothing sent) as the
    module docstring says; a job Canvas ran is reported, not raised.
    """
    url = check_url(url.rstrip("/"), "the Canvas URL")
    if "/api/v1" in url:
        raise LmsError(f"the Canvas URL {url!r} must be the site's address, without /api/v1")
    if not token.strip() or any(c in token for c in "\r\n"):
        raise LmsError("the Canvas token is empty or spans several lines; put it in $CANVAS_TOKEN")
    class_file = load_class_file(Path(out) / CLASS_FILE)
    plan = _plan(class_file, roster)
    check_unique(a for a, _ in plan.values() if a is not None)
    grade_data = {
        a.user_id: data for a, data in plan.values() if a is not None and data is not None
    }
    if not grade_data:
        return CanvasPushReport(class_file.assignment, None, None, _students(class_file, plan, {}))
    canvas, errors = _canvas(url, token, timeout)
    what = f"reading course {course_id}"
    try:
        course = canvas.get_course(course_id)
        what = f"reading assignment {assignment_id} of course {course_id}"
        assignment = course.get_assignment(assignment_id)
        _check_assignment(assignment, class_file)
        what = f"sending the grades to assignment {assignment_id}"
        progress = assignment.submissions_bulk_update(grade_data=grade_data)
    except errors as error:
        raise _error(error, what, url) from None
    name = str(getattr(assignment, "name", assignment_id))
    state = str(getattr(progress, "workflow_state", ""))
    waited = 0.0
    try:
        while state not in DONE_STATES and waited < wait_seconds:
            sleep(poll_seconds)
            waited += poll_seconds
            progress.query()
            state = str(getattr(progress, "workflow_state", ""))
    except errors as error:
        state = f"unknown ({_error(error, 'asking how the job went', url)})"
    outcomes = _outcomes(state, getattr(progress, "message", None), grade_data, wait_seconds)
    return CanvasPushReport(
        name,
        str(getattr(progress, "url", "")) or f"{url}/api/v1/progress/{progress.id}",
        state,
        _students(class_file, plan, outcomes),
    )


def _plan(class_file: ClassFile, roster: Roster | None) -> dict[str, tuple[Any, Any]]:
    """Per submission: (addressee or None when not graded, grade data or None)."""
    plan: dict[str, tuple[Any, Any]] = {}
    for student in class_file.students:
        if not student.graded or student.score is None:
            plan[student.student] = (None, None)
            continue
        addressee = canvas_addressee(student.student, class_file, roster)
        if addressee.user_id is None:
            plan[student.student] = (addressee, None)
            continue
        comment = summary(load_result(class_file, student))
        data = {"posted_grade": plain_number(student.score), "text_comment": comment}
        plan[student.student] = (addressee, data)
    return plan


def _students(
    class_file: ClassFile, plan: dict[str, tuple[Any, Any]], outcomes: dict[str, tuple[str, str]]
) -> tuple[CanvasStudent, ...]:
    students = []
    for student in class_file.students:
        addressee, data = plan[student.student]
        if addressee is None:
            reason = student.failure or "not graded"
            students.append(
                CanvasStudent(
                    student.student,
                    None,
                    "skipped",
                    f"not graded, nothing was sent ({reason})",
                    graded=False,
                )
            )
        elif data is None:
            students.append(
                CanvasStudent(student.student, None, "skipped", NO_CANVAS_USER_ID, graded=True)
            )
        else:
            outcome, message = outcomes.get(addressee.user_id, ("unknown", "no outcome"))
            students.append(
                CanvasStudent(student.student, addressee.user_id, outcome, message, graded=True)
            )
    return tuple(students)


def _outcomes(
    state: str, message: Any, grade_data: dict[str, dict[str, str]], wait_seconds: float
) -> dict[str, tuple[str, str]]:
    """Each user id's (outcome, message) from the job's final state."""
    if state == "completed":
        return {
            uid: ("graded", f"grade {data['posted_grade']} and the comment are in Canvas")
            for uid, data in grade_data.items()
        }
    if state == "failed":
        text = str(message or "")
        missing = _MISSING_USERS.match(text)
        if missing:
            absent = set(re.findall(r"'([^']*)'", missing.group(1)))
            return {
                uid: (
                    ("failed", f"Canvas found no student with user id {uid} in this course")
                    if uid in absent
                    else ("graded", f"grade {data['posted_grade']} and the comment are in Canvas")
                )
                for uid, data in grade_data.items()
            }
        return {
            uid: ("unknown", f"the Canvas job failed ({text or 'no message'}); check the gradebook")
            for uid in grade_data
        }
    if state.startswith("unknown"):
        return {uid: ("unknown", state) for uid in grade_data}
    return {
        uid: (
            "unknown",
            f"the Canvas job was still {state or 'pending'} after {wait_seconds:g} s; "
            "check the gradebook later",
        )
        for uid in grade_data
    }


def _check_assignment(assignment: Any, class_file: ClassFile) -> None:
    name = getattr(assignment, "name", assignment.id)
    if getattr(assignment, "published", True) is False:
        raise LmsError(
            f"the Canvas assignment {name!r} is not published, and Canvas takes no grades for it; "
            "publish it first (nothing was sent)"
        )
    points = getattr(assignment, "points_possible", None)
    if not isinstance(points, int | float) or not math.isclose(
        points, class_file.max_score, rel_tol=1e-9, abs_tol=1e-9
    ):
        raise LmsError(
            f"the Canvas assignment {name!r} is worth {points!r} points but the grades in "
            f"{class_file.path} are out of {class_file.max_score:g}; set its points to "
            f"{class_file.max_score:g} in Canvas (nothing was sent)"
        )


def _canvas(url: str, token: str, timeout: float) -> tuple[Any, tuple[type[BaseException], ...]]:
    """A canvasapi Canvas whose requests time out and refuse redirects, and its errors."""
    try:
        import canvasapi
        import canvasapi.exceptions
        import requests
        from requests.adapters import HTTPAdapter
    except ImportError:
        raise missing_extra("canvasapi", "canvas") from None

    class TimeoutAdapter(HTTPAdapter):
        def send(self, request, **kwargs):
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            return super().send(request, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # http:// to this machine was checked
        canvas = canvasapi.Canvas(url, token)
    session = getattr(getattr(canvas, "_Canvas__requester", None), "_session", None)
    if isinstance(session, requests.Session):
        session.max_redirects = 0  # a redirect would carry the token elsewhere
        session.mount("https://", TimeoutAdapter())
        session.mount("http://", TimeoutAdapter())
    return canvas, (canvasapi.exceptions.CanvasException, requests.RequestException)


def _error(error: BaseException, what: str, url: str) -> LmsError:
    """One sentence for a canvasapi or requests error met while doing ``what``."""
    import canvasapi.exceptions as ce
    import requests

    said = _said(getattr(error, "message", None) or str(error))
    if isinstance(error, ce.InvalidAccessToken | ce.Unauthorized):
        return LmsError(
            f"Canvas at {url} refused the token in $CANVAS_TOKEN while {what} (HTTP 401: {said}); "
            "make a new access token under Account > Settings"
        )
    if isinstance(error, ce.Forbidden):
        return LmsError(
            f"Canvas at {url} forbids the token's user {what} (HTTP 403: {said}); use the token "
            "of a teacher of the course"
        )
    if isinstance(error, ce.ResourceDoesNotExist):
        return LmsError(
            f"Canvas at {url} has no such thing while {what} (HTTP 404); check --course and "
            "--assignment-id (the numbers in the assignment's address)"
        )
    if isinstance(error, ce.UnprocessableEntity):
        return LmsError(f"Canvas at {url} refused the request while {what} (HTTP 422: {said})")
    if isinstance(error, ce.BadRequest):
        return LmsError(f"Canvas at {url} refused the request while {what} (HTTP 400: {said})")
    if isinstance(error, requests.TooManyRedirects):
        return LmsError(
            f"Canvas at {url} redirected the request while {what}; the token is not sent on, "
            "give the address Canvas redirects to as --url"
        )
    if isinstance(error, requests.RequestException):
        return LmsError(f"Canvas at {url} did not answer while {what} ({type(error).__name__})")
    return LmsError(f"Canvas at {url} answered an error while {what} ({said})")


def _said(message: Any) -> str:
    if isinstance(message, list):
        parts = [str(m.get("message", m)) if isinstance(m, dict) else str(m) for m in message]
        return "; ".join(parts) or "no message"
    return what_it_said(str(message).encode("utf-8")) or "no message"
