"""An LTI 1.3 platform on 127.0.0.1: token endpoint, line items and scores, with Canvas's or Moodle's rules.

The rules, each from the platform's own source:

Token endpoint (RFC 7523; Canvas ``Canvas::OAuth::GrantTypes::ClientCredentials``,
``AsymmetricClientCredentialsProvider``, ``Canvas::Security::JwtValidator``; Moodle
``mod/lti/token.php``): a form POST with ``grant_type=client_credentials``,
``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``,
``client_assertion`` and ``scope``. The assertion is an RS256 JWS verified here with
``cryptography`` against the registered JWK Set (the key chosen by the header's
``kid``), independently of the JWT library the kit uses; its claims must hold
``iss`` = ``sub`` = the client id, ``aud`` = the token URL (a string or a list
holding it), ``exp`` not past, ``iat`` at most 5 minutes old and at most 30 s
ahead, and a ``jti`` never seen before. Errors are HTTP 400 with an OAuth
``error`` (``invalid_request``, ``invalid_client``, ``unsupported_grant_type``,
``invalid_scope``). Scopes: Canvas refuses any the developer key lacks; Moodle
grants those the tool may have and refuses only when none is left.

Line items (Canvas ``Lti::IMS::LineItemsController``; Moodle
``ltiservice_gradebookservices``): GET lists a JSON array, narrowed by
``resource_id`` and ``tag``, ``limit`` per page (never more than ``page_size``
here, to make paging happen), the next page in a ``Link: <...>; rel="next"``
header. POST needs ``label`` and ``scoreMaximum`` and answers 201 with the item.
Moodle also wants ``?type_id=<tool>`` on every URL (403 otherwise) and the
media types exactly (400 otherwise).

Scores (Canvas ``Lti::IMS::ScoresController`` and its ``GradebookServices``
concern; Moodle ``scores.php`` and ``gradebookservices::save_grade_item``):

- ``userId``, ``activityProgress``, ``gradingProgress`` and ``timestamp`` are
  required (Canvas 400; Moodle 400);
- Canvas: a ``userId`` that is neither a student's LTI id nor their Canvas user id:
  422 "User not found in course or is not a student"; Moodle: 400;
- Canvas: ``scoreGiven`` (with FullyGraded or PendingManual) without ``scoreMaximum``:
  422 "ScoreMaximum not supplied when ScoreGiven present."; a negative maximum: 422;
- Canvas: a timestamp earlier than the stored result's: 400; Moodle: stored
  ``timemodified`` >= ``strtotime(timestamp)`` (whole seconds): 409;
- Canvas ignores ``scoreGiven`` unless ``gradingProgress`` is FullyGraded or
  PendingManual, and then sets the score to none; the given score is scaled to the
  line item's maximum.

Every request is recorded (method, path, headers, body) for the tests to check.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
ALL_SCOPES = frozenset({LINEITEM, LINEITEM_READONLY, SCORE, RESULT_READONLY})
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
IAT_MAX_AGE = 300  # Canvas: oauth2_jwt_iat_ago_in_seconds
IAT_FUTURE = 30  # Canvas: oauth2_jwt_iat_future_buffer
ACCEPTS_SCORE = ("FullyGraded", "PendingManual")  # Canvas Lti::Result::ACCEPT_GIVEN_SCORE_TYPES
TYPE_ID = "7"  # Moodle: the tool's id, on every service URL
COURSE = "2"


@dataclass
class Result:
    """What the platform holds for one student on one line item."""

    score: float | None
    maximum: float | None
    comment: str | None
    timestamp: datetime


@dataclass
class Platform:
    """The platform's state; ``url`` and the endpoints are set once it serves."""

    flavor: Literal["canvas", "moodle"]
    client_id: str
    jwks: dict[str, Any]  # the registered public JWK Set, as the instructor pasted it
    students: dict[str, str]  # every id the platform takes as userId -> the student
    allowed_scopes: frozenset[str] = ALL_SCOPES
    page_size: int = 2
    url: str = ""
    line_items: list[dict[str, Any]] = field(default_factory=list)
    results: dict[tuple[str, str], Result] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    seen_jti: set[str] = field(default_factory=set)
    tokens: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token_url(self) -> str:
        path = "/login/oauth2/token" if self.flavor == "canvas" else "/mod/lti/token.php"
        return self.url + path

    @property
    def lineitems_url(self) -> str:
        if self.flavor == "canvas":
            return f"{self.url}/api/lti/courses/{COURSE}/line_items"
        return f"{self.url}/mod/lti/services.php/{COURSE}/lineitems?type_id={TYPE_ID}"

    def item_url(self, number: int) -> str:
        if self.flavor == "canvas":
            return f"{self.url}/api/lti/courses/{COURSE}/line_items/{number}"
        return f"{self.url}/mod/lti/services.php/{COURSE}/lineitems/{number}/lineitem?type_id={TYPE_ID}"

    def add_line_item(
        self, label: str, maximum: float, resource_id: str = "", tag: str = ""
    ) -> str:
        """Make a line item directly (as a teacher would in the gradebook); returns its URL."""
        number = len(self.line_items) + 1
        item = {"id": self.item_url(number), "label": label, "scoreMaximum": maximum}
        item["resourceId"] = resource_id
        item["tag"] = tag
        self.line_items.append(item)
        return item["id"]

    def grade(self, item_url: str, student: str) -> float | None:
        """The grade a student has on a line item (scaled to its maximum), None if none."""
        for user_id, owner in self.students.items():
            if owner == student and (item_url, user_id) in self.results:
                return self.results[(item_url, user_id)].score
        return None

    def paths(self, method: str) -> list[str]:
        return [r["path"] for r in self.requests if r["method"] == method]

    # -- the endpoints ---------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes):
        """One request: (status, headers, body)."""
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "body": body})
            parts = urlsplit(path)
            route = parts.path
            query = dict(parse_qsl(parts.query))
            if method == "POST" and self.url + route == self.token_url:
                return self._token(headers, body)
            if self.flavor == "moodle" and query.get("type_id") != TYPE_ID:
                return _json(403, {"reason": "no tool for this request (type_id)"})
            items_path = urlsplit(self.lineitems_url).path
            if route == items_path:
                if method == "GET":
                    return self._list(headers, query)
                if method == "POST":
                    return self._create(headers, body)
            for item in self.line_items:
                if route == urlsplit(item["id"]).path + "/scores" and method == "POST":
                    return self._score(item, headers, body)
            return _json(404, {"errors": [{"message": "The specified resource does not exist."}]})

    def _token(self, headers: dict[str, str], body: bytes):
        if headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return _oauth_error("invalid_request", "a form body is required")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return _oauth_error(
                "unsupported_grant_type", "client_assertion_type must be jwt-bearer"
            )
        _claims, problem = self._verify(form.get("client_assertion", ""))
        if problem:
            return _oauth_error(
                "invalid_client"
                if "signature" in problem or "key" in problem
                else "invalid_request",
                problem,
            )
        requested = set(form.get("scope", "").split())
        if self.flavor == "canvas":
            lacking = requested - self.allowed_scopes
            if lacking or not requested:
                return _oauth_error("invalid_scope", f"scopes not allowed: {sorted(lacking)}")
            granted = frozenset(requested)
        else:
            granted = frozenset(requested & self.allowed_scopes)
            if not granted:
                return _oauth_error("invalid_scope", "no permitted scope")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (granted, time.time() + 3600)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        answer["scope"] = " ".join(sorted(granted))
        return _json(200, answer)

    def _verify(self, assertion: str) -> tuple[dict[str, Any], str]:
        """The assertion's claims and '' when it holds, else a reason."""
        pieces = assertion.split(".")
        if len(pieces) != 3:
            return {}, "the client assertion is not a JWS (three parts)"
        try:
            header = json.loads(_unb64(pieces[0]))
            claims = json.loads(_unb64(pieces[1]))
            signature = _unb64(pieces[2])
        except ValueError:
            return {}, "the client assertion cannot be decoded"
        if header.get("alg") != "RS256":
            return {}, f"JWS signature invalid: alg {header.get('alg')!r} is not RS256"
        key = next(
            (k for k in self.jwks.get("keys", []) if k.get("kid") == header.get("kid")), None
        )
        if key is None:
            return {}, f"no registered key has kid {header.get('kid')!r}"
        public = rsa.RSAPublicNumbers(_uint(key["e"]), _uint(key["n"])).public_key()
        signed = f"{pieces[0]}.{pieces[1]}".encode("ascii")
        try:
            public.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return {}, "JWS signature invalid."
        missing = {"iss", "sub", "aud", "exp", "iat", "jti"} - set(claims)
        if missing:
            return {}, f"the following assertions are missing: {','.join(sorted(missing))}"
        if claims["sub"] != self.client_id or claims["iss"] != self.client_id:
            return {}, "JWS signature invalid: unknown client (sub, iss)"
        audience = claims["aud"]
        if not (
            audience == self.token_url
            or (isinstance(audience, list) and self.token_url in audience)
        ):
            return {}, "the 'aud' is invalid"
        now = time.time()
        if not isinstance(claims["exp"], int | float) or claims["exp"] < now:
            return {}, "the JWT has expired"
        if not isinstance(claims["iat"], int | float) or claims["iat"] < now - IAT_MAX_AGE:
            return {}, f"the 'iat' must be less than {IAT_MAX_AGE} seconds old"
        if claims["iat"] > now + IAT_FUTURE:
            return {}, "the 'iat' must not be in the future"
        if claims["jti"] in self.seen_jti:
            return {}, "the 'jti' is invalid"
        self.seen_jti.add(claims["jti"])
        return claims, ""

    def _authorized(self, headers: dict[str, str], *scopes: str) -> bool:
        kind, _, token = headers.get("authorization", "").partition(" ")
        if kind.lower() != "bearer" or token not in self.tokens:
            return False
        granted, expires = self.tokens[token]
        return expires > time.time() and bool(granted & set(scopes))

    def _list(self, headers: dict[str, str], query: dict[str, str]):
        if not self._authorized(headers, LINEITEM, LINEITEM_READONLY):
            return _json(401, {"errors": [{"message": "Invalid access token"}]})
        accept = headers.get("accept", "")
        if self.flavor == "moodle" and accept and accept != CONTAINER_TYPE:
            return _json(400, {"reason": "unsupported media type"})
        chosen = [
            i
            for i in self.line_items
            if (not query.get("resource_id") or i["resourceId"] == query["resource_id"])
            and (not query.get("tag") or i["tag"] == query["tag"])
        ]
        size = min(int(query.get("limit", self.page_size)), self.page_size)
        page = int(query.get("page", "1"))
        shown = chosen[(page - 1) * size : page * size]
        extra = {}
        if page * size < len(chosen):
            following = dict(query, page=str(page + 1))
            target = urlsplit(self.lineitems_url)._replace(query=urlencode(following)).geturl()
            extra["Link"] = f'<{target}>; rel="next", <{self.lineitems_url}>; rel="first"'
        return _json(200, shown, CONTAINER_TYPE, extra)

    def _create(self, headers: dict[str, str], body: bytes):
        if not self._authorized(headers, LINEITEM):
            return _json(401, {"errors": [{"message": "Insufficient scopes"}]})
        if headers.get("content-type", "").split(";")[0] != LINEITEM_TYPE:
            return _json(400, {"reason": "unsupported media type"})
        try:
            item = json.loads(body)
        except ValueError:
            return _json(400, {"error": "the body is not JSON"})
        label, maximum = item.get("label"), item.get("scoreMaximum")
        if not isinstance(label, str) or not label or not _number(maximum) or maximum < 0:
            return _json(
                400, {"error": "param is missing or the value is empty: label, scoreMaximum"}
            )
        url = self.add_line_item(
            label, float(maximum), str(item.get("resourceId", "")), str(item.get("tag", ""))
        )
        return _json(201, self.line_items[-1] | {"id": url}, LINEITEM_TYPE)

    def _score(self, item: dict[str, Any], headers: dict[str, str], body: bytes):
        if not self._authorized(headers, SCORE):
            return _json(401, {"errors": [{"message": "Insufficient scopes"}]})
        if headers.get("content-type", "").split(";")[0] != SCORE_TYPE:
            return _json(400, {"reason": "unsupported media type"})
        try:
            score = json.loads(body)
        except ValueError:
            return _json(400, {"error": "the body is not JSON"})
        missing = [
            k
            for k in ("userId", "activityProgress", "gradingProgress", "timestamp")
            if k not in score
        ]
        if missing:
            return _json(
                400,
                {"errors": {"type": "bad_request", "message": f"param is missing: {missing[0]}"}},
            )
        user_id = str(score["userId"])
        if user_id not in self.students:
            if self.flavor == "canvas":
                return _json(
                    422,
                    {
                        "errors": {
                            "type": "unprocessable_entity",
                            "message": "User not found in course or is not a student",
                        }
                    },
                )
            return _json(400, {"reason": "Incorrect score received"})
        try:
            when = datetime.fromisoformat(score["timestamp"])
            if when.tzinfo is None:
                raise ValueError("no offset")
        except (TypeError, ValueError):
            return _json(
                400,
                {
                    "errors": {
                        "message": f"Provided timestamp of {score['timestamp']} not a valid timestamp"
                    }
                },
            )
        stored = self.results.get((item["id"], user_id))
        if self.flavor == "moodle" and stored is not None:
            if math.floor(stored.timestamp.timestamp()) >= math.floor(when.timestamp()):
                return _json(
                    409,
                    {
                        "reason": f"Refusing score with an earlier timestamp for item {item['id']} and user {user_id}"
                    },
                )
        if self.flavor == "canvas" and stored is not None and stored.timestamp > when:
            return _json(
                400,
                {
                    "errors": {
                        "message": f"Provided timestamp of {score['timestamp']} before last updated timestamp of {stored.timestamp.isoformat(timespec='milliseconds')}"
                    }
                },
            )
        given = score.get("scoreGiven")
        ignore = score["gradingProgress"] not in ACCEPTS_SCORE or given is None
        if not ignore:
            if "scoreMaximum" not in score:
                return _json(
                    422,
                    {"errors": {"message": "ScoreMaximum not supplied when ScoreGiven present."}},
                )
            if not _number(score["scoreMaximum"]) or score["scoreMaximum"] < 0:
                return _json(
                    422, {"errors": {"message": "ScoreMaximum must be greater than or equal to 0"}}
                )
        value = None
        if not ignore and score["scoreMaximum"]:
            value = float(given) * item["scoreMaximum"] / float(score["scoreMaximum"])
        self.results[(item["id"], user_id)] = Result(
            value, item["scoreMaximum"], score.get("comment"), when
        )
        return _json(200, {"resultUrl": f"{item['id']}/results/{user_id}"}, SCORE_TYPE)


PROXY_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
)


def drop_proxies(monkeypatch) -> None:
    """Unset the proxy variables for one test, so that requests to 127.0.0.1 go there directly."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def serve(platform: Platform):
    """Serve ``platform`` on 127.0.0.1 (a free port) in a thread; returns the server to stop."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, data = platform.handle(method, self.path, headers, body)
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

        def log_message(self, *args) -> None:  # quiet tests
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    platform.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return server, thread


def stop(server, thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _json(status: int, data: Any, media_type: str = "application/json", extra: dict | None = None):
    return status, {"Content-Type": media_type, **(extra or {})}, json.dumps(data).encode("utf-8")


def _oauth_error(error: str, description: str):
    return _json(400, {"error": error, "error_description": description})


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _uint(text: str) -> int:
    return int.from_bytes(_unb64(text), "big")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
