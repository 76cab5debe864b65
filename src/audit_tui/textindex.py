"""Search text: one lower-cased text per event made of its *values* only, and the matching.

The fast path turns a whole block of compact JSON lines into per-event texts with a few numpy
passes (key strings and their colon are cut out; values keep their JSON text). Lines the fast
path cannot read exactly (escapes, unusual spacing, invalid UTF-8) take the slow path: parse and
walk the values. Both produce texts where a word matches exactly when some value (a string, or
the JSON text of a number, boolean or null) contains it, ignoring case.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
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
        text = values.decode("utf-8", "surrogateescape").lower()
        values = text.encode("utf-8", "surrogateescape")
    return values.split(b"\n")


def encode_words(words: Iterable[str]) -> tuple[bytes, ...]:
    return tuple(w.lower().encode("utf-8", "surrogatepass") for w in words)


def needs_verify(word: bytes) -> bool:
    """Words with JSON punctuation could match across values in fast texts: verify hits."""
    return any(c in word for c in (b'"', b",", b"{", b"}", b"[", b"]", b":", b"\\"))


class TextBlob:
    """The search texts of many events in one contiguous bytes object, newline-separated.

    One scan of a big contiguous buffer with ``bytes.find`` runs at memory speed for rare words;
    after a hit the scan jumps to the next event, so the Python-level work is per matching
    event, not per event. Texts are appended in blocks and joined lazily.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._part_lens: list[list[int]] = []
        self._blob = b""
        self._starts: list[int] = [0]  # start of each event's text; one extra at the end
        self._n = 0

    def __len__(self) -> int:
        return self._n + sum(len(lens) for lens in self._part_lens)

    def add(self, texts: Sequence[bytes]) -> None:
        if texts:
            self._parts.append(b"\n".join(texts) + b"\n")
            self._part_lens.append([len(t) + 1 for t in texts])

    def _join(self) -> None:
        if not self._parts:
            return
        parts, self._parts = self._parts, []
        lens, self._part_lens = self._part_lens, []
        self._blob = b"".join([self._blob, *parts])
        starts = self._starts
        pos = starts[-1]
        for block in lens:
            for ln in block:
                pos += ln
                starts.append(pos)
        self._n = len(starts) - 1

    def text(self, i: int) -> bytes:
        self._join()
        return self._blob[self._starts[i] : self._starts[i + 1] - 1]

    def _scan(self, word: bytes) -> list[int]:
        """All events whose text holds ``word``, in index order."""
        blob, starts, find = self._blob, self._starts, self._blob.find
        hits: list[int] = []
        pos = find(word)
        while pos >= 0:
            i = bisect_right(starts, pos) - 1
            hits.append(i)
            pos = find(word, starts[i + 1])
        del blob
        return hits

    def match(
        self, words: Sequence[bytes], candidates: Sequence[int] | None, limit: int | None
    ) -> list[int]:
        """Indices (from ``candidates`` in their order, or all in index order) whose text holds
        every word; at most ``limit`` of them."""
        self._join()
        if not words:
            base = list(range(self._n)) if candidates is None else list(candidates)
            return base if limit is None else base[:limit]
        blob, starts = self._blob, self._starts
        if candidates is not None and (limit is not None or len(candidates) * 8 < self._n):
            # Few candidates, or only the first few wanted: test them one by one, in order.
            budget = (
                len(candidates) if limit is None else min(len(candidates), max(limit * 20, 2000))
            )
            out: list[int] = []
            for i in candidates[:budget]:
                t = blob[starts[i] : starts[i + 1]]
                if all(w in t for w in words):
                    out.append(i)
                    if limit is not None and len(out) >= limit:
                        return out
            if budget == len(candidates):
                return out
        longest = max(words, key=len)
        hits = self._scan(longest)
        rest = [w for w in words if w != longest]
        if rest:
            hits = [i for i in hits if all(w in blob[starts[i] : starts[i + 1]] for w in rest)]
        if candidates is None:
            return hits if limit is None else hits[:limit]
        # Keep the hits that are candidates, in the candidates' order.
        cand = np.asarray(candidates, dtype=np.int64)
        rank = np.full(self._n, -1, np.int64)
        rank[cand] = np.arange(len(cand))
        h = np.asarray(hits, dtype=np.int64)
        h = h[rank[h] >= 0]
        h = h[np.argsort(rank[h], kind="stable")]
        return (h if limit is None else h[:limit]).tolist()


class LocalTextIndex:
    """Texts held in this process: for small sources and tests."""

    def __init__(self) -> None:
        self.texts = TextBlob()

    def __len__(self) -> int:
        return len(self.texts)

    def extend(self, texts: Sequence[bytes]) -> None:
        self.texts.add(texts)

    def match(
        self, words: Sequence[bytes], candidates: np.ndarray | None, limit: int | None
    ) -> np.ndarray:
        cand = None if candidates is None else candidates.tolist()
        return np.asarray(self.texts.match(words, cand, limit), dtype=np.int64)

    def close(self) -> None:
        self.texts = TextBlob()
