"""canvas-push (autograder/lms/canvas_push.py) against Canvas's REST endpoints on 127.0.0.1.

The site (tests/fakes/canvas_rest.py) implements what canvasapi calls as
Canvas's API documents it, and records the form fields canvasapi sends. The
class is the one of test_lms_ags_push.py: ada (101) and bob (102) from the
roster, erin (105) from class.json (a Canvas zip), carol not graded, dan with
no Canvas user id.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fakes.canvas_rest import CanvasSite, serve, stop
from fakes.graded_out import write_graded_out
from fakes.lti_platform import drop_proxies
from test_export_common import graded, small_assignment
from test_lms_ags_push import BOB_COMMENT, ROSTER, students

from autograder.cli import main
from autograder.errors import UsageError
from autograder.export.roster import load_roster
from autograder.lms.canvas_push import push_to_canvas
from autograder.lms.command import canvas_push
from autograder.lms.errors import LmsError

TOKEN = "1~canvas-secret-token-8d7f"
COURSE = 31
ASSIGNMENT = 77


@pytest.fixture(autouse=True)
def _direct(monkeypatch):
    drop_proxies(monkeypatch)  # talk to 127.0.0.1 directly


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return load_roster(path)


@pytest.fixture
def out(tmp_path, roster) -> Path:
    return write_graded_out(
        tmp_path / "graded", students(), small_assignment(), roster, {"erin": "105"}
    )


def start(request, students=("101", "102", "103", "105"), points=6.0, published=True) -> CanvasSite:
    site = CanvasSite(token=TOKEN, course_id=COURSE, students=set(students))
    server = serve(site)
    request.addfinalizer(lambda: stop(*server))
    site.add_assignment(ASSIGNMENT, "Regression losses", points, published)
    return site


def push(site: CanvasSite, out: Path, roster, **more):
    options = dict(
        url=site.url,
        course_id=COURSE,
        assignment_id=ASSIGNMENT,
        token=TOKEN,
        roster=roster,
        timeout=5,
        poll_seconds=0.01,
    )
    return push_to_canvas(out, **(options | more))


def posted_forms(site: CanvasSite) -> list[list[tuple[str, str]]]:
    return [r["form"] for r in site.requests if r["path"].endswith("/update_grades")]


def test_every_graded_student_gets_the_grade_and_the_summary_as_a_comment(request, out, roster):
    site = start(request)
    report = push(site, out, roster)
    (form,) = posted_forms(site)
    fields = dict(form)
    assert fields["grade_data[101][posted_grade]"] == "6"
    assert fields["grade_data[101][text_comment]"] == "6 / 6 points."
    assert fields["grade_data[102][posted_grade]"] == "4.5"
    assert fields["grade_data[102][text_comment]"] == BOB_COMMENT
    assert fields["grade_data[105][posted_grade]"] == "6"
    assert set(fields) == {
        f"grade_data[{uid}][{name}]"
        for uid in ("101", "102", "105")
        for name in ("posted_grade", "text_comment")
    }  # carol (not graded) and dan (no id) are not sent
    assert site.grades == {
        (ASSIGNMENT, "101"): "6",
        (ASSIGNMENT, "102"): "4.5",
        (ASSIGNMENT, "105"): "6",
    }
    assert site.comments[(ASSIGNMENT, "102")] == [BOB_COMMENT]
    by = {s.submission: s for s in report.students}
    assert [by[n].outcome for n in ("ada", "bob", "carol", "dan", "erin")] == [
        "graded", "graded", "skipped", "skipped", "graded"
    ]  # fmt: skip
    assert "not graded" in by["carol"].message and "no Canvas user id" in by["dan"].message
    assert report.job_state == "completed" and report.progress_url.endswith("/api/v1/progress/1")
    assert [s.submission for s in report.not_reached] == ["dan"]
    paths = [r["path"] for r in site.requests]
    assert paths[:3] == [
        f"/api/v1/courses/{COURSE}",
        f"/api/v1/courses/{COURSE}/assignments/{ASSIGNMENT}",
        f"/api/v1/courses/{COURSE}/assignments/{ASSIGNMENT}/submissions/update_grades",
    ]
    assert all(p == "/api/v1/progress/1" for p in paths[3:]) and len(paths) >= 5
    assert all(r["headers"]["authorization"] == f"Bearer {TOKEN}" for r in site.requests)


def test_a_student_canvas_does_not_know_is_reported_and_the_others_are_graded(request, out, roster):
    site = start(request, students=("101", "102"))  # erin (105) is not in the course
    report = push(site, out, roster)
    by = {s.submission: s for s in report.students}
    assert by["erin"].outcome == "failed"
    assert by["erin"].message == "Canvas found no student with user id 105 in this course"
    assert by["ada"].outcome == by["bob"].outcome == "graded"
    assert report.job_state == "failed"
    assert set(site.grades) == {(ASSIGNMENT, "101"), (ASSIGNMENT, "102")}
    assert {s.submission for s in report.not_reached} == {"dan", "erin"}


def test_a_refused_token_is_one_sentence_and_nothing_is_sent(request, out, roster):
    site = start(request)
    with pytest.raises(LmsError) as caught:
        push(site, out, roster, token="expired")
    text = str(caught.value)
    assert text.startswith(f"Canvas at {site.url} refused the token in $CANVAS_TOKEN")
    assert "HTTP 401: Invalid access token." in text and "\n" not in text
    assert posted_forms(site) == []


def test_an_unpublished_assignment_is_refused_before_sending(request, out, roster):
    site = start(request, published=False)
    with pytest.raises(LmsError, match="'Regression losses' is not published"):
        push(site, out, roster)
    assert posted_forms(site) == []


def test_an_assignment_worth_other_points_is_refused_before_sending(request, out, roster):
    site = start(request, points=100.0)
    with pytest.raises(LmsError, match=r"worth 100\.0 points but the grades .* are out of 6"):
        push(site, out, roster)
    assert posted_forms(site) == []


@pytest.mark.parametrize(("course", "assignment"), [(99, ASSIGNMENT), (COURSE, 5)])
def test_a_course_or_assignment_canvas_does_not_have_is_one_sentence(
    request, out, roster, course, assignment
):
    site = start(request)
    with pytest.raises(LmsError, match=r"HTTP 404\); check --course and --assignment-id"):
        push(site, out, roster, course_id=course, assignment_id=assignment)
    assert posted_forms(site) == []


def test_a_redirect_is_not_followed_with_the_token(request, out, roster):
    site = start(request)
    site.redirect = True
    with pytest.raises(LmsError, match="redirected the request"):
        push(site, out, roster)
    assert len(site.requests) == 1


def test_no_canvas_listening_is_one_sentence(out, roster):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LmsError, match=f"Canvas at http://127.0.0.1:{port} did not answer"):
        push_to_canvas(
            out,
            url=f"http://127.0.0.1:{port}",
            course_id=1,
            assignment_id=2,
            token=TOKEN,
            roster=roster,
            timeout=2,
        )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://canvas.example.edu", "must start with https://"),
        ("https://canvas.example.edu/api/v1", "without /api/v1"),
    ],
)
def test_a_bad_canvas_url_is_refused_before_sending(out, roster, url, message):
    with pytest.raises(LmsError, match=message):
        push_to_canvas(out, url=url, course_id=1, assignment_id=2, token=TOKEN, roster=roster)


def test_nobody_to_send_sends_nothing(request, tmp_path):
    site = start(request)
    out = write_graded_out(tmp_path / "g", [graded("dan")], small_assignment(), None)
    report = push(site, out, None)
    assert site.requests == [] and [s.outcome for s in report.students] == ["skipped"]


def test_a_job_still_running_is_reported_as_unknown(request, out, roster):
    site = start(request)
    report = push(site, out, roster, wait_seconds=0.01)  # one poll: the job is only running
    assert report.job_state == "running"
    assert all(s.outcome in ("unknown", "skipped") for s in report.students)
    assert "still running" in next(s for s in report.students if s.submission == "ada").message


# -- the command -------------------------------------------------------------------------------


def test_the_command_reads_the_token_from_the_environment(
    request, out, tmp_path, monkeypatch, capsys
):
    site = start(request)
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    where = {"url": site.url, "course": COURSE, "assignment_id": ASSIGNMENT}
    roster = tmp_path / "roster.csv"
    monkeypatch.delenv("CANVAS_TOKEN", raising=False)
    with pytest.raises(UsageError, match="CANVAS_TOKEN holds no Canvas access token"):
        canvas_push(out, **where, roster=roster)
    monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
    assert canvas_push(out, **where, roster=roster) == 1  # dan has no Canvas user id
    printed = capsys.readouterr().out
    assert "graded  bob -> 102: grade 4.5 and the comment are in Canvas" in printed
    assert TOKEN not in printed


def test_the_command_line_passes_every_flag(request, out, tmp_path, monkeypatch, capsys):
    site = start(request)
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    argv = ["canvas-push", str(out), "--url", site.url, "--course", str(COURSE)]
    argv += ["--assignment-id", str(ASSIGNMENT), "--roster", str(tmp_path / "roster.csv")]
    monkeypatch.setenv("MY_CANVAS", TOKEN)
    assert main([*argv, "--token-env", "MY_CANVAS"]) == 1  # dan has no Canvas user id
    assert "graded  bob -> 102" in capsys.readouterr().out
    monkeypatch.delenv("CANVAS_TOKEN", raising=False)
    assert main(argv) == 2
    assert "CANVAS_TOKEN holds no Canvas access token" in capsys.readouterr().err
