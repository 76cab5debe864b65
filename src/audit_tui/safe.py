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
