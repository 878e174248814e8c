"""LTI 1.3 AGS Scores (autograder/export/lti.py) and sending them (autograder/export/lti_push.py).

The Score rules are the AGS specification's, with Canvas's checks on top
(shared/FORMATS.md). The push tests run a fake platform on 127.0.0.1 (port
0, a thread): nothing leaves the machine, and every request has a short
timeout.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from test_export_common import (
    GOLDEN,
    check,
    graded,
    not_graded,
    small_assignment,
    small_class,
    small_roster,
)

from autograder.export.common import SUMMARY_CHARS
from autograder.export.lti import ACTIVITY_PROGRESS, GRADING_PROGRESS, lti_scores, write_jsonl
from autograder.export.lti_push import SCORE_MEDIA_TYPE, push_scores, scores_url
from autograder.grading.results import StudentResult

WHEN = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
TOKEN = "secret-token-3f9a1c"
REQUIRED = ("userId", "timestamp", "activityProgress", "gradingProgress")
IGNORES_SCORE = ("Pending", "Failed", "NotReady")  # Canvas ignores scoreGiven with these
PROXY_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
)


def assert_valid_score(score: dict) -> None:
    """The AGS Score rules, and Canvas's."""
    assert all(key in score for key in REQUIRED)
    assert isinstance(score["userId"], str) and score["userId"]
    assert score["activityProgress"] in ACTIVITY_PROGRESS
    assert score["gradingProgress"] in GRADING_PROGRESS
    when = datetime.fromisoformat(score["timestamp"])
    assert when.tzinfo is not None and when.utcoffset() is not None
    assert re.search(r"T\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d\Z", score["timestamp"])
    if "scoreGiven" in score:
        assert isinstance(score["scoreGiven"], int | float) and score["scoreGiven"] >= 0
        assert isinstance(score["scoreMaximum"], int | float) and score["scoreMaximum"] > 0
    if score["gradingProgress"] in IGNORES_SCORE:
        assert "scoreGiven" not in score
    if "comment" in score:
        assert len(score["comment"]) <= SUMMARY_CHARS and "\n" not in score["comment"]
    assert set(score) <= {*REQUIRED, "scoreGiven", "scoreMaximum", "comment"}


# -- Scores ------------------------------------------------------------------------------------


def test_golden_small_class(tmp_path):
    # Why tests/golden/lti_small_class.jsonl is right, line by line (one Score per line):
    # 1. carol (first by name) is not in the roster, so her userId is her submission name; her
    #    grading failed: gradingProgress Failed, no scoreGiven (Canvas would ignore it) and so no
    #    scoreMaximum; she did hand in, so activityProgress is Completed; the comment tells her.
    # 2. ada: userId is her roster lti_user_id (the platform's sub); 6 of 6, FullyGraded; the
    #    maximum comes with the score, as Canvas requires.
    # 3. bob: his roster row has no lti_user_id, so his submission name stands in; 4.5 of 6; the
    #    comment names his visible mistake only (his hidden check is not described).
    # Every timestamp is the export time with microseconds (even .000000) and its UTC offset.
    path = tmp_path / "scores.jsonl"
    write_jsonl(lti_scores(small_class(), small_assignment(), small_roster(), WHEN), path)
    assert path.read_text(encoding="utf-8") == (GOLDEN / "lti_small_class.jsonl").read_text(
        encoding="utf-8"
    )


def test_every_score_follows_the_rules():
    scores = lti_scores(small_class(), small_assignment(), small_roster(), WHEN)
    assert len(scores) == 3
    for score in scores:
        assert_valid_score(score)
    failed = [s for s in scores if s["gradingProgress"] == "Failed"]
    assert [s["userId"] for s in failed] == ["carol"]


def test_the_timestamp_keeps_its_offset_and_microseconds():
    when = datetime(2026, 3, 1, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    (score,) = lti_scores([graded("ada")], small_assignment(), None, when)
    assert score["timestamp"] == "2026-03-01T23:59:59.123456+05:30"
    assert datetime.fromisoformat(score["timestamp"]) == when


def test_a_naive_timestamp_is_refused():
    with pytest.raises(ValueError, match="no UTC offset"):
        lti_scores([graded("ada")], small_assignment(), None, datetime(2026, 1, 15, 9, 30))


def test_the_comment_is_short_plain_text():
    failing = {
        c: check(c, 0.5, "sum_not_mean", "sum instead of mean " + "and more " * 200)
        for c in ("mse_values", "mse_grad_values", "fit_mse_converges")
    }
    (score,) = lti_scores(
        [graded("eve", failing, load_problems=("x\n" * 900,))], small_assignment(), None, WHEN
    )
    assert_valid_score(score)
    assert len(score["comment"]) == SUMMARY_CHARS and score["comment"].endswith("…")


def test_write_jsonl_writes_one_object_per_line(tmp_path):
    scores = lti_scores(small_class(), small_assignment(), None, WHEN)
    path = tmp_path / "out" / "scores.jsonl"
    write_jsonl(scores, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == scores


# -- pushing -----------------------------------------------------------------------------------


@dataclass
class FakePlatform:
    """An LTI platform's Scores endpoint on 127.0.0.1 that records what it is sent."""

    url: str
    requests: list[dict] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # userIds answered 401
    redirect: bool = False


@pytest.fixture
def platform(monkeypatch) -> Iterator[FakePlatform]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)  # talk to 127.0.0.1 directly

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            score = json.loads(body)
            fake.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "score": score}
            )
            if fake.redirect:
                self.answer(302, b"", {"Location": "http://127.0.0.1:9/elsewhere"})
            elif score["userId"] in fake.refuse:
                self.answer(401, b'{"errors": [{"message": "Invalid access token"}]}')
            else:
                self.answer(200, json.dumps({"resultUrl": f"{self.path}/1"}).encode())

        def answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    fake = FakePlatform(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_scores_url_adds_scores_before_the_query():
    assert scores_url("https://lms.example.edu/lineitems/7?type_id=3") == (
        "https://lms.example.edu/lineitems/7/scores?type_id=3"
    )
    assert scores_url("https://lms.example.edu/lineitems/7/") == (
        "https://lms.example.edu/lineitems/7/scores"
    )
    assert scores_url("http://127.0.0.1:8000/lineitems/7#x") == (
        "http://127.0.0.1:8000/lineitems/7/scores"
    )


@pytest.mark.parametrize(
    "url", ["http://lms.example.edu/lineitems/7", "file:///etc/passwd", "lineitems/7", "ftp://x/y"]
)
def test_urls_that_would_expose_the_token_are_refused_before_sending(url):
    with pytest.raises(ValueError, match="must start with https://"):
        push_scores([{"userId": "ada"}], url, TOKEN, timeout=1)


def test_push_posts_each_graded_score_to_the_line_items_scores(platform):
    scores = lti_scores(small_class(), small_assignment(), small_roster(), WHEN)
    report = push_scores(scores, f"{platform.url}/lineitems/7?type_id=3", TOKEN, timeout=5)
    assert report.ok and len(report.outcomes) == 3
    assert [o.status for o in report.outcomes] == [None, 200, 200]  # carol is not graded
    assert [r["score"] for r in platform.requests] == scores[1:]
    for request in platform.requests:
        assert request["path"] == "/lineitems/7/scores?type_id=3"
        assert request["headers"]["Content-Type"] == SCORE_MEDIA_TYPE
        assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_a_refused_student_is_reported_and_the_others_still_go_through(platform, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    platform.refuse = {"0ae836b9-7fc9-4060-006f-27b2066ac545"}  # ada's sub
    scores = lti_scores(small_class(), small_assignment(), small_roster(), WHEN)
    report = push_scores(scores, f"{platform.url}/lineitems/7", TOKEN, timeout=5)
    assert len(platform.requests) == 2  # carol is not graded: not sent
    assert not report.ok
    (refused,) = report.failed
    assert refused.user_id == "0ae836b9-7fc9-4060-006f-27b2066ac545"
    assert refused.status == 401
    assert refused.message.startswith("HTTP 401 Unauthorized: ")
    assert "Invalid access token" in refused.message
    assert [o.user_id for o in report.outcomes if o.ok] == ["bob"]
    assert [o.user_id for o in report.skipped] == ["carol"]
    captured = capsys.readouterr()
    assert TOKEN not in repr(report) + caplog.text + captured.out + captured.err


def test_a_redirect_is_not_followed_with_the_token(platform):
    platform.redirect = True
    scores = lti_scores([graded("ada")], small_assignment(), None, WHEN)
    report = push_scores(scores, f"{platform.url}/lineitems/7", TOKEN, timeout=5)
    (outcome,) = report.outcomes
    assert not outcome.ok and outcome.status == 302
    assert "redirected" in outcome.message
    assert len(platform.requests) == 1


def test_no_platform_listening_is_reported_for_each_student():
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scores = lti_scores([graded("ada"), graded("bob")], small_assignment(), None, WHEN)
    report = push_scores(scores, f"http://127.0.0.1:{port}/li/7", TOKEN, timeout=2)
    assert [(o.user_id, o.ok, o.status) for o in report.outcomes] == [
        ("ada", False, None),
        ("bob", False, None),
    ]
    assert all(o.message.startswith("no answer from the platform") for o in report.outcomes)


def test_an_empty_token_is_refused():
    with pytest.raises(ValueError, match="token"):
        push_scores([], "https://lms.example.edu/lineitems/7", "", timeout=1)


def test_a_failed_grading_score_has_no_score_given():
    (score,) = lti_scores([not_graded("carol")], small_assignment(), None, WHEN)
    assert score["gradingProgress"] == "Failed"
    assert "scoreGiven" not in score and "scoreMaximum" not in score


def test_a_score_that_gives_no_grade_is_never_sent_over_an_earlier_grade(platform):
    # Canvas sets the score to none on a Failed Score (FORMATS.md: it ignores scoreGiven with
    # Failed), so a student who was graded last week and whose regrade failed today must keep
    # last week's grade: nothing at all is sent for them.
    earlier = lti_scores([graded("carol")], small_assignment(), None, WHEN)
    assert push_scores(earlier, f"{platform.url}/lineitems/7", TOKEN, timeout=5).ok
    today = lti_scores([not_graded("carol"), graded("ada")], small_assignment(), None, WHEN)
    hand_made = {"userId": "dan", "gradingProgress": "FullyGraded"}  # no scoreGiven: no grade
    report = push_scores([*today, hand_made], f"{platform.url}/lineitems/7", TOKEN, timeout=5)
    sent = [r["score"] for r in platform.requests]
    assert [s["userId"] for s in sent] == ["carol", "ada"]  # carol only from the earlier push
    assert sent[0]["scoreGiven"] == 6.0
    assert report.ok and not report.failed
    assert [(o.user_id, o.skipped, o.ok, o.status) for o in report.outcomes] == [
        ("ada", False, True, 200),  # lti_scores orders by name
        ("carol", True, False, None),
        ("dan", True, False, None),
    ]
    assert all("not graded" in o.message for o in report.skipped)


def test_a_result_marked_not_graded_is_a_failed_score_without_a_score():
    flagged = StudentResult("dan", replace(graded("dan").result, graded=False))
    (score,) = lti_scores([flagged], small_assignment(), None, WHEN)
    assert_valid_score(score)
    assert score["gradingProgress"] == "Failed" and "scoreGiven" not in score


def test_scores_jsonl_is_valid_utf8_whatever_the_text(tmp_path):
    lone = chr(0xD800)
    failing = {"mse_values": check("mse_values", 0.5, "rmse", f"odd {lone} summary")}
    scores = lti_scores([graded(f"eve{lone}", failing)], small_assignment(), None, WHEN)
    path = tmp_path / "scores.jsonl"
    path.write_text("old\n", encoding="utf-8")
    write_jsonl(scores, path)
    (line,) = path.read_bytes().decode("utf-8").splitlines()  # strict: no encoded surrogate
    score = json.loads(line)
    assert score["userId"] == "eve\ufffd" and "odd \ufffd summary" in score["comment"]
    assert [p.name for p in tmp_path.iterdir()] == ["scores.jsonl"]
