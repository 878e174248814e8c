"""The Canvas REST endpoints canvas-push uses, on 127.0.0.1, as Canvas's API documents them.

- ``GET /api/v1/courses/:id`` (Courses API) and
  ``GET /api/v1/courses/:course_id/assignments/:id`` (Assignments API): the objects,
  or 404 ``{"errors": [{"message": "The specified resource does not exist."}]}``.
- ``POST /api/v1/courses/:course_id/assignments/:assignment_id/submissions/update_grades``
  (Submissions API, "Grade or comment on multiple submissions"): form fields
  ``grade_data[<student_id>][posted_grade]`` and ``grade_data[<student_id>][text_comment]``;
  400 ``{"error": "'grade_data' parameter required"}`` without them; 401 for an
  unpublished assignment (``render_unauthorized_action``); else a Progress
  (``workflow_state`` "queued").
- ``GET /api/v1/progress/:id`` (Progress API): the job runs when polled: queued, then
  running, then completed, or failed with ``Couldn't find User(s) with API ids
  '<id>', ...`` when some ids are not students of the course (the others are graded
  all the same), as ``Submission.process_bulk_update`` does.
- A wrong or missing token: 401 ``{"errors": [{"message": "Invalid access token."}]}``
  with ``WWW-Authenticate: Bearer realm="canvas-lms"``.

Every request is recorded with its form fields, in the order sent.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_GRADE_FIELD = re.compile(r"\Agrade_data\[([^\]]+)\]\[([^\]]+)\]\Z")
NOT_FOUND = {"errors": [{"message": "The specified resource does not exist."}]}


@dataclass
class CanvasSite:
    """One course with assignments and students; ``url`` is set once it serves."""

    token: str
    course_id: int
    students: set[str]  # Canvas user ids of the course's students
    assignments: dict[int, dict[str, Any]] = field(default_factory=dict)
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    pending: dict[int, tuple[int, dict[str, dict[str, str]]]] = field(default_factory=dict)
    grades: dict[tuple[int, str], str] = field(default_factory=dict)
    comments: dict[tuple[int, str], list[str]] = field(default_factory=dict)
    redirect: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_assignment(self, number: int, name: str, points: float, published: bool = True) -> None:
        self.assignments[number] = {
            "id": number,
            "name": name,
            "course_id": self.course_id,
            "points_possible": points,
            "grading_type": "points",
            "published": published,
            "html_url": f"{self.url}/courses/{self.course_id}/assignments/{number}",
        }

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes):
        with self.lock:
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True) if body else []
            self.requests.append({"method": method, "path": path, "headers": headers, "form": form})
            if self.redirect:
                return 302, {"Location": "http://127.0.0.1:9/elsewhere"}, b""
            if headers.get("authorization") != f"Bearer {self.token}":
                return _json(
                    401,
                    {"errors": [{"message": "Invalid access token."}]},
                    {"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
                )
            route = urlsplit(path).path.rstrip("/")
            parts = route.split("/")
            course = f"/api/v1/courses/{self.course_id}"
            if method == "GET" and route == course:
                return _json(200, {"id": self.course_id, "name": "Machine learning 101"})
            if method == "GET" and route.startswith(course + "/assignments/") and len(parts) == 7:
                assignment = self.assignments.get(int(parts[6]))
                return _json(200, assignment) if assignment else _json(404, NOT_FOUND)
            if (
                method == "POST"
                and route.startswith(course + "/assignments/")
                and route.endswith("/submissions/update_grades")
            ):
                return self._update_grades(int(parts[6]), form)
            if method == "GET" and route.startswith("/api/v1/progress/"):
                return self._progress(int(parts[4]))
            return _json(404, NOT_FOUND)

    def _update_grades(self, number: int, form: list[tuple[str, str]]):
        assignment = self.assignments.get(number)
        if assignment is None:
            return _json(404, NOT_FOUND)
        grade_data: dict[str, dict[str, str]] = {}
        for key, value in form:
            match = _GRADE_FIELD.match(key)
            if match:
                grade_data.setdefault(match.group(1), {})[match.group(2)] = value
        if not grade_data:
            return _json(400, {"error": "'grade_data' parameter required"})
        if not assignment["published"]:
            return _json(
                401,
                {
                    "status": "unauthorized",
                    "errors": [{"message": "user not authorized to perform that action"}],
                },
            )
        job = len(self.jobs) + 1
        self.jobs[job] = {
            "id": job,
            "context_id": self.course_id,
            "context_type": "Course",
            "user_id": 1,
            "tag": "submissions_update",
            "completion": 0,
            "workflow_state": "queued",
            "message": None,
            "results": None,
            "url": f"{self.url}/api/v1/progress/{job}",
        }
        self.pending[job] = (number, grade_data)
        return _json(200, self.jobs[job])

    def _progress(self, job: int):
        progress = self.jobs.get(job)
        if progress is None:
            return _json(404, NOT_FOUND)
        if progress["workflow_state"] == "queued":
            progress["workflow_state"] = "running"
        elif progress["workflow_state"] == "running":
            number, grade_data = self.pending.pop(job)
            missing = []
            for user_id, data in grade_data.items():
                if user_id not in self.students:
                    missing.append(user_id)
                    continue
                if "posted_grade" in data:
                    self.grades[(number, user_id)] = data["posted_grade"]
                if data.get("text_comment"):
                    self.comments.setdefault((number, user_id), []).append(data["text_comment"])
            progress["completion"] = 100
            if missing:
                ids = ", ".join(f"'{i}'" for i in missing)
                progress["message"] = f"Couldn't find User(s) with API ids {ids}"
                progress["workflow_state"] = "failed"
            else:
                progress["workflow_state"] = "completed"
        return _json(200, progress)


def serve(site: CanvasSite):
    """Serve ``site`` on 127.0.0.1 (a free port) in a thread; returns what :func:`stop` takes."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, data = site.handle(method, self.path, headers, body)
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._any("GET")

        def do_POST(self) -> None:
            self._any("POST")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return server, thread


def stop(server, thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _json(status: int, data: Any, extra: dict | None = None):
    headers = {"Content-Type": "application/json; charset=utf-8", **(extra or {})}
    return status, headers, json.dumps(data).encode("utf-8")
