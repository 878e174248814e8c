"""Make text that came from a worker safe to print, store and encode.

A worker may send any Python string: lone surrogates (which no UTF-8 file or page can hold, so
writing them raises ``UnicodeEncodeError``), terminal escape sequences (ESC ``[`` ... that
recolour, move the cursor, retitle the window or rewrite what a terminal already shows), carriage
returns that overwrite a line, bells and NULs. :func:`clean_text` keeps newlines and tabs and
replaces every other C0 control character by its visible Unicode "control picture" (ESC becomes
``␛``, CR ``␍``), DEL by ``␡``, every C1 control character and every lone surrogate by ``�``;
a Windows line end ``\\r\\n`` becomes ``\\n``. Everything else, any printable character of any
script, is kept as it is.
"""

from __future__ import annotations

import re

# CRLF first (kept as one newline), then the controls: C0 but tab (09) and newline (0a), DEL,
# C1 (80-9f), and the surrogate code points, which a Python str only holds unpaired.
_UNSAFE = re.compile("\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_DEL_PICTURE = "\u2421"
_REPLACEMENT = "\ufffd"


def clean_text(text: str, limit: int | None = None) -> str:
    """``text`` cut to ``limit`` characters (when given), with unsafe characters replaced.

    Parameters:
        text: a string from an untrusted source (a ``str`` subclass is read as a plain str).
        limit: the most characters to keep, counted before replacement; ``None`` keeps all.

    Returns:
        A plain ``str`` that encodes as UTF-8 and holds no control character but newline and tab.
    """
    text = str.__str__(text)
    if limit is not None and len(text) > limit:
        text = text[:limit]
    if _UNSAFE.search(text) is None:  # the usual case: one scan, no copy
        return text
    return _UNSAFE.sub(_replace, text)


def _replace(match: re.Match[str]) -> str:
    character = match.group()
    if character == "\r\n":
        return "\n"
    code = ord(character)
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 CONTROL PICTURES: ␀ … ␟
    if code == 0x7F:
        return _DEL_PICTURE
    return _REPLACEMENT
