"""The text index alone: raw parts (look-ahead on JSON lines) and stripped parts (key names cut
out in idle time) must give exactly the reference answer: words found in the record's values."""

from __future__ import annotations

import orjson
import pytest

from audit_tui.textindex import _TO_SEP as TO_SEP
from audit_tui.textindex import (
    TextBlob,
    TextPart,
    fragments,
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
    while stripped and blob.idle_step():
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
    while blob.idle_step():
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


def _idle(blob: TextBlob) -> None:
    while blob.idle_step():
        pass


@pytest.mark.parametrize("step", [3 << 19, 5000])
def test_compact_parts_answer_as_the_key_free_texts(step: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Parts whose values are kept once each must find exactly what a scan of the key-free
    texts finds: every substring of every event's text, ids that are nowhere, several words,
    candidates in any order and the newest-first scan (also when each idle step makes only a
    few events compact, splitting the parts)."""
    import random

    import numpy as np

    from audit_tui import textindex

    monkeypatch.setattr(textindex, "COMPACT_BYTES", step)

    rng = random.Random(3)
    users = ["ada lovelace", "alan turing", "grace {hopper}", "olga, k"]
    lines = [
        orjson.dumps(
            {
                "audited_at": i,
                "event_type": rng.choice(["agent created", "agent deleted", "key rotated"]),
                "id": f"{rng.getrandbits(128):032x}",
                "ip": f"10.0.{i % 256}.{i % 7}",
                "actor": {"name": rng.choice(users), "n": rng.choice([1, 2.5, True, None])},
                "tags": [rng.choice(["x", "y"]), rng.choice(["x", "z"])],  # repeats in one event
                "note": rng.choice(["", "a\tb", "c:d", "same"]),
            }
        )
        for i in range(3000)
    ]
    stripped, compact = TextBlob(), TextBlob()
    for blob in (stripped, compact):
        for start in range(0, 3000, 500):
            part = TextPart.from_texts([lower(x) for x in lines[start : start + 500]])
            part.ts = np.arange(start, start + len(part.starts) - 1, dtype=np.int64) % 700
            blob.add(part)
    for k, part in enumerate(stripped.parts):  # key names cut, values not compacted
        text, starts = strip_keys(part.blob)
        stripped.parts[k] = TextPart(text, starts, stripped=True, ts=part.ts)
    _idle(compact)
    assert all(p.compact is not None for p in compact.parts)
    assert (len(compact.parts) == 6) == (step > 5000)  # small steps split the parts
    assert compact.firsts == [
        sum(p.count for p in compact.parts[:k]) for k in range(len(compact.parts))
    ]
    assert sum(p.compact.nbytes for p in compact.parts) < sum(len(p.blob) for p in stripped.parts)
    words = [b"ada", b"lovelace", b"agent", b"agent deleted", b"10.0.1", b"same", b"x", b"z"]
    words += [b"nowhere", b"%032x" % rng.getrandbits(128), b"2.5", b"true", b"null", b"\tb"]
    for _ in range(400):
        i = rng.randrange(3000)
        text = stripped.text(i)
        a = rng.randrange(len(text))
        words.extend(fragments(text[a : a + rng.randint(1, 30)]))
    for word in words:
        assert compact.match([word], None, None) == stripped.match([word], None, None), word
    pick = rng.sample(range(3000), 60)
    for pair in ([b"ada", b"agent"], [b"x", b"z"], [b"olga", b"key rotated"]):
        want = stripped.match(pair, None, None)
        assert compact.match(pair, None, None) == want
        assert compact.match(pair, pick, None) == [i for i in pick if i in set(want)]
        assert compact.match(pair, pick, 3) == [i for i in pick if i in set(want)][:3]
        assert sorted(compact.newest(pair, None, 25)) == sorted(stripped.newest(pair, None, 25))
    for i in pick:  # the event's values, each once, in another order
        values = stripped.text(i).translate(TO_SEP, b'"').split(b"\x1f")
        assert set(compact.text(i).split(b"\x1f")) - {b""} == set(values) - {b""}


def test_short_escapes_become_the_characters_they_stand_for() -> None:
    """``\\t`` and ``\\u0009`` are the same character: the search text holds it either way, as
    the parsed record's text does (a search for a value with a backspace found nothing)."""
    for char in "\t\r\b\f":
        for line in (orjson.dumps({"k": f"a{char}b"}), b'{"k":"a\\u%04xb"}' % ord(char)):
            assert unescape(line) == b'{"k":"a' + char.encode() + b'b"}', line


@pytest.mark.parametrize("times", [3, 3000])
def test_a_word_in_keys_and_values_of_many_events(times: int) -> None:
    """Raw parts are searched by the word's first bytes with numpy, candidate by candidate
    (occurrences inside key names rejected); past a few thousand candidates by find and jump.
    Both give the reference answer."""
    lines = [
        orjson.dumps({"user_agent": "x", "agent": f"agent {i}" if i % 3 else "none", "n": i})
        for i in range(times)
    ]
    blob = TextBlob()
    blob.add(TextPart.from_texts([lower(x) for x in lines]))
    for word in (b"agent", b"agent 1", b"user_agent", b"none", b"agen"):
        want = [i for i, x in enumerate(lines) if word in record_text(orjson.loads(x), x)]
        assert blob.match([word], None, None) == want, word
        assert blob.match([word, b"1"], None, None) == [
            i for i in want if b"1" in record_text(orjson.loads(lines[i]), lines[i])
        ]
