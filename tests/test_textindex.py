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


def test_newest_first_scan_equals_a_full_scan() -> None:
    """Parts are scanned newest first and the scan stops early: the answer must not change."""
    import random

    import numpy as np

    rng = random.Random(7)
    words = ["alpha", "beta", "gamma", "delta"]
    lines, times = [], []
    for _ in range(600):
        t = rng.randrange(1_000_000)
        picked = rng.sample(words, rng.randint(0, 2))
        lines.append(orjson.dumps({"audited_at": t, "event_type": "x", "note": " ".join(picked)}))
        times.append(t)
    blob = TextBlob()
    for start in range(0, 600, 50):  # parts in no time order
        part = TextPart.from_texts([lower(x) for x in lines[start : start + 50]])
        part.ts = np.asarray(times[start : start + 50], dtype=np.int64)
        blob.add(part)
    allowed = np.asarray([rng.random() < 0.7 for _ in range(600)])
    for word in words + ["zzz", "alpha beta"]:
        enc = [w.encode() for w in word.split()]
        every = blob.match(enc, None, None)
        for limit in (1, 5, 40, 1000):
            for mask in (None, allowed):
                pool = [i for i in every if mask is None or mask[i]]
                want = sorted(pool, key=lambda i: -times[i])[:limit]
                got = blob.newest(enc, mask, limit)
                cut = min((times[i] for i in want), default=None)
                # every wanted event is returned; extras only tie with the last one
                assert set(want) <= set(got), (word, limit)
                assert all(times[i] == cut for i in set(got) - set(want)), (word, limit)


def test_gram_filter_never_hides_a_match() -> None:
    """A part is skipped only when a word certainly is not in it: every substring of every
    text passes its part's filter, and absent ids are mostly skipped."""
    import random

    from audit_tui.textindex import fragments, may_contain

    rng = random.Random(3)
    blob = TextBlob()
    lines = [
        orjson.dumps(
            {
                "audited_at": i,
                "event_type": "x",
                "id": f"{rng.getrandbits(128):032x}",
                "ip": f"10.0.{i % 256}.{i % 7}",
            }
        )
        for i in range(3000)
    ]
    for start in range(0, 3000, 500):
        blob.add(TextPart.from_texts([lower(x) for x in lines[start : start + 500]]))
    while blob.strip_next():
        pass
    assert all(p.grams is not None for p in blob.parts)
    for _ in range(2000):
        i = rng.randrange(3000)
        text = blob.text(i)
        a = rng.randrange(len(text))
        word = text[a : a + rng.randint(1, 40)]
        part = blob.parts[i // 500]
        # searches ask the filter about punctuation-free words (others by their fragments)
        for piece in fragments(word):
            assert may_contain(part.grams, piece), piece
    absent = [b"%032x" % rng.getrandbits(128) for _ in range(50)]
    skipped = sum(not may_contain(p.grams, w) for w in absent for p in blob.parts)
    assert skipped > 0.9 * len(absent) * len(blob.parts)
    for w in absent:
        assert blob.match([w], None, None) == []


def test_short_escapes_become_the_characters_they_stand_for() -> None:
    """``\\t`` and ``\\u0009`` are the same character: the search text holds it either way, as
    the parsed record's text does (a search for a value with a backspace found nothing)."""
    for char in "\t\r\b\f":
        for line in (orjson.dumps({"k": f"a{char}b"}), b'{"k":"a\\u%04xb"}' % ord(char)):
            assert unescape(line) == b'{"k":"a' + char.encode() + b'b"}', line
