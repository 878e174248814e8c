"""HTTP for the LTI services, with urllib only: https (http only to this machine), no redirects.

Credentials (a client assertion, an access token) travel in every request, so
a URL must be ``https://``, or ``http://`` to this machine (a test platform, a
tunnel). A redirect is never followed: it would carry the credentials
elsewhere; it comes back as an :class:`Answer` with its 3xx status. Any
answer, 4xx or 5xx included, is returned for the caller to judge; only no
answer at all (refused connection, unknown host, timeout) is an
:class:`~autograder.lms.errors.LmsError`. Secrets given to :func:`send` are
blanked out of every text it returns or raises.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from autograder.lms.errors import LmsError

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
ANSWER_CHARS = 200  # of a service's error answer kept in a message
MAX_BODY = 16 * 1024 * 1024  # bytes read from one answer: a line items page, a token


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: its status, headers (names lower-case) and body."""

    url: str
    status: int
    reason: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def header(self, name: str) -> str:
        """A header's value ('' when absent); several headers of that name are joined by ', '."""
        return self.headers.get(name.lower(), "")

    def describe(self) -> str:
        """``HTTP 400 Bad Request: <what the service said>`` in at most about 250 characters."""
        said = what_it_said(self.body)
        if 300 <= self.status < 400:
            said = "the service redirected the request, which is not followed with credentials"
        return f"HTTP {self.status} {self.reason}".rstrip() + (f": {said}" if said else "")


def check_url(url: str, what: str) -> str:
    """``url`` if it is https, or http to this machine; LmsError naming ``what`` otherwise.

    Examples
    --------
    >>> check_url("https://lms.example.edu/login/oauth2/token", "the token URL")
    'https://lms.example.edu/login/oauth2/token'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or not (
        parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS)
    ):
        raise LmsError(
            f"{what} {url!r} must start with https:// (http:// only to this machine), "
            "so that the credentials sent with it are not sent in the clear"
        )
    return url


def same_origin(url: str, other: str) -> bool:
    """Whether two URLs have the same scheme, host and port (credentials may go to both)."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def send(
    method: str,
    url: str,
    *,
    what: str,
    headers: Mapping[str, str],
    body: bytes | None = None,
    timeout: float,
    secrets: Sequence[str] = (),
) -> Answer:
    """Send one request and return the answer, whatever its status.

    ``what`` names the service in the error raised when there is no answer
    (LmsError: refused, unreachable, timed out, not HTTP). ``timeout`` is in
    seconds. No redirect is followed. Every string in ``secrets`` is replaced
    by ``[secret]`` in the answer's body and in any error message.
    """
    check_url(url, what)
    opener = urllib.request.build_opener(_RefuseRedirects)
    request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    try:
        with opener.open(request, timeout=timeout) as response:
            return _answer(
                url, response.status, response.reason, response.headers, response, secrets
            )
    except urllib.error.HTTPError as error:
        with error:
            return _answer(url, error.code, str(error.reason), error.headers, error, secrets)
    except urllib.error.URLError as error:
        reason = _scrub(str(error.reason), secrets)
        raise LmsError(f"{what} at {url} did not answer ({reason})") from None
    except (OSError, http.client.HTTPException) as error:
        reason = _scrub(str(error) or type(error).__name__, secrets)
        raise LmsError(f"{what} at {url} did not answer ({reason})") from None


def json_request_headers(token: str, content_type: str | None, accept: str) -> dict[str, str]:
    """Headers for a service request with a bearer token."""
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def _answer(url, status, reason, headers, stream, secrets) -> Answer:
    body = stream.read(MAX_BODY) if stream is not None else b""
    for secret in secrets:
        if secret:
            body = body.replace(secret.encode("utf-8"), b"[secret]")
    names: dict[str, str] = {}
    for name, value in headers.items() if headers is not None else ():
        key = name.lower()
        names[key] = f"{names[key]}, {value}" if key in names else value
    return Answer(url=url, status=status, reason=reason or "", headers=names, body=body)


def what_it_said(body: bytes) -> str:
    """The service's own words: an OAuth error, Canvas's errors list, else the start of the text."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    said = ""
    if isinstance(data, dict):
        parts = [str(data[k]) for k in ("error", "error_description") if data.get(k)]
        errors = data.get("errors")
        if isinstance(errors, list):
            parts += [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        elif isinstance(errors, dict | str):
            parts.append(str(errors))
        for key in ("message", "reason"):
            if data.get(key) and not parts:
                parts.append(str(data[key]))
        said = ": ".join(parts)
    if not said:
        said = text
    said = " ".join(said.split())
    return said if len(said) <= ANSWER_CHARS else said[: ANSWER_CHARS - 1] + "…"


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    return text


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Turn a redirect into an HTTPError: following it would carry the credentials elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
