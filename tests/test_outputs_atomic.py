"""The one way every file is written (autograder/outputs/atomic.py): whole or not at all,
valid UTF-8 whatever a submission's text holds, with the mode asked for, never wider."""

from __future__ import annotations

import doctest
import json
import os
import stat

import pytest

from autograder.outputs import atomic
from autograder.outputs.atomic import (
    clean_text,
    write_bytes_atomic,
    write_json_atomic,
    write_jsonl_atomic,
    write_text_atomic,
)

SURROGATE = chr(0xD800)


def test_docstring_examples():
    assert doctest.testmod(atomic).failed == 0


def test_clean_text_replaces_lone_surrogates_only():
    assert clean_text(f"a{SURROGATE}b\udfffc") == "a\ufffdb\ufffdc"
    assert clean_text("ŷ θ ✓ 😀") == "ŷ θ ✓ 😀"


def test_text_with_a_lone_surrogate_is_written_as_valid_utf8(tmp_path):
    path = tmp_path / "deep" / "page.md"
    write_text_atomic(path, f"before {SURROGATE} after\n")
    assert path.read_bytes().decode("utf-8") == "before \ufffd after\n"


def test_json_is_written_without_escaped_surrogates(tmp_path):
    path = tmp_path / "results.json"
    write_json_atomic(path, {"output": f"x{SURROGATE}", f"k{SURROGATE}": [f"{SURROGATE}"]})
    raw = path.read_bytes().decode("utf-8")
    assert "\\ud800" not in raw.lower()
    assert json.loads(raw) == {"output": "x\ufffd", "k\ufffd": ["\ufffd"]}


def test_json_lines_are_one_object_a_line_and_refuse_nan(tmp_path):
    path = tmp_path / "scores.jsonl"
    write_jsonl_atomic(path, [{"userId": f"é{SURROGATE}"}, {"scoreGiven": 1.5}])
    lines = path.read_bytes().decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"userId": "é\ufffd"}, {"scoreGiven": 1.5}]
    assert "é" in lines[0]  # not escaped: the file is UTF-8
    with pytest.raises(ValueError):
        write_jsonl_atomic(path, [{"scoreGiven": float("inf")}])
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2
    assert os.listdir(tmp_path) == ["scores.jsonl"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "results.json"
    write_json_atomic(path, {"old": True})
    with pytest.raises(ValueError):
        write_json_atomic(path, {"score": float("nan")})
    assert json.loads(path.read_text()) == {"old": True}
    assert os.listdir(tmp_path) == ["results.json"]


def test_a_rewrite_is_whole(tmp_path):
    path = tmp_path / "summary.md"
    write_text_atomic(path, "x" * 10_000)
    write_text_atomic(path, "short\n")
    assert path.read_text() == "short\n"
    assert os.listdir(tmp_path) == ["summary.md"]


def test_the_mode_asked_for_is_the_files_whatever_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        write_bytes_atomic(tmp_path / "page.html", b"<p>", mode=0o644)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "page.html").stat().st_mode) == 0o644
    write_bytes_atomic(tmp_path / "private.pem", b"key", mode=0o400)
    assert stat.S_IMODE((tmp_path / "private.pem").stat().st_mode) == 0o400
    write_bytes_atomic(tmp_path / "plain", b"x")
    assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o600


def test_an_exclusive_write_never_replaces_a_file(tmp_path):
    path = tmp_path / "private.pem"
    write_bytes_atomic(path, b"first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_bytes_atomic(path, b"second", exclusive=True)
    assert path.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["private.pem"]
