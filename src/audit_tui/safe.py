"""The one place that makes untrusted text safe to show in a terminal.

Every value of every event is untrusted. :func:`clean` turns control characters (C0, C1, DEL, NUL,
ESC and therefore every CSI/OSC sequence) and bidi/invisible format characters into visible
escapes, so none reaches the terminal raw, and optionally caps the length with an ellipsis. The
result is plain text: callers put it into ``rich.text.Text`` or widgets with ``markup=False``, so
nothing is ever parsed as markup.
"""

from __future__ import annotations

import re
from typing import Any

ELLIPSIS = "…"

# C0 (incl. NUL, ESC), DEL, C1; bidi embeddings/overrides/isolates; zero-width and other
# invisible format characters; line/paragraph separators; BOM.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)

# the same, for ASCII bytes, leaving tab and newline (JSON whitespace)
_UNSAFE_ASCII = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    named = _NAMED.get(ch)
    if named:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(value: Any, limit: int | None = None) -> str:
    """Return ``value`` as text with every unsafe character made visible, cut to ``limit``."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():
        text = _UNSAFE.sub(_escape, text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + ELLIPSIS
    return text


def is_clean(text: str) -> bool:
    """True when ``text`` holds nothing that :func:`clean` would escape."""
    return _UNSAFE.search(text) is None


def _json_escape(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in "\t\n":
        return ch
    return " " if ch == "\r" else f"\\u{ord(ch):04x}"


def clean_json(text: str) -> str:
    """JSON text made safe for a terminal and still the same JSON: every character that
    :func:`clean` would escape becomes a ``\\uXXXX`` escape.

    In valid JSON such a character can only stand inside a string (where ``\\uXXXX`` means
    the same character) or, for tab, newline and carriage return, between tokens: tab and
    newline are left alone, a carriage return (which could hide what precedes it on the line)
    becomes a space."""
    return text if text.isprintable() else _UNSAFE.sub(_json_escape, text)


def clean_json_bytes(raw: bytes) -> bytes:
    """:func:`clean_json` for UTF-8 bytes; bytes that are not UTF-8 become U+FFFD."""
    if raw.isascii() and _UNSAFE_ASCII.search(raw) is None:
        return raw
    return clean_json(raw.decode("utf-8", "replace")).encode("utf-8")
