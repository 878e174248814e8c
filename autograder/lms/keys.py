"""The tool's key pair: ``private.pem`` signs its token requests, ``jwks.json`` goes to the platform.

``autograder lti-keys --out DIR`` writes

- ``DIR/private.pem``: a 2048-bit RSA private key, PKCS #8 PEM, unencrypted, mode 0600
  (readable by its owner only). It never leaves this machine.
- ``DIR/jwks.json``: the public JWK Set, ``{"keys": [{"kty": "RSA", "alg": "RS256",
  "use": "sig", "kid": ..., "n": ..., "e": ...}]}`` (RFC 7517/7518), to register with the
  platform (Canvas: the key itself or a URL serving this file; Moodle: a keyset URL).
- ``DIR/public.pem``: the same public key as PEM (Moodle's "RSA key" field).

The ``kid`` is the key's RFC 7638 thumbprint (base64url SHA-256 of its
``e``, ``kty`` and ``n``), so it can always be computed again from
``private.pem`` alone: ``lti-push`` needs no ``--kid`` unless the platform
registered the key under another one.

An existing ``private.pem`` is never replaced unless ``force`` is given (the
platform holds its public half: replacing it locks the tool out until the
new ``jwks.json`` is registered). Files are written through a temporary file
in the same folder, so a key is either wholly there or not at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.lms.errors import LmsError, missing_extra

KEY_BITS = 2048  # the IMS Security Framework asks for RSA keys of at least 2048 bits
PUBLIC_EXPONENT = 65537
PRIVATE_NAME = "private.pem"
JWKS_NAME = "jwks.json"
PUBLIC_NAME = "public.pem"


@dataclass(frozen=True)
class KeyFiles:
    """What :func:`write_keys` wrote: the three files, and the public key as one JWK."""

    private_key: Path
    jwks: Path
    public_pem: Path
    kid: str
    jwk: dict[str, str]


@dataclass(frozen=True)
class SigningKey:
    """A private key read back by :func:`load_private_key`, with its thumbprint kid."""

    path: Path
    key: Any  # cryptography's RSAPrivateKey
    kid: str


def write_keys(out: Path, force: bool = False) -> KeyFiles:
    """Make a new RSA key pair and write ``out/private.pem``, ``out/jwks.json``, ``out/public.pem``.

    ``out`` is created (mode 0700) if missing. Raises LmsError when
    ``out/private.pem`` already exists and ``force`` is false, when ``out`` is
    not a folder, or when a file cannot be written; in each case no existing
    file was changed.
    """
    serialization, rsa = _crypto()
    out = Path(out)
    private_path, jwks_path, public_path = out / PRIVATE_NAME, out / JWKS_NAME, out / PUBLIC_NAME
    if out.exists() and not out.is_dir():
        raise LmsError(f"{out}: exists and is not a folder; --out names the folder for the keys")
    if (private_path.exists() or private_path.is_symlink()) and not force:
        raise LmsError(
            f"{private_path}: a key is already there and the platform may hold its public half; "
            "nothing was written (give --force to replace it, then register the new jwks.json)"
        )
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise LmsError(f"{out}: the folder cannot be made ({error.strerror or error})") from None
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = public_jwk(key.public_key())
    jwks = json.dumps({"keys": [jwk]}, indent=2) + "\n"
    try:
        _write_file(private_path, private_pem, mode=0o600, replace=force)
        _write_file(jwks_path, jwks.encode("ascii"), mode=0o644, replace=True)
        _write_file(public_path, public_pem, mode=0o644, replace=True)
    except FileExistsError:
        raise LmsError(
            f"{private_path}: a key appeared there while this one was made; nothing was replaced"
        ) from None
    except OSError as error:
        raise LmsError(
            f"{error.filename or out}: cannot be written ({error.strerror or error})"
        ) from None
    return KeyFiles(private_path, jwks_path, public_path, jwk["kid"], jwk)


def public_jwk(public_key: Any) -> dict[str, str]:
    """The JWK of an RSA public key: kty, alg RS256, use sig, kid (its thumbprint), n, e."""
    numbers = public_key.public_numbers()
    n, e = _b64_uint(numbers.n), _b64_uint(numbers.e)
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": thumbprint(n, e), "n": n, "e": e}


def thumbprint(n: str, e: str) -> str:
    """The RFC 7638 thumbprint of an RSA JWK given its base64url ``n`` and ``e``.

    Examples
    --------
    >>> thumbprint("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw", "AQAB")
    'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
    """
    canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def load_private_key(path: Path) -> SigningKey:
    """Read the RSA private key at ``path`` (as written by :func:`write_keys`).

    Raises LmsError, naming the file, when it is missing or unreadable, can be
    read by other users (POSIX; ``chmod 600`` fixes it), is not an unencrypted
    PEM private key, is not RSA, or is shorter than 2048 bits.
    """
    serialization, rsa = _crypto()
    from cryptography.exceptions import UnsupportedAlgorithm

    path = Path(path)
    try:
        info = path.stat()
        data = path.read_bytes()
    except FileNotFoundError:
        raise LmsError(
            f"{path}: no such file; make the tool's key with `autograder lti-keys --out DIR`"
        ) from None
    except OSError as error:
        raise LmsError(f"{path}: cannot be read ({error.strerror or error})") from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LmsError(
            f"{path}: other users may read this private key (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"run `chmod 600 {path}` and try again"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise LmsError(
            f"{path}: the key is encrypted with a password; use the unencrypted key lti-keys writes"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise LmsError(
            f"{path}: is not a PEM private key (it should start with -----BEGIN)"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise LmsError(
            f"{path}: is a {type(key).__name__.removeprefix('_')} key, not RSA; "
            "LTI 1.3 signs with RS256, so make a key with `autograder lti-keys`"
        )
    if key.key_size < KEY_BITS:
        raise LmsError(
            f"{path}: the RSA key has only {key.key_size} bits; LTI 1.3 platforms ask for at "
            f"least {KEY_BITS}, so make a new one with `autograder lti-keys`"
        )
    return SigningKey(path=path, key=key, kid=public_jwk(key.public_key())["kid"])


def registration_text(files: KeyFiles) -> str:
    """What to paste where, for the instructor (several lines)."""
    jwk = json.dumps(files.jwk, indent=2)
    return "\n".join(
        [
            f"Wrote {files.private_key} (keep it secret, mode 0600), {files.jwks} and "
            f"{files.public_pem}; key id (kid): {files.kid}",
            "",
            "Canvas (Admin > Developer Keys > + Developer Key > LTI Key):",
            "  Public Key Type 'Public JWK': paste this JSON (or choose 'Public JWK URL' and give a "
            f"https URL serving {files.jwks.name}):",
            *("    " + line for line in jwk.splitlines()),
            "  Enable the LTI Advantage scopes 'lineitem', 'lineitem.readonly' and 'score'; the "
            "key's Client ID is --client-id.",
            "  Token URL: https://<your canvas>/login/oauth2/token; line items URL: "
            "https://<your canvas>/api/lti/courses/<course id>/line_items",
            "",
            "Moodle (Site administration > Plugins > External tool > Manage tools > configure a tool, "
            "LTI 1.3):",
            f"  Public key type 'RSA key': paste the contents of {files.public_pem} (or 'Keyset URL': "
            f"a https URL serving {files.jwks.name}).",
            "  Services: IMS LTI Assignment and Grade Services 'Use this service for grade sync and "
            "column management'.",
            "  Token URL: https://<your moodle>/mod/lti/token.php; the line items URL is "
            "https://<your moodle>/mod/lti/services.php/<course id>/lineitems?type_id=<tool id>",
        ]
    )


def _b64_uint(value: int) -> str:
    """A non-negative integer as base64url of its big-endian bytes, no padding (RFC 7518 6.3)."""
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _write_file(path: Path, data: bytes, mode: int, replace: bool) -> None:
    """Write ``data`` to ``path`` with ``mode`` from the start (never wider), all or nothing.

    Without ``replace``, an existing ``path`` raises FileExistsError and is left alone.
    """
    staging = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(staging, mode)  # the umask may have narrowed it; never widen the private key
        if replace:
            os.replace(staging, path)
        else:
            os.link(staging, path)  # fails if path exists: no window to overwrite
    finally:
        if staging.exists():
            staging.unlink()


def _crypto():
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        raise missing_extra("cryptography", "lti") from None
    return serialization, rsa
