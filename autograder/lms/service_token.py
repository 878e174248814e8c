"""An access token for the LTI Advantage services, asked for with the tool's own key.

OAuth 2 client credentials grant with a JWT client assertion (RFC 6749 4.4,
RFC 7523, IMS Security Framework 4.1). The tool POSTs to the platform's token
URL, as ``application/x-www-form-urlencoded``::

    grant_type=client_credentials
    client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
    client_assertion=<JWT>
    scope=<scopes, space separated>

The JWT is signed RS256 with ``private.pem``; its header names the key
(``kid``) and its claims are ``iss`` = ``sub`` = the client id, ``aud`` = the
token URL, ``iat`` (now), ``exp`` (now + 5 minutes: Canvas refuses an ``iat``
older than that) and a fresh random ``jti`` (platforms refuse a ``jti`` they
have seen). The platform answers ``{"access_token", "token_type": "Bearer",
"expires_in", "scope"}``; ``scope`` lists what it granted (Moodle grants only
what the tool's registration allows, Canvas refuses scopes the developer key
lacks).

A refusal is one LmsError sentence with the platform's own words (e.g.
``invalid_client``) and what to check; neither the assertion nor a token ever
appears in a message.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from autograder.lms.errors import LmsError, missing_extra
from autograder.lms.keys import SigningKey
from autograder.lms.transport import check_url, send

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_SCORE)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_SECONDS = 300  # Canvas refuses an iat more than 5 minutes old


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and the scopes the platform granted with it."""

    token: str
    scopes: frozenset[str]
    expires_in: int | None

    def __repr__(self) -> str:  # never show the token itself
        return f"AccessToken(scopes={sorted(self.scopes)}, expires_in={self.expires_in})"


def client_assertion(
    client_id: str,
    token_url: str,
    key: SigningKey,
    kid: str | None = None,
    now: float | None = None,
) -> str:
    """The signed JWT that authenticates the tool (see the module docstring).

    ``kid`` defaults to the key's thumbprint; ``now`` (seconds since the epoch)
    to the current time.
    """
    try:
        import jwt
    except ImportError:
        raise missing_extra("PyJWT", "lti") from None
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "iat": issued,
        "exp": issued + ASSERTION_SECONDS,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(
        claims, key.key, algorithm="RS256", headers={"kid": kid or key.kid, "typ": "JWT"}
    )


def get_token(
    token_url: str,
    client_id: str,
    key: SigningKey,
    *,
    kid: str | None = None,
    scopes: tuple[str, ...] = AGS_SCOPES,
    timeout: float = 10.0,
) -> AccessToken:
    """Ask the platform at ``token_url`` for a token with ``scopes``; LmsError if it refuses.

    Also LmsError when the answer is not a bearer token, or when the platform
    does not answer at all. ``timeout`` is in seconds.
    """
    check_url(token_url, "the token URL")
    if not client_id.strip():
        raise LmsError("the client id is empty; give the platform's client id with --client-id")
    assertion = client_assertion(client_id, token_url, key, kid)
    form = urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        }
    ).encode("ascii")
    answer = send(
        "POST",
        token_url,
        what="the platform's token endpoint",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        body=form,
        timeout=timeout,
        secrets=(assertion,),
    )
    if answer.status != 200:
        raise LmsError(
            f"the platform at {token_url} refused an access token to client {client_id!r} "
            f"({answer.describe()}); check the client id, that the platform holds {key.path.parent}"
            f"/jwks.json (kid {kid or key.kid}) for this client, and that it allows the scopes "
            f"{', '.join(s.rsplit('/', 1)[-1] for s in scopes)}"
        )
    try:
        data = answer.json()
    except ValueError:
        data = None
    token = data.get("access_token") if isinstance(data, dict) else None
    kind = str(data.get("token_type", "")).lower() if isinstance(data, dict) else ""
    if (
        not isinstance(token, str)
        or not token
        or any(c in token for c in "\r\n ")
        or kind != "bearer"
    ):
        raise LmsError(
            f"the platform at {token_url} answered HTTP 200 without a bearer token "
            "(no access_token, or token_type is not Bearer)"
        )
    granted = data.get("scope")
    expires = data.get("expires_in")
    return AccessToken(
        token=token,
        # RFC 6749 5.1: scope may be left out when it is exactly what was asked for
        scopes=frozenset(granted.split()) if isinstance(granted, str) else frozenset(scopes),
        expires_in=expires if isinstance(expires, int) else None,
    )
