"""lti-push with service access (autograder/lms/ags_push.py) end to end against a platform.

The grade-batch folder is written by the kit's own writers (tests/fakes/graded_out.py);
the platform (tests/fakes/lti_platform.py) serves on 127.0.0.1, verifies the
token request with the registered key set and applies Canvas's or Moodle's
rules to each Score. One test runs a real grade-batch first.

The class: ada (6 of 6, roster lti_user_id and canvas_id), bob (4.5 of 6, roster
canvas_id only), carol (not graded), dan (graded, no id anywhere), erin (graded;
her submission came from a Canvas zip, so class.json carries her canvas_id).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fakes.graded_out import write_graded_out
from fakes.lti_platform import (
    LINEITEM_READONLY,
    SCORE,
    SCORE_TYPE,
    Platform,
    drop_proxies,
    serve,
    stop,
)
from test_export_common import check, graded, not_graded, small_assignment
from test_lms_service import CLIENT_ID

from autograder.cli import main
from autograder.errors import UsageError
from autograder.export.lti_push import push_scores
from autograder.export.roster import load_roster
from autograder.lms.ags_push import ServiceSettings, push_with_service, read_scores
from autograder.lms.command import LtiPushOptions, ServiceAccess, lti_push
from autograder.lms.errors import LmsError
from autograder.lms.keys import write_keys
from autograder.lms.stamps import PushClock

ADA_LTI = "0ae836b9-7fc9-4060-006f-27b2066ac545"
ROSTER = (
    "submission,name,canvas_id,lti_user_id\n"
    f'ada,"Lovelace, Ada",101,{ADA_LTI}\n'
    "bob,Bob Tables,102,\n"
    "carol,Carol,103,\n"
)
# every id the platform takes for each student (Canvas takes the LTI id or the Canvas user id)
ENROLLED = {ADA_LTI: "ada", "101": "ada", "102": "bob", "103": "carol", "105": "erin"}
BOB_COMMENT = (
    "4.5 / 6 points. Not yet right: mse_grad. Likely mistakes: mse_grad: sum instead of mean "
    "(no 1/n)."
)


@pytest.fixture(autouse=True)
def _direct(monkeypatch):
    drop_proxies(monkeypatch)  # talk to 127.0.0.1 directly


def students(carol_graded: bool = False):
    bob_failing = {
        "mse_grad_values": check(
            "mse_grad_values", 0.75, "sum_not_mean", "sum instead of mean (no 1/n)"
        ),
        "fit_mae_converges": check("fit_mae_converges", 0.0, "diverges", "the fit runs away"),
    }
    carol = graded("carol", score=3.0) if carol_graded else not_graded("carol")
    return [graded("ada"), graded("bob", bob_failing), carol, graded("dan"), graded("erin")]


@pytest.fixture
def roster_path(tmp_path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


@pytest.fixture
def out(tmp_path, roster_path) -> Path:
    return write_graded_out(
        tmp_path / "graded",
        students(),
        small_assignment(),
        load_roster(roster_path),
        {"erin": "105"},
    )


@pytest.fixture
def tool_keys(tmp_path):
    return write_keys(tmp_path / "keys")


def start(request, tool_keys, flavor: str, enrolled=None, **options) -> Platform:
    platform = Platform(
        flavor=flavor,
        client_id=CLIENT_ID,
        jwks=json.loads(tool_keys.jwks.read_text()),
        students=dict(ENROLLED if enrolled is None else enrolled),
        **options,
    )
    server = serve(platform)
    request.addfinalizer(lambda: stop(*server))
    return platform


def settings(platform: Platform, tool_keys, **more) -> ServiceSettings:
    return ServiceSettings(
        client_id=CLIENT_ID,
        token_url=platform.token_url,
        key_path=tool_keys.private_key,
        lineitems_url=platform.lineitems_url,
        timeout=5,
        **more,
    )


def sent_scores(platform: Platform) -> list[dict]:
    return [
        json.loads(r["body"])
        for r in platform.requests
        if r["path"].split("?")[0].endswith("/scores")
    ]


def test_every_graded_student_reaches_canvas_under_the_right_id(
    request, tool_keys, out, roster_path
):
    platform = start(request, tool_keys, "canvas")
    for label in ("Quiz 1", "Quiz 2", "Quiz 3"):
        platform.add_line_item(label, 10)  # the kit's column is not on the first page
    report = push_with_service(
        out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path)
    )

    # the line item did not exist: made with the assignment's name and maximum
    assert report.line_item.created and report.line_item.label == "regression_losses"
    assert platform.line_items[-1]["scoreMaximum"] == 6
    item = report.line_item.url
    assert platform.grade(item, "ada") == 6.0
    assert platform.grade(item, "bob") == 4.5
    assert platform.grade(item, "erin") == 6.0
    assert platform.grade(item, "carol") is None  # not graded: nothing sent
    by_submission = {s.submission: s for s in report.students}
    assert by_submission["ada"].user_id == ADA_LTI  # the roster's lti_user_id
    assert by_submission["bob"].user_id == "102"  # no LTI id: the roster's Canvas user id
    assert by_submission["erin"].user_id == "105"  # class.json's Canvas user id (a Canvas zip)
    assert [s.submission for s in report.not_reached] == ["dan"]  # no id anywhere
    assert "no LTI user id nor Canvas user id" in by_submission["dan"].message
    assert (
        by_submission["carol"].outcome == "skipped"
        and "not graded" in by_submission["carol"].message
    )

    sent = sent_scores(platform)
    assert sorted(s["userId"] for s in sent) == sorted([ADA_LTI, "102", "105"])
    assert {s["timestamp"] for s in sent} == {report.timestamp}
    stamp = datetime.fromisoformat(report.timestamp)
    assert stamp.utcoffset() is not None and report.timestamp.endswith(".000+00:00")
    bob = next(s for s in sent if s["userId"] == "102")
    assert bob["comment"] == BOB_COMMENT and bob["scoreMaximum"] == 6.0
    for r in platform.requests:
        if r["path"].endswith("/scores"):
            assert r["headers"]["content-type"] == SCORE_TYPE
    lines = report.lines()
    assert (
        lines[-1]
        == "3 of 4 graded students' scores accepted; 1 did not reach the platform; 1 not graded, not sent"
    )


def test_a_second_push_of_the_same_run_succeeds_on_moodle(request, tool_keys, out, roster_path):
    # Moodle answers 409 to a Score whose whole second is not later than the stored one
    platform = start(request, tool_keys, "moodle")
    first = push_with_service(
        out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path)
    )
    second = push_with_service(
        out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path)
    )
    assert first.line_item.created and not second.line_item.created
    assert second.line_item.url == first.line_item.url and "type_id=7" in first.line_item.url
    assert [s.outcome for s in second.students] == [s.outcome for s in first.students]
    assert len(second.sent) == 3 and not any(s.outcome == "failed" for s in second.students)
    gap = datetime.fromisoformat(second.timestamp) - datetime.fromisoformat(first.timestamp)
    assert gap >= timedelta(seconds=1)
    services = [r["path"] for r in platform.requests if r["path"] != "/mod/lti/token.php"]
    assert all("type_id=7" in path for path in services)  # Moodle's tool id kept everywhere


def test_the_platforms_timestamp_rule_is_real(request, tool_keys, out, roster_path):
    # Without fresh stamps (the old route: scores.jsonl's export time, pushed twice), Moodle
    # refuses the second push with 409, and so does this platform.
    platform = start(request, tool_keys, "moodle")
    report = push_with_service(
        out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path)
    )
    token = next(iter(platform.tokens))
    again = [dict(s, timestamp=report.timestamp) for s in sent_scores(platform)]
    replay = push_scores(again, report.line_item.url, token, timeout=5)
    assert {o.status for o in replay.outcomes} == {409}


def test_canvas_refusing_an_unknown_user_is_reported_for_that_student_only(
    request, tool_keys, out, roster_path
):
    enrolled = {k: v for k, v in ENROLLED.items() if v != "erin"}  # erin dropped the course
    platform = start(request, tool_keys, "canvas", enrolled)
    report = push_with_service(
        out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path)
    )
    erin = next(s for s in report.students if s.submission == "erin")
    assert (erin.outcome, erin.status) == ("failed", 422)
    assert "User not found in course or is not a student" in erin.message
    assert {s.submission for s in report.sent} == {"ada", "bob"}
    assert {s.submission for s in report.not_reached} == {"dan", "erin"}


def test_a_not_graded_student_keeps_the_grade_an_earlier_push_gave(
    request, tool_keys, tmp_path, roster_path
):
    platform = start(request, tool_keys, "canvas")
    roster = load_roster(roster_path)
    earlier = write_graded_out(
        tmp_path / "monday", students(carol_graded=True), small_assignment(), roster
    )
    today = write_graded_out(tmp_path / "tuesday", students(), small_assignment(), roster)
    first = push_with_service(earlier / "scores.jsonl", settings(platform, tool_keys), roster)
    assert platform.grade(first.line_item.url, "carol") == 3.0
    push_with_service(today / "scores.jsonl", settings(platform, tool_keys), roster)
    assert platform.grade(first.line_item.url, "carol") == 3.0
    assert all(s["userId"] != "103" for s in sent_scores(platform)[4:])


def test_the_line_item_is_found_by_resource_id_and_the_label_option(
    request, tool_keys, out, roster_path
):
    platform = start(request, tool_keys, "canvas")
    platform.add_line_item("regression_losses", 6)  # same label, another column
    wanted = platform.add_line_item("Losses (autograded)", 20, resource_id="kit-losses")
    report = push_with_service(
        out / "scores.jsonl",
        settings(platform, tool_keys, resource_id="kit-losses", label="ignored when found"),
        load_roster(roster_path),
    )
    assert report.line_item.url == wanted and not report.line_item.created
    assert platform.grade(wanted, "bob") == pytest.approx(4.5 * 20 / 6)  # the platform rescales


def test_a_refused_key_sends_nothing(request, tool_keys, out, roster_path, tmp_path):
    platform = start(request, tool_keys, "canvas")
    stranger = write_keys(tmp_path / "stranger")
    with pytest.raises(LmsError) as caught:
        push_with_service(
            out / "scores.jsonl",
            ServiceSettings(
                CLIENT_ID,
                platform.token_url,
                stranger.private_key,
                platform.lineitems_url,
                timeout=5,
            ),
            load_roster(roster_path),
        )
    assert "refused an access token" in str(caught.value) and "\n" not in str(caught.value)
    assert [r["path"] for r in platform.requests] == [
        "/login/oauth2/token"
    ]  # nothing else was sent


def test_without_the_score_scope_nothing_is_sent(request, tool_keys, out, roster_path):
    platform = start(request, tool_keys, "moodle", allowed_scopes=frozenset({LINEITEM_READONLY}))
    with pytest.raises(
        LmsError, match=r"did not grant the score scope \(only lineitem\.readonly\)"
    ):
        push_with_service(
            out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path)
        )
    assert len(platform.requests) == 1


def test_moodle_without_the_lineitem_scope_uses_an_existing_column(
    request, tool_keys, out, roster_path
):
    platform = start(
        request, tool_keys, "moodle", allowed_scopes=frozenset({LINEITEM_READONLY, SCORE})
    )
    wanted = platform.add_line_item("regression_losses", 6)
    report = push_with_service(
        out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path)
    )
    assert report.line_item.url == wanted and len(report.sent) == 3


def test_two_submissions_for_one_student_are_refused_before_anything_is_sent(
    request, tool_keys, tmp_path
):
    platform = start(request, tool_keys, "canvas")
    roster = tmp_path / "twice.csv"
    roster.write_text("submission,canvas_id\nada,101\nbob,101\n", encoding="utf-8")
    out = write_graded_out(
        tmp_path / "g", [graded("ada"), graded("bob")], small_assignment(), load_roster(roster)
    )
    with pytest.raises(LmsError, match="submissions 'ada' and 'bob' both go to user id '101'"):
        push_with_service(out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster))
    assert platform.requests == []


def test_without_a_roster_students_with_a_known_canvas_id_can_be_addressed(request, tool_keys, out):
    platform = start(request, tool_keys, "canvas")
    report = push_with_service(out / "scores.jsonl", settings(platform, tool_keys))
    # scores.jsonl already holds ada's LTI id (the batch had the roster); class.json keeps the
    # Canvas id the batch knew for bob (from the roster) and erin (from the zip's file name);
    # dan is a bare submission name, which the platform would refuse: not sent
    assert {s.submission or s.user_id for s in report.sent} == {ADA_LTI, "bob", "erin"}
    assert {s.submission for s in report.not_reached} == {"dan"}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda o: (o / "class.json").unlink(), "class.json: no such file"),
        (
            lambda o: (o / "scores.jsonl").write_text('{"userId": "ada"}\nnot json\n'),
            "scores.jsonl: line 2 is not JSON",
        ),
        (lambda o: (o / "scores.jsonl").unlink(), "scores.jsonl: no such file"),
    ],
)
def test_a_broken_out_folder_is_one_sentence(tmp_path, out, tool_keys, damage, message):
    damage(out)
    with pytest.raises(LmsError, match=message):
        push_with_service(
            out / "scores.jsonl",
            ServiceSettings(
                CLIENT_ID,
                "https://lms.example.edu/t",
                tool_keys.private_key,
                "https://lms.example.edu/li",
            ),
        )


# -- the command -------------------------------------------------------------------------------


def service_argv(platform, tool_keys, client_id: str = CLIENT_ID) -> list[str]:
    """lti-push's service-access flags for ``platform``."""
    return [
        "--client-id", client_id,
        "--token-url", platform.token_url,
        "--key", str(tool_keys.private_key),
        "--lineitems", platform.lineitems_url,
    ]  # fmt: skip


def service_access(platform, tool_keys, client_id: str = CLIENT_ID) -> ServiceAccess:
    return ServiceAccess(
        client_id=client_id,
        token_url=platform.token_url,
        key=tool_keys.private_key,
        lineitems=platform.lineitems_url,
    )


def test_the_command_prints_each_student_and_exits_1_when_a_grade_did_not_arrive(
    request, tool_keys, out, roster_path, capsys
):
    platform = start(request, tool_keys, "canvas")
    argv = ["lti-push", str(out / "scores.jsonl"), *service_argv(platform, tool_keys)]
    assert main([*argv, "--roster", str(roster_path)]) == 1  # dan has no id
    printed = capsys.readouterr().out
    assert "sent    ada -> 0ae836b9" in printed and "skipped dan -> ?" in printed
    token = next(iter(platform.tokens))
    assert token not in printed


def test_the_command_exits_0_when_every_graded_student_arrived(
    request, tool_keys, tmp_path, roster_path, capsys
):
    platform = start(request, tool_keys, "canvas")
    out = write_graded_out(
        tmp_path / "g", students()[:3], small_assignment(), load_roster(roster_path)
    )
    options = LtiPushOptions(
        out / "scores.jsonl", service=service_access(platform, tool_keys), roster=roster_path
    )
    assert lti_push(options) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--client-id", "1"], "needs --token-url, --key, --lineitems as well"),
        (
            [
                "--client-id",
                "1",
                "--token-url",
                "https://x/t",
                "--key",
                "k",
                "--lineitems",
                "https://x/l",
                "--line-item",
                "https://x/l/1",
            ],
            "either --line-item",
        ),
        # --line-item alone takes the bearer-token route, whatever else is given
        (["--line-item", "https://x/li/1", "--label", "x"], "LTI_TOKEN holds no bearer token"),
    ],
)
def test_incomplete_or_mixed_options_are_one_sentence(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.delenv("LTI_TOKEN", raising=False)
    assert main(["lti-push", str(tmp_path / "scores.jsonl"), *argv]) == 2
    stderr = capsys.readouterr().err
    assert message in stderr and len(stderr.splitlines()) == 1


def test_a_refused_token_is_exit_2_material(request, tool_keys, out, roster_path, tmp_path):
    platform = start(request, tool_keys, "canvas")
    options = LtiPushOptions(
        out / "scores.jsonl", service=service_access(platform, tool_keys, client_id="wrong")
    )
    with pytest.raises(UsageError, match="refused an access token to client 'wrong'"):
        lti_push(options)
    assert len(platform.requests) == 1


# -- a real grade-batch ------------------------------------------------------------------------


def test_a_real_grade_batch_reaches_the_platform(request, tool_keys, tmp_path, roster_path):
    examples = Path(__file__).resolve().parent / "submissions" / "examples"
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(examples / "correct_comprehensions.py", folder / "ada.py")
    shutil.copy(examples / "syntax_error.py", folder / "bob.py")
    (folder / "carol").mkdir()
    (folder / "carol" / "README.txt").write_text("nothing handed in")
    graded_out = tmp_path / "graded"
    argv = ["grade-batch", str(folder), "--out", str(graded_out), "--jobs", "2", "--no-figures"]
    assert main([*argv, "--roster", str(roster_path)]) == 0
    platform = start(request, tool_keys, "moodle")
    report = push_with_service(
        graded_out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path)
    )
    maximum = json.loads((graded_out / "class.json").read_text())["max_score"]
    assert platform.line_items[0]["scoreMaximum"] == maximum
    assert platform.grade(report.line_item.url, "ada") == maximum
    assert platform.grade(report.line_item.url, "bob") == 0.0  # a syntax error is graded, 0
    assert platform.grade(report.line_item.url, "carol") is None  # nothing handed in: not graded
    assert len(read_scores(graded_out / "scores.jsonl")) == 3


def test_a_push_clock_can_be_shared_by_pushes(request, tool_keys, out, roster_path):
    platform = start(request, tool_keys, "moodle")
    clock = PushClock()
    first = push_with_service(
        out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path), clock
    )
    second = push_with_service(
        out / "scores.jsonl", settings(platform, tool_keys), load_roster(roster_path), clock
    )
    assert second.timestamp > first.timestamp and len(second.sent) == 3
