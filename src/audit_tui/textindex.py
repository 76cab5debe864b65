"""Search text: one lower-cased text per event made of its *values* only, and the matching.

The fast path turns a whole block of compact JSON lines into per-event texts with a few numpy
passes (key strings and their colon are cut out; values keep their JSON text). Lines the fast
path cannot read exactly (escapes, unusual spacing, invalid UTF-8) take the slow path: parse and
walk the values. Both produce texts where a word matches exactly when some value (a string, or
the JSON text of a number, boolean or null) contains it, ignoring case.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from itertools import compress, islice, repeat
from typing import Any

import numpy as np
import orjson

SEP = "\x1f"  # between values in slow-path texts: never typed, never in a word
_QUOTE, _COLON, _BACKSLASH = 34, 58, 92


def _leaf_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def iter_values(value: Any) -> Iterable[str]:
    """Every scalar value of a record, nested ones included, as text (keys excluded)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
        else:
            yield _leaf_text(item)


def record_text(record: Any) -> bytes:
    """The slow path: the search text of one parsed record."""
    return SEP.join(iter_values(record)).lower().encode("utf-8", "surrogatepass")


def _needs_slow_path(line: bytes) -> bool:
    return b"\\" in line or b'" :' in line or b'"\t:' in line


def block_texts(lines: Sequence[bytes], records: Sequence[Any] | None = None) -> list[bytes]:
    """Search texts for compact JSON object lines (all valid), in order.

    ``records`` (the parsed lines) is only used for lines that need the slow path.
    """
    if not lines:
        return []
    slow = [i for i, line in enumerate(lines) if _needs_slow_path(line)]
    if slow:
        slow_set = set(slow)
        fast_idx = [i for i in range(len(lines)) if i not in slow_set]
        fast = _fast_texts([lines[i] for i in fast_idx]) if fast_idx else []
        out: list[bytes] = [b""] * len(lines)
        for i, text in zip(fast_idx, fast, strict=True):
            out[i] = text
        for i in slow:
            rec = records[i] if records is not None else orjson.loads(lines[i])
            out[i] = record_text(rec)
        return out
    return _fast_texts(lines)


def _fast_texts(lines: Sequence[bytes]) -> list[bytes]:
    block = b"\n".join(lines)
    arr = np.frombuffer(block, np.uint8)
    quotes = np.flatnonzero(arr == _QUOTE)
    closes = quotes[1::2]
    after = closes + 1
    after = after[after < len(arr)]
    is_key = np.zeros(len(closes), bool)
    is_key[: len(after)] = arr[after] == _COLON
    # Cut [open quote, colon] of every key: alternate keep/drop runs between the boundaries.
    key_open = quotes[0::2][is_key]
    key_end = closes[is_key] + 2
    bounds = np.empty(2 * len(key_open) + 2, np.int64)
    bounds[0] = 0
    bounds[1:-1:2] = key_open
    bounds[2:-1:2] = key_end
    bounds[-1] = len(arr)
    keep = np.zeros(len(bounds) - 1, bool)
    keep[0::2] = True
    mask = np.repeat(keep, np.diff(bounds))
    values = arr[mask].tobytes()
    if values.isascii():
        values = values.lower()
    else:
        values = values.decode("utf-8", "surrogateescape").lower().encode("utf-8", "surrogateescape")
    return values.split(b"\n")


def encode_words(words: Iterable[str]) -> tuple[bytes, ...]:
    return tuple(w.lower().encode("utf-8", "surrogatepass") for w in words)


def needs_verify(word: bytes) -> bool:
    """Words with JSON punctuation could match across values in fast texts: verify hits."""
    return any(c in word for c in (b'"', b",", b"{", b"}", b"[", b"]", b":", b"\\"))


def match_texts(
    texts: Sequence[bytes],
    words: Sequence[bytes],
    candidates: Sequence[int] | None,
    limit: int | None,
) -> list[int]:
    """Indices (from ``candidates``, in their order; all indices when None) whose text holds
    every word, at most ``limit`` of them."""
    idx: Iterable[int] = range(len(texts)) if candidates is None else candidates
    if limit is not None:
        get = texts.__getitem__
        found: Iterable[int] = compress(idx, map(operator.contains, map(get, idx), repeat(words[0])))
        if len(words) > 1:
            rest = words[1:]
            found = (i for i in found if all(w in get(i) for w in rest))
        return list(islice(found, limit))
    hits: list[int] = list(idx)
    for word in words:
        if candidates is None and len(hits) == len(texts):
            sub: Iterable[bytes] = texts
        else:
            sub = map(texts.__getitem__, hits)
        hits = list(compress(hits, map(operator.contains, sub, repeat(word))))
        if not hits:
            break
    return hits


class LocalTextIndex:
    """Texts held in this process: for small sources and tests."""

    def __init__(self) -> None:
        self.texts: list[bytes] = []

    def __len__(self) -> int:
        return len(self.texts)

    def extend(self, texts: Iterable[bytes]) -> None:
        self.texts.extend(texts)

    def match(
        self, words: Sequence[bytes], candidates: np.ndarray | None, limit: int | None
    ) -> np.ndarray:
        cand = None if candidates is None else candidates.tolist()
        return np.asarray(match_texts(self.texts, words, cand, limit), dtype=np.int64)

    def close(self) -> None:
        self.texts = []
