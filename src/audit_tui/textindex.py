"""Search text and matching: case-insensitive partial match against every *value* of a record.

Each event's text is its JSON line, lower-cased, kept in big contiguous blocks (no per-event
objects). A word is searched with a regular expression whose look-ahead rejects an occurrence
inside a key (``"…word…":``), so key names never match while values do, and no key stripping is
needed when loading. Lines the fast form cannot represent exactly (escapes, unusual spacing) get
a *plain* text instead: their values joined by a separator, with quotes neutralised.

Values are scalar leaves: strings, and the JSON text of numbers, booleans and null. A search word
with JSON punctuation (``" , : { } [ ] \\``) could match across values in the raw line: such words
are matched through their fragments and then verified on the parsed record (see the store).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

SEP = "\x1f"  # between values in plain texts: never typed, never in a word
_SPECIAL = re.compile(rb'["\\,:{}\[\]]')
_LOOKAHEAD = rb'(?![^"\n]*"\s*:)'  # not inside a key: '…word…" :'


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
    """The values of a parsed record, lower-cased, joined by SEP (the reference form)."""
    return SEP.join(iter_values(record)).lower().encode("utf-8", "surrogatepass")


def plain_text(record: Any) -> bytes:
    """A plain text for the blob: no quotes (so the key look-ahead never fires), no newlines."""
    return record_text(record).replace(b'"', b"\x1e").replace(b"\n", SEP.encode())


def is_irregular(line: bytes) -> bool:
    """Lines whose raw text is not a faithful values text: JSON escapes."""
    return b"\\" in line


def lower(data: bytes) -> bytes:
    if data.isascii():
        return data.lower()
    return data.decode("utf-8", "surrogateescape").lower().encode("utf-8", "surrogateescape")


def encode_words(words: Iterable[str]) -> tuple[bytes, ...]:
    return tuple(w.lower().encode("utf-8", "surrogatepass") for w in words)


def needs_verify(word: bytes) -> bool:
    """Words with JSON punctuation could match across values in a raw line: verify hits."""
    return _SPECIAL.search(word) is not None


def fragments(word: bytes) -> list[bytes]:
    """The punctuation-free pieces of a word: every value holding the word holds them all."""
    return [f for f in _SPECIAL.split(word) if f]


@dataclass
class TextPart:
    """The texts of consecutive events: one bytes object, one text per line."""

    blob: bytes
    starts: list[int]  # start of each text, plus the end of the last one
    plain: set[int] = field(default_factory=set)  # local indices with plain texts

    @property
    def count(self) -> int:
        return len(self.starts) - 1

    @classmethod
    def from_texts(cls, texts: Sequence[bytes], plain: Iterable[int] = ()) -> TextPart:
        starts = [0]
        pos = 0
        for t in texts:
            pos += len(t) + 1
            starts.append(pos)
        blob = b"\n".join(texts) + b"\n" if texts else b""
        return cls(blob, starts, set(plain))

    @classmethod
    def from_records(cls, records: Sequence[Any]) -> TextPart:
        return cls.from_texts([plain_text(r) for r in records], range(len(records)))


def _regex(word: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(word) + _LOOKAHEAD)


class TextBlob:
    """The texts of many events, in parts appended as they load; matching scans each part."""

    def __init__(self) -> None:
        self.parts: list[TextPart] = []
        self.firsts: list[int] = []
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def add(self, part: TextPart) -> None:
        if part.count:
            self.parts.append(part)
            self.firsts.append(self.n)
            self.n += part.count

    def text(self, i: int) -> bytes:
        k = bisect_right(self.firsts, i) - 1
        part = self.parts[k]
        j = i - self.firsts[k]
        return part.blob[part.starts[j] : part.starts[j + 1] - 1]

    def _scan(self, word: bytes, rx: re.Pattern[bytes], rest: list[re.Pattern[bytes]]) -> list[int]:
        """All events (index order) whose values hold ``word`` and match all of ``rest``.

        ``bytes.find`` runs over the blob at memory speed; the pattern, anchored at each
        occurrence, rejects occurrences inside a key; after a hit the scan jumps to the next
        event, so the Python-level work is per matching event.
        """
        hits: list[int] = []
        append = hits.append
        for first, part in zip(self.firsts, self.parts, strict=True):
            blob, starts = part.blob, part.starts
            find, at = blob.find, rx.match
            pos = find(word)
            while pos >= 0:
                if at(blob, pos) is None:  # inside a key name
                    pos = find(word, pos + 1)
                    continue
                j = bisect_right(starts, pos) - 1
                end = starts[j + 1]
                if not rest or all(r.search(blob, starts[j], end) for r in rest):
                    append(first + j)
                pos = find(word, end)
        return hits

    def _test(self, i: int, patterns: list[re.Pattern[bytes]]) -> bool:
        k = bisect_right(self.firsts, i) - 1
        part = self.parts[k]
        j = i - self.firsts[k]
        s, e = part.starts[j], part.starts[j + 1]
        return all(p.search(part.blob, s, e) for p in patterns)

    def match(
        self, words: Sequence[bytes], candidates: Sequence[int] | None, limit: int | None
    ) -> list[int]:
        """Indices (from ``candidates`` in their order, or all in index order) whose values
        hold every word; at most ``limit`` of them. Words must be punctuation-free."""
        if not words:
            base = list(range(self.n)) if candidates is None else list(candidates)
            return base if limit is None else base[:limit]
        ordered = sorted(set(words), key=len, reverse=True)
        patterns = [_regex(w) for w in ordered]
        if candidates is not None and (limit is not None or len(candidates) * 16 < self.n):
            # Few candidates, or only the first few wanted: test them one by one, in order.
            out: list[int] = []
            for i in candidates:
                if self._test(i, patterns):
                    out.append(i)
                    if limit is not None and len(out) >= limit:
                        break
            return out
        hits = self._scan(ordered[0], patterns[0], patterns[1:])
        if candidates is None:
            return hits if limit is None else hits[:limit]
        # Keep the hits that are candidates, in the candidates' order.
        cand = np.asarray(candidates, dtype=np.int64)
        rank = np.full(self.n, -1, np.int64)
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

    def extend(self, part: TextPart) -> None:
        self.texts.add(part)

    def match(
        self, words: Sequence[bytes], candidates: np.ndarray | None, limit: int | None
    ) -> np.ndarray:
        cand = None if candidates is None else candidates.tolist()
        return np.asarray(self.texts.match(words, cand, limit), dtype=np.int64)

    def close(self) -> None:
        self.texts = TextBlob()
