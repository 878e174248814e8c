"""The one way the kit writes a file: whole or not at all, and always valid UTF-8.

Readers (a grader re-run deciding what to reuse, an LMS push, an instructor's browser) see the
old file or the whole new one, never half: the data goes to a temporary file in the same
folder, is flushed to disk, and is renamed over the target. Text that came from a submission
(what it printed, exception messages, file names) may hold anything, lone surrogates
included, which no UTF-8 file can; every text writer replaces them first (:func:`clean_text`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

_SURROGATES = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with every character UTF-8 cannot encode (lone surrogates) replaced by U+FFFD.

    >>> clean_text("ok " + chr(0xD800) + " ok") == "ok \\ufffd ok"
    True
    """
    return _SURROGATES.sub("\ufffd", text)


def clean_data(data: Any) -> Any:
    """A copy of JSON-like ``data`` with :func:`clean_text` applied to every string, keys too."""
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, dict):
        return {clean_data(k) if isinstance(k, str) else k: clean_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple | set | frozenset):
        return [clean_data(v) for v in data]
    if hasattr(data, "__dataclass_fields__"):
        return clean_data(asdict(data))
    return data


def write_bytes_atomic(
    path: Path, data: bytes, mode: int | None = None, exclusive: bool = False
) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never half.

    The parent folder is created if needed; a failure leaves no temporary file behind. The
    file is created readable and writable by its owner only (``0o600``) unless ``mode`` is
    given; it is never wider than ``mode`` at any moment, so a private key can be written
    this way. With ``exclusive``, an existing ``path`` raises FileExistsError and is left as
    it was (the new file is linked into place, never renamed over it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            if mode is not None:  # before the data: the file is never wider than asked
                os.fchmod(stream.fileno(), mode)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if exclusive:
            os.link(temporary, path)
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`write_bytes_atomic`).

    Characters UTF-8 cannot encode become U+FFFD; newlines are written as given.
    """
    write_bytes_atomic(path, clean_text(text).encode("utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON (UTF-8, ASCII escapes) to ``path`` atomically.

    Strings are cleaned as by :func:`clean_text`; NaN and infinities are refused (ValueError).
    """
    text = json.dumps(clean_data(data), indent=2, allow_nan=False, default=_plain) + "\n"
    write_text_atomic(path, text)


def write_jsonl_atomic(path: Path, records: list[Any]) -> None:
    """Write ``records`` as JSON Lines (one compact object per line, UTF-8) atomically.

    Strings are cleaned as by :func:`clean_text`; NaN and infinities are refused (ValueError).
    """
    lines = [
        json.dumps(clean_data(record), ensure_ascii=False, allow_nan=False, default=_plain) + "\n"
        for record in records
    ]
    write_text_atomic(path, "".join(lines))


def _plain(value: Any) -> Any:
    """JSON for what ``json`` cannot write itself (an object's text, as a last resort)."""
    return clean_text(str(value))
