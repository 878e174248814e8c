"""The tool's key pair (autograder/lms/keys.py): files, modes, the JWK Set, reading it back.

The JWK is checked against the key with cryptography itself (a signature made
with private.pem verifies with the n and e of jwks.json), and the kid against
RFC 7638's own example in the module's doctest.
"""

from __future__ import annotations

import base64
import doctest
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from autograder.lms import keys, line_items, transport
from autograder.lms.errors import LmsError
from autograder.lms.keys import load_private_key, registration_text, thumbprint, write_keys


@pytest.mark.parametrize("module", [keys, line_items, transport], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0


def _uint(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def test_lti_keys_writes_a_private_key_only_its_owner_reads_and_the_public_key_set(tmp_path):
    files = write_keys(tmp_path / "keys")
    assert files.private_key == tmp_path / "keys" / "private.pem"
    assert stat.S_IMODE(os.stat(files.private_key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "keys").st_mode) == 0o700
    (jwk,) = json.loads(files.jwks.read_text(encoding="ascii"))["keys"]
    assert set(jwk) == {"kty", "alg", "use", "kid", "n", "e"}
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    assert jwk["kid"] == files.kid == thumbprint(jwk["n"], jwk["e"])
    assert all("=" not in jwk[k] for k in ("n", "e", "kid"))  # base64url without padding

    private = serialization.load_pem_private_key(files.private_key.read_bytes(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    message = b"the platform verifies this with jwks.json"
    signature = private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    public = rsa.RSAPublicNumbers(_uint(jwk["e"]), _uint(jwk["n"])).public_key()
    public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())  # raises if not its pair
    pem = serialization.load_pem_public_key(files.public_pem.read_bytes())
    assert pem.public_numbers() == public.public_numbers()
    assert not list((tmp_path / "keys").glob(".*partial"))


def test_the_instructions_say_what_to_paste_where(tmp_path):
    files = write_keys(tmp_path)
    text = registration_text(files)
    assert files.kid in text and '"n": "' in text and str(files.public_pem) in text
    for words in ("Canvas", "Public JWK", "Moodle", "Keyset URL", "RSA key", "/login/oauth2/token"):
        assert words in text


def test_an_existing_key_is_never_replaced_without_force(tmp_path):
    first = write_keys(tmp_path)
    before = first.private_key.read_bytes(), first.jwks.read_bytes()
    with pytest.raises(LmsError, match=r"private\.pem: a key is already there.*--force"):
        write_keys(tmp_path)
    assert (first.private_key.read_bytes(), first.jwks.read_bytes()) == before
    second = write_keys(tmp_path, force=True)
    assert second.kid != first.kid
    assert second.private_key.read_bytes() != before[0]
    assert stat.S_IMODE(os.stat(second.private_key).st_mode) == 0o600
    assert load_private_key(second.private_key).kid == second.kid


def test_out_must_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(LmsError, match="is not a folder"):
        write_keys(tmp_path / "file")


def test_the_key_reads_back_with_its_kid(tmp_path):
    files = write_keys(tmp_path)
    key = load_private_key(files.private_key)
    assert key.kid == files.kid and key.path == files.private_key


def _pem(key, password: bytes | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (None, 0o600, "no such file; make the tool's key with `autograder lti-keys"),
        (b"not a key", 0o600, "is not a PEM private key"),
        ("rsa", 0o644, r"other users may read this private key \(mode 0644\); run `chmod 600"),
        ("ec", 0o600, "not RSA; LTI 1.3 signs with RS256"),
        ("small", 0o600, "has only 1024 bits"),
        ("encrypted", 0o600, "encrypted with a password"),
    ],
)
def test_a_bad_key_file_is_one_sentence_naming_it(tmp_path, content, mode, message):
    path = tmp_path / "private.pem"
    if content == "rsa":
        content = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif content == "ec":
        content = _pem(ec.generate_private_key(ec.SECP256R1()))
    elif content == "small":
        content = _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    elif content == "encrypted":
        content = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048), b"pw")
    if content is not None:
        path.write_bytes(content)
        path.chmod(mode)
    with pytest.raises(LmsError, match=message) as caught:
        load_private_key(path)
    text = str(caught.value)
    assert text.startswith(str(path)) and "\n" not in text


def test_the_command_prints_what_to_paste_and_refuses_a_second_key(tmp_path, capsys):
    from autograder.errors import UsageError
    from autograder.lms.command import make_lti_keys

    assert make_lti_keys(tmp_path / "k") == 0
    printed = capsys.readouterr().out
    kid = json.loads((tmp_path / "k" / "jwks.json").read_text())["keys"][0]["kid"]
    assert kid in printed and "Public JWK" in printed
    with pytest.raises(UsageError, match="a key is already there"):
        make_lti_keys(tmp_path / "k")
    assert make_lti_keys(tmp_path / "k", force=True) == 0
