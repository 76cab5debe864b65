"""The text index alone: raw parts (look-ahead on JSON lines) and stripped parts (key names cut
out in idle time) must give exactly the reference answer: words found in the record's values."""

from __future__ import annotations

import orjson
import pytest

from audit_tui.textindex import (
    TextBlob,
    TextPart,
    is_irregular,
    lower,
    record_text,
    strip_keys,
    unescape,
)

LINES = [
    b'{"id":"1","audited_at":"2026-11-19T10:00:00Z","event_type":"Agent Created","actor":{"name":"Ada","email":"ada@x.io"},"metadata":{"user_agent":"curl/8","n":1.50}}',
    b'{"audited_at": "2026-11-19T09:00:00Z", "event_type" : "X", "actor" :{"name": "agent smith"}, "metadata": {"user_agent"  :  "curl"}}',
    b'{"audited_at":"2026-11-19T08:00:00Z","event_type":"Y","actor":"Zo\\u00eb \\"agent\\" x","meta":{"k\\"ey":"v","s":"a\\nb \\u0004c"}}',
    '{"audited_at":"2026-11-19T07:00:00Z","event_type":"Z","note":"ÉCOLE 日本 🙂","list":[1,true,null,"Ünï"]}'.encode(),
    b'{"audited_at":"2026-11-19T06:00:00Z","event_type":"W","nested":{"deep":{"deeper":{"secret_key":"hunter2"}}}}',
]
WORDS = [
    "agent", "user_agent", "curl", "ada", "ada@x.io", "1.50", "zoë", "smith", "v", "ey", "k",
    "école", "日本", "🙂", "ünï", "true", "null", "hunter2", "secret_key", "deep", "\x04c", "a",
    "created", "agent created", "x", "event_type", "metadata",
]  # fmt: skip


def _blob(lines: list[bytes], size: int = 2) -> TextBlob:
    blob = TextBlob()
    for i in range(0, len(lines), size):
        chunk = lines[i : i + size]
        blob.add(TextPart.from_texts([lower(unescape(x) if is_irregular(x) else x) for x in chunk]))
    return blob


@pytest.mark.parametrize("stripped", [False, True])
@pytest.mark.parametrize("word", WORDS)
def test_matches_the_reference(word: str, stripped: bool) -> None:
    blob = _blob(LINES)
    while stripped and blob.strip_next():
        pass
    assert all(p.stripped == stripped for p in blob.parts)
    words = [w.encode() for w in word.lower().split()]
    reference = [
        i for i, x in enumerate(LINES) if all(w in record_text(orjson.loads(x), x) for w in words)
    ]
    assert blob.match(words, None, None) == reference
    newest_first = list(range(len(LINES) - 1, -1, -1))
    assert blob.match(words, newest_first, 2) == [i for i in newest_first if i in reference][:2]


def test_key_names_never_match() -> None:
    blob = _blob(LINES)
    for key in (b"user_agent", b"secret_key", b"event_type", b"audited_at", b"metadata"):
        assert blob.match([key], None, None) == []
    while blob.strip_next():
        pass
    for key in (b"user_agent", b"secret_key", b"event_type", b"audited_at", b"metadata"):
        assert blob.match([key], None, None) == []


def test_strip_keys_keeps_one_line_per_event() -> None:
    text = b"".join(lower(unescape(x) if is_irregular(x) else x) + b"\n" for x in LINES)
    out, starts = strip_keys(text)
    assert len(starts) == len(LINES) + 1
    assert b"user_agent" not in out and b"curl" in out and b"hunter2" in out
