"""Service access (autograder/lms/service_token.py, line_items.py, stamps.py) against a platform.

The platform (tests/fakes/lti_platform.py) serves on 127.0.0.1 and verifies
each client assertion for real: the RS256 signature with the key set the
instructor registered (jwks.json), then iss, sub, aud, iat, exp and jti, as
Canvas and Moodle do.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from fakes.lti_platform import (
    CONTAINER_TYPE,
    LINEITEM,
    LINEITEM_READONLY,
    LINEITEM_TYPE,
    SCORE,
    Platform,
    drop_proxies,
    serve,
    stop,
)

from autograder.lms.errors import LmsError
from autograder.lms.keys import load_private_key, write_keys
from autograder.lms.line_items import find_or_create, list_line_items
from autograder.lms.service_token import ASSERTION_TYPE, client_assertion, get_token
from autograder.lms.stamps import PushClock

CLIENT_ID = "10000000000042"


@pytest.fixture(autouse=True)
def _direct(monkeypatch):
    drop_proxies(monkeypatch)  # talk to 127.0.0.1 directly


@pytest.fixture
def tool_keys(tmp_path_factory):
    return write_keys(tmp_path_factory.mktemp("keys"))


def start_platform(request, tool_keys, flavor="canvas", **options) -> Platform:
    jwks = json.loads(tool_keys.jwks.read_text())
    platform = Platform(flavor=flavor, client_id=CLIENT_ID, jwks=jwks, students={}, **options)
    server = serve(platform)
    request.addfinalizer(lambda: stop(*server))
    return platform


@pytest.fixture
def canvas(request, tool_keys) -> Platform:
    return start_platform(request, tool_keys, "canvas")


@pytest.fixture
def moodle(request, tool_keys) -> Platform:
    return start_platform(request, tool_keys, "moodle")


# -- the access token --------------------------------------------------------------------------


def test_the_token_request_is_a_signed_assertion_the_platform_verifies(canvas, tool_keys):
    key = load_private_key(tool_keys.private_key)
    token = get_token(canvas.token_url, CLIENT_ID, key, timeout=5)
    assert token.scopes == {LINEITEM, LINEITEM_READONLY, SCORE}
    assert token.token in canvas.tokens
    (sent,) = canvas.requests
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"
    form = dict(urllib.parse.parse_qsl(sent["body"].decode()))
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == ASSERTION_TYPE
    assert set(form["scope"].split()) == {LINEITEM, LINEITEM_READONLY, SCORE}
    assert token.token not in repr(token)


def test_the_assertion_claims_are_those_rfc_7523_asks_for(tool_keys):
    import jwt

    key = load_private_key(tool_keys.private_key)
    now = 1_800_000_000
    text = client_assertion(CLIENT_ID, "https://lms.example.edu/login/oauth2/token", key, now=now)
    header = jwt.get_unverified_header(text)
    assert header["alg"] == "RS256" and header["kid"] == tool_keys.kid
    claims = jwt.decode(text, options={"verify_signature": False})
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["aud"] == "https://lms.example.edu/login/oauth2/token"
    assert claims["iat"] == now and claims["exp"] == now + 300
    other = jwt.decode(
        client_assertion(CLIENT_ID, "x", key, now=now), options={"verify_signature": False}
    )
    assert len(claims["jti"]) >= 32 and other["jti"] != claims["jti"]


def test_every_token_request_has_a_fresh_jti_and_a_replayed_assertion_is_refused(canvas, tool_keys):
    key = load_private_key(tool_keys.private_key)
    get_token(canvas.token_url, CLIENT_ID, key, timeout=5)
    get_token(canvas.token_url, CLIENT_ID, key, timeout=5)  # a second token: a new jti
    assert len(canvas.seen_jti) == 2
    # the platform's replay rule is real: the same assertion twice is refused the second time
    assertion = client_assertion(CLIENT_ID, canvas.token_url, key)
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": SCORE,
        }
    ).encode()
    urllib.request.urlopen(canvas.token_url, form, timeout=5).close()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(canvas.token_url, form, timeout=5)
    assert refused.value.code == 400 and b"'jti' is invalid" in refused.value.read()


def test_a_key_the_platform_does_not_hold_is_refused_in_one_sentence(canvas, tmp_path):
    stranger = load_private_key(write_keys(tmp_path / "other").private_key)
    with pytest.raises(LmsError) as caught:
        get_token(canvas.token_url, CLIENT_ID, stranger, timeout=5)
    text = str(caught.value)
    assert text.startswith(f"the platform at {canvas.token_url} refused an access token")
    assert "HTTP 400" in text and "invalid_client" in text and stranger.kid in text
    assert "\n" not in text


def test_the_right_key_under_another_kid_is_refused(canvas, tool_keys):
    key = load_private_key(tool_keys.private_key)
    with pytest.raises(LmsError, match="invalid_client: no registered key has kid 'other'"):
        get_token(canvas.token_url, CLIENT_ID, key, kid="other", timeout=5)


def test_a_wrong_client_id_is_refused(canvas, tool_keys):
    key = load_private_key(tool_keys.private_key)
    with pytest.raises(LmsError, match=r"client '999'.*invalid_client"):
        get_token(canvas.token_url, "999", key, timeout=5)


def test_the_audience_must_be_the_token_url_itself(canvas, tool_keys):
    key = load_private_key(tool_keys.private_key)
    with pytest.raises(LmsError, match="the 'aud' is invalid"):
        get_token(canvas.token_url + "?via=proxy", CLIENT_ID, key, timeout=5)


def test_canvas_refuses_scopes_the_developer_key_lacks(request, tool_keys):
    platform = start_platform(request, tool_keys, "canvas", allowed_scopes=frozenset({SCORE}))
    key = load_private_key(tool_keys.private_key)
    with pytest.raises(LmsError, match=r"invalid_scope.*lineitem, lineitem\.readonly, score"):
        get_token(platform.token_url, CLIENT_ID, key, timeout=5)


def test_moodle_grants_only_what_the_tool_may_have(request, tool_keys):
    allowed = frozenset({LINEITEM_READONLY, SCORE})
    platform = start_platform(request, tool_keys, "moodle", allowed_scopes=allowed)
    token = get_token(
        platform.token_url, CLIENT_ID, load_private_key(tool_keys.private_key), timeout=5
    )
    assert token.scopes == allowed


def test_no_platform_listening_is_one_sentence(tool_keys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/login/oauth2/token"
    with pytest.raises(LmsError, match=f"the platform's token endpoint at {url} did not answer"):
        get_token(url, CLIENT_ID, load_private_key(tool_keys.private_key), timeout=2)


@pytest.mark.parametrize("url", ["http://lms.example.edu/token", "ftp://x/y", "token", "file:///t"])
def test_a_url_that_would_expose_the_assertion_is_refused_before_sending(tool_keys, url):
    with pytest.raises(LmsError, match="must start with https://"):
        get_token(url, CLIENT_ID, load_private_key(tool_keys.private_key), timeout=1)


# -- line items --------------------------------------------------------------------------------


def _token(platform: Platform, tool_keys) -> str:
    return get_token(
        platform.token_url, CLIENT_ID, load_private_key(tool_keys.private_key), timeout=5
    ).token


@pytest.mark.parametrize("flavor", ["canvas", "moodle"])
def test_the_line_item_is_found_by_label_on_a_later_page(request, tool_keys, flavor):
    platform = start_platform(request, tool_keys, flavor)
    for label in ("Quiz 1", "Quiz 2", "Quiz 3", "Lab 1"):
        platform.add_line_item(label, 10)
    wanted = platform.add_line_item("regression_losses", 20)
    token = _token(platform, tool_keys)
    item = find_or_create(
        platform.lineitems_url,
        token,
        label="regression_losses",
        resource_id=None,
        score_maximum=20,
        timeout=5,
    )
    assert (item.url, item.label, item.score_maximum, item.created) == (
        wanted,
        "regression_losses",
        20.0,
        False,
    )
    pages = platform.paths("GET")
    assert len(pages) == 3  # two line items a page: the Link header was followed twice
    for request_ in platform.requests[1:]:
        assert request_["headers"]["accept"] == CONTAINER_TYPE
        assert request_["headers"]["authorization"] == f"Bearer {token}"
    assert not platform.paths("POST")[1:]  # only the token request was a POST


def test_the_line_item_is_found_by_resource_id(canvas, tool_keys):
    canvas.add_line_item("regression_losses", 20, resource_id="old")
    wanted = canvas.add_line_item("Gradient signs", 20, resource_id="kit-regression")
    token = _token(canvas, tool_keys)
    item = find_or_create(
        canvas.lineitems_url,
        token,
        label="regression_losses",
        resource_id="kit-regression",
        score_maximum=20,
        timeout=5,
    )
    assert item.url == wanted and item.resource_id == "kit-regression"
    assert "resource_id=kit-regression" in canvas.paths("GET")[0]


def test_a_missing_line_item_is_created_with_label_maximum_and_resource_id(canvas, tool_keys):
    token = _token(canvas, tool_keys)
    item = find_or_create(
        canvas.lineitems_url,
        token,
        label="regression_losses",
        resource_id="kit-7",
        score_maximum=20,
        timeout=5,
    )
    assert item.created and item.url == canvas.item_url(1)
    post = canvas.requests[-1]
    assert post["method"] == "POST" and post["headers"]["content-type"] == LINEITEM_TYPE
    assert json.loads(post["body"]) == {
        "label": "regression_losses",
        "scoreMaximum": 20,
        "resourceId": "kit-7",
    }
    again = find_or_create(
        canvas.lineitems_url,
        token,
        label="regression_losses",
        resource_id="kit-7",
        score_maximum=20,
        timeout=5,
    )
    assert again.url == item.url and not again.created and len(canvas.line_items) == 1


def test_two_line_items_with_the_label_are_refused(canvas, tool_keys):
    canvas.add_line_item("regression_losses", 20)
    canvas.add_line_item("regression_losses", 20)
    with pytest.raises(
        LmsError, match=r"2 line items .* have the label 'regression_losses'.*--resource-id"
    ):
        find_or_create(
            canvas.lineitems_url,
            _token(canvas, tool_keys),
            label="regression_losses",
            resource_id=None,
            score_maximum=20,
            timeout=5,
        )


def test_without_the_lineitem_scope_a_missing_line_item_is_one_sentence(canvas, tool_keys):
    with pytest.raises(LmsError, match="did not grant the lineitem scope needed to create one"):
        find_or_create(
            canvas.lineitems_url,
            _token(canvas, tool_keys),
            label="x",
            resource_id=None,
            score_maximum=20,
            may_create=False,
            timeout=5,
        )


def test_a_refused_listing_says_so(canvas):
    with pytest.raises(
        LmsError,
        match=r"refused to list the line items \(HTTP 401 Unauthorized: Invalid access token\)",
    ):
        list_line_items(canvas.lineitems_url, "not-a-token", timeout=5)


def test_a_next_page_on_another_server_is_not_followed(canvas, tool_keys, monkeypatch):
    for label in ("a", "b", "c"):
        canvas.add_line_item(label, 1)
    token = _token(canvas, tool_keys)
    real = canvas.handle

    def elsewhere(method, path, headers, body):
        status, extra, data = real(method, path, headers, body)
        if "Link" in extra:
            extra["Link"] = '<https://evil.example/line_items?page=2>; rel="next"'
        return status, extra, data

    monkeypatch.setattr(canvas, "handle", elsewhere)
    with pytest.raises(LmsError, match="points its next page at another server"):
        list_line_items(canvas.lineitems_url, token, timeout=5)


# -- timestamps --------------------------------------------------------------------------------


class FakeClock:
    """A clock that moves only when slept on (or when told to)."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_a_push_is_stamped_with_the_next_whole_second_with_milliseconds_and_offset():
    clock = FakeClock(datetime(2026, 1, 15, 9, 30, 4, 250_000, tzinfo=UTC))
    stamps = PushClock(clock, clock.sleep)
    assert stamps.stamp() == "2026-01-15T09:30:05.000+00:00"
    assert clock.slept == [0.75]


def test_a_sleep_that_overshoots_still_gives_the_whole_second():
    """A real sleep ends a little late (a millisecond or two past the boundary): the stamp is
    the whole second all the same (CI once saw ...:07.001+00:00)."""
    clock = FakeClock(datetime(2026, 1, 15, 9, 30, 4, 250_000, tzinfo=UTC))
    overshooting = lambda seconds: clock.sleep(seconds + 0.0015)  # noqa: E731
    assert PushClock(clock, overshooting).stamp() == "2026-01-15T09:30:05.000+00:00"


def test_pushes_in_the_same_second_or_millisecond_get_later_whole_seconds():
    # Moodle refuses a Score whose whole second is not later than the stored one (409), so
    # adding a millisecond is not enough: each push must be in a later second.
    clock = FakeClock(datetime(2026, 1, 15, 9, 30, 4, 999_500, tzinfo=UTC))
    stamps = PushClock(clock, clock.sleep)
    first = stamps.stamp()
    second = stamps.stamp()  # the clock has not moved since
    assert (first, second) == ("2026-01-15T09:30:05.000+00:00", "2026-01-15T09:30:06.000+00:00")
    assert all(0 < seconds <= 1.0 for seconds in clock.slept)  # each push waits at most 1 s


def test_stamps_increase_even_when_the_clock_steps_back():
    clock = FakeClock(datetime(2026, 1, 15, 9, 30, 4, 100_000, tzinfo=UTC))
    stamps = PushClock(clock, clock.sleep)
    first = datetime.fromisoformat(stamps.stamp())
    clock.now -= timedelta(minutes=5)
    second = datetime.fromisoformat(stamps.stamp())
    assert second.replace(microsecond=0) > first.replace(microsecond=0)


def test_the_real_clock_stamps_the_first_second_after_the_push_starts():
    started = datetime.now(UTC)
    stamp = datetime.fromisoformat(PushClock().stamp())
    assert stamp.utcoffset() == timedelta(0)
    second = started.replace(microsecond=0)
    assert second + timedelta(seconds=1) <= stamp < second + timedelta(seconds=3)
    assert datetime.now(UTC) >= stamp  # never a time in the future
