"""Search text and matching: case-insensitive partial match against every *value* of a record.

Each event's text is its JSON line, lower-cased, kept in big contiguous blocks (no per-event
objects). A word is searched with a regular expression whose look-ahead rejects an occurrence
inside a key (``"…word…":``), so key names never match while values do, and no key stripping is
needed when loading. Lines with JSON escapes are unescaped in place (escaped quotes become a
placeholder, so the quotes that delimit strings stay). Records that come parsed (JSON documents,
CSV rows, API pages) get a *plain* text: their values joined by a separator, quotes neutralised.

In idle time the loader's workers cut the key names out (then a plain ``find`` is exact) and
give each part of the texts a filter of hashed 4-byte grams, so a word that is not in a part
skips it; a new search reads the parts newest first and stops as soon as it has its first page.

Values are scalar leaves: strings, and the JSON text of numbers, booleans and null. A search word
with JSON punctuation (``" , : { } [ ] \\``) could match across values in the raw line: such words
are matched through their fragments and then verified on the parsed record (see the store).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    return map(_leaf_text, _iter_leaves(value))


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_LITERAL = re.compile(rb"-?[0-9][0-9.eE+-]*|true|false|null")


def record_text(record: Any, line: bytes | None = None) -> bytes:
    """The values of a parsed record, lower-cased, joined by SEP (the reference form).

    With the record's source ``line``, numbers, booleans and null are taken as the source wrote
    them (``1.50`` stays ``1.50``), as the raw-line search sees them; otherwise as JSON text.
    """
    if line is None:
        return SEP.join(iter_values(record)).lower().encode("utf-8", "surrogatepass")
    strings = [v for v in _iter_leaves(record) if isinstance(v, str)]
    literals = _LITERAL.findall(_STRING.sub(b" ", line))
    text = SEP.join([*strings, *(t.decode("ascii", "replace") for t in literals)])
    return text.lower().encode("utf-8", "surrogatepass")


def _iter_leaves(value: Any) -> Iterable[Any]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
        else:
            yield item


def searchable_bytes(record: Any, line: bytes | None = None) -> bytes:
    """The search text of a parsed record (a JSON document's item, a CSV row, an API page's
    event) as the blob holds it: its values joined by SEP, with no quotes (so the key
    look-ahead never fires) and no newlines."""
    return record_text(record, line).replace(b'"', b"\x1e").replace(b"\n", SEP.encode())


_ESCAPE = re.compile(
    rb"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|(.))",
    re.S,
)
_SIMPLE_ESCAPES = {
    b'"': b"\x1e",  # an escaped quote must not look like the end of a string
    b"\\": b"\\",
    b"/": b"/",
    b"n": SEP.encode(),
    b"r": b"\r",  # the characters themselves, as a \u00XX escape of them gives
    b"t": b"\t",
    b"b": b"\b",
    b"f": b"\f",
}


def _unescape(m: re.Match[bytes]) -> bytes:
    if m.group(1):  # a surrogate pair: one character outside the BMP
        high, low = int(m.group(1), 16), int(m.group(2), 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).encode()
    if m.group(3):
        code = int(m.group(3), 16)
        if code == 0x22:
            return b"\x1e"
        if code == 0x0A:  # a newline inside a value must not end the event's text
            return SEP.encode()
        return chr(code).encode("utf-8", "surrogatepass")
    return _SIMPLE_ESCAPES.get(m.group(4), m.group(4))


def unescape(line: bytes) -> bytes:
    """A JSON line with its string escapes undone, quotes still delimiting the strings (escaped
    quotes become a placeholder), so the key look-ahead and key stripping keep working.

    The common escapes (``\\\\`` and ``\\"``) are replaced at C speed first: the bytes used as
    placeholders are control characters, which a valid JSON line cannot hold raw."""
    text = line.replace(b"\\\\", b"\x1d").replace(b'\\"', b"\x1e")
    if b"\\" in text:
        text = _ESCAPE.sub(_unescape, text)
    return text.replace(b"\x1d", b"\\")


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


def strip_keys(blob: bytes) -> tuple[bytes, list[int]]:
    """Cut every key (``"name":``) out of newline-separated JSON texts, in a few numpy passes.

    Lines must be escape-free JSON (plain texts have no quotes and pass unchanged). Returns the
    values-only texts and the start of each line (plus the end).
    """
    arr = np.frombuffer(blob, np.uint8)
    quotes = np.flatnonzero(arr == 34)
    closes = quotes[1::2]
    after = np.minimum(closes + 1, len(arr) - 1)
    follow = arr[after]
    is_key = follow == 58  # compact JSON: the key's closing quote is followed by ':'
    spaced = np.flatnonzero((follow == 32) | (follow == 9))
    for k in spaced.tolist():  # '"key" :' (rare): look past the blanks
        rest = blob[int(after[k]) : int(after[k]) + 64].lstrip(b" \t\r")
        is_key[k] = rest[:1] == b":"
    key_open = quotes[0::2][is_key]
    key_end = closes[is_key] + 2
    if len(spaced):
        colons = np.flatnonzero(arr == 58)
        key_end = colons[np.searchsorted(colons, closes[is_key])] + 1
    bounds = np.empty(2 * len(key_open) + 2, np.int64)
    bounds[0] = 0
    bounds[1:-1:2] = key_open
    bounds[2:-1:2] = key_end
    bounds[-1] = len(arr)
    keep = np.zeros(len(bounds) - 1, bool)
    keep[0::2] = True
    out = arr[np.repeat(keep, np.diff(bounds))]
    newlines = np.flatnonzero(out == 10)
    return out.tobytes(), [0, *(newlines + 1).tolist()]


GRAM = 4  # bytes per gram: each gram of a part is one aligned 32-bit read of it, no copying
GRAM_BITS = 1 << 22  # one bit per hashed gram of a part: 512 KB
_GRAM_SHIFT = np.uint32(32 - 22)
_GRAM_MUL = np.uint32(0x9E3779B1)  # Fibonacci hashing: the top bits of the product


def _gram_hashes(data: bytes) -> list[np.ndarray]:
    """The hashes of every 4-byte window of ``data``: the windows starting at 0, 4, 8… are
    the bytes read as little-endian 32-bit numbers (a view, not a copy), and so on for the
    starts 1, 5, 9…, 2, 6… and 3, 7…"""
    out = []
    for k in range(min(GRAM, max(0, len(data) - GRAM + 1))):
        windows = np.frombuffer(data, dtype="<u4", offset=k, count=(len(data) - k) // GRAM)
        out.append((windows * _GRAM_MUL) >> _GRAM_SHIFT)
    return out


def gram_bits(blob: bytes) -> np.ndarray:
    """Which (hashed) 4-byte grams occur in ``blob``, as packed bits: a word one of whose grams
    is missing cannot occur in it, so a scan skips the whole part (an id that is not there).
    About 15 ms for a 4 MB part, a few percent of the bits set."""
    bits = np.zeros(GRAM_BITS, np.uint8)
    for h in _gram_hashes(blob):
        bits[h] = 1
    return np.packbits(bits)


def may_contain(grams: np.ndarray, word: bytes) -> bool:
    """False only when ``word`` certainly does not occur in the part ``grams`` describes."""
    if len(word) < GRAM:
        return True
    h = np.concatenate(_gram_hashes(word))
    return bool(np.all(grams[h >> 3] & (128 >> (h & 7))))


@dataclass
class TextPart:
    """The texts of consecutive events: one bytes object, one text per line."""

    blob: bytes
    starts: list[int]  # start of each text, plus the end of the last one
    stripped: bool = False  # key names cut out: a plain find is exact
    ts: np.ndarray | None = None  # each event's time (epoch ms): lets a search go newest first
    grams: np.ndarray | None = None  # gram_bits of the blob (made in idle time)

    @property
    def count(self) -> int:
        return len(self.starts) - 1

    @classmethod
    def from_texts(cls, texts: Sequence[bytes]) -> TextPart:
        starts = [0]
        pos = 0
        for t in texts:
            pos += len(t) + 1
            starts.append(pos)
        blob = b"\n".join(texts) + b"\n" if texts else b""
        return cls(blob, starts)


def _regex(word: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(word) + _LOOKAHEAD)


class TextBlob:
    """The texts of many events, in parts appended as they load; matching scans each part.

    A part holds raw lower-cased JSON lines at first: an occurrence is checked against the key
    look-ahead. In idle time :meth:`strip_next` cuts the key names out of one part at a time;
    a stripped part is searched with a plain ``find``.
    """

    def __init__(self) -> None:
        self.parts: list[TextPart] = []
        self.firsts: list[int] = []
        self.n = 0
        self._next_strip = 0
        self._next_gram = 0

    def __len__(self) -> int:
        return self.n

    def add(self, part: TextPart) -> None:
        if part.count:
            self.parts.append(part)
            self.firsts.append(self.n)
            self.n += part.count

    def strip_next(self) -> bool:
        """One unit of idle work; False when there is none left. First every part gets its
        gram filter (a word that is nowhere then skips the whole log at once), then every
        part's key names are cut out: one step per call, so a search waiting between two
        steps waits for one step only. The filter of the raw text stays right for the
        stripped one: a word found in the values is in the raw text."""
        while self._next_gram < len(self.parts):
            part = self.parts[self._next_gram]
            self._next_gram += 1
            if part.grams is None:
                part.grams = gram_bits(part.blob)
                return True
        while self._next_strip < len(self.parts):
            k = self._next_strip
            self._next_strip += 1
            part = self.parts[k]
            if part.stripped:
                continue
            blob, starts = strip_keys(part.blob)
            if len(starts) == len(part.starts):  # else: not the shape expected, leave it raw
                self.parts[k] = TextPart(blob, starts, stripped=True, ts=part.ts, grams=part.grams)
            return True
        return False

    def _locate(self, i: int) -> tuple[TextPart, int, int]:
        k = bisect_right(self.firsts, i) - 1
        part = self.parts[k]
        j = i - self.firsts[k]
        return part, part.starts[j], part.starts[j + 1]

    def text(self, i: int) -> bytes:
        part, s, e = self._locate(i)
        return part.blob[s : e - 1]

    def _scan(
        self,
        words: Sequence[bytes],
        patterns: list[re.Pattern[bytes]],
        only: Iterable[int] | None = None,
    ) -> list[int]:
        """All events (index order) whose values hold ``word`` and match all of ``rest``.

        ``bytes.find`` runs over the blob at memory speed; in a raw part the pattern, anchored
        at each occurrence, rejects occurrences inside a key (when there are many, the regex
        itself skips them); after a hit the scan jumps to the next event, so the Python-level
        work is per matching event.
        """
        word, rx, rest = words[0], patterns[0], patterns[1:]
        hits: list[int] = []
        append = hits.append
        rejected = 0
        for k in range(len(self.parts)) if only is None else only:
            first, part = self.firsts[k], self.parts[k]
            if part.grams is not None and not all(may_contain(part.grams, w) for w in words):
                continue  # some word has a gram this part lacks: no event here holds it
            blob, starts = part.blob, part.starts
            find, at, search = blob.find, rx.match, rx.search
            raw = not part.stripped
            pos = find(word)
            while pos >= 0:
                if raw:
                    if rejected > 64:
                        m = search(blob, pos)
                        if m is None:
                            break
                        pos = m.start()
                    elif at(blob, pos) is None:  # inside a key name
                        rejected += 1
                        pos = find(word, pos + 1)
                        continue
                j = bisect_right(starts, pos) - 1
                end = starts[j + 1]
                if not rest or all(r.search(blob, starts[j], end) for r in rest):
                    append(first + j)
                pos = find(word, end)
        return hits

    def _test(self, i: int, words: Sequence[bytes], patterns: list[re.Pattern[bytes]]) -> bool:
        part, s, e = self._locate(i)
        if part.stripped:
            return all(part.blob.find(w, s, e) >= 0 for w in words)
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
                if self._test(i, ordered, patterns):
                    out.append(i)
                    if limit is not None and len(out) >= limit:
                        break
            return out
        hits = self._scan(ordered, patterns)
        if candidates is None:
            return hits if limit is None else hits[:limit]
        # Keep the hits that are candidates, in the candidates' order.
        cand = np.asarray(candidates, dtype=np.int64)
        rank = np.full(self.n, -1, np.int64)
        rank[cand] = np.arange(len(cand))
        h = np.asarray(hits, dtype=np.int64)
        h = h[rank[h] >= 0]
        h = h[np.argsort(rank[h], kind="stable")]
        kept: list[int] = (h if limit is None else h[:limit]).tolist()
        return kept

    def newest(self, words: Sequence[bytes], allowed: np.ndarray | None, limit: int) -> list[int]:
        """The newest ``limit`` events (by time) whose values hold every word, among
        ``allowed`` (a bool per index, or None for all); ties at the cut are all returned.

        Parts are scanned newest first and the scan stops as soon as no part left can hold a
        newer match: a word used recently is found without reading the whole log."""
        ordered = sorted(set(words), key=len, reverse=True)
        patterns = [_regex(w) for w in ordered]
        tops = [
            (int(p.ts.max()) if p.ts is not None and len(p.ts) else 2**62, k)
            for k, p in enumerate(self.parts)
        ]
        tops.sort(reverse=True)
        found_ts: list[int] = []
        found: list[int] = []
        cut = -(2**63)
        for top, k in tops:
            if len(found) >= limit and top < cut:
                break
            part = self.parts[k]
            for i in self._scan(ordered, patterns, only=(k,)):
                if allowed is None or allowed[i]:
                    found.append(i)
                    j = i - self.firsts[k]
                    found_ts.append(int(part.ts[j]) if part.ts is not None else 2**62)
            if len(found) >= limit:
                cut = sorted(found_ts, reverse=True)[limit - 1]
        if len(found) <= limit:
            return found
        return [i for i, t in zip(found, found_ts, strict=True) if t >= cut]


class LocalTextIndex:
    """Texts held in this process: for small sources and tests."""

    def __init__(self) -> None:
        self.texts = TextBlob()

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, source: int, count: int, texts: TextPart | None) -> None:
        if texts is not None:
            self.texts.add(texts)

    def wait_ready(self, timeout: float | None = None) -> bool:
        return True

    def match(
        self, words: Sequence[bytes], candidates: np.ndarray | None, limit: int | None
    ) -> np.ndarray:
        cand = None if candidates is None else candidates.tolist()
        return np.asarray(self.texts.match(words, cand, limit), dtype=np.int64)

    def newest(self, words: Sequence[bytes], allowed: np.ndarray | None, limit: int) -> np.ndarray:
        return np.asarray(self.texts.newest(words, allowed, limit), dtype=np.int64)

    def close(self) -> None:
        self.texts = TextBlob()


class TailTextIndex:
    """A text index that grew after loading: the events before ``base_n`` are searched by
    ``base`` (the loader's worker processes, say), the later ones here, in this process.

    The later events arrive a few at a time (a followed file): their texts are packed into
    parts of up to :data:`TAIL_PART_BYTES` so a scan does not walk thousands of tiny parts."""

    def __init__(self, base: Any, base_n: int) -> None:
        self.base = base
        self.base_n = base_n
        self.tail = TextBlob()

    def __len__(self) -> int:
        return self.base_n + len(self.tail)

    def add(self, source: int, count: int, texts: TextPart | None) -> None:
        if texts is None:
            raise ValueError("events added after loading bring their texts")
        parts = self.tail.parts
        if parts and len(parts[-1].blob) + len(texts.blob) <= TAIL_PART_BYTES and texts.count:
            last = parts[-1]
            shift = len(last.blob)
            ts = None
            if last.ts is not None and texts.ts is not None:
                ts = np.concatenate([last.ts, texts.ts])
            parts[-1] = TextPart(
                last.blob + texts.blob,
                last.starts + [s + shift for s in texts.starts[1:]],
                ts=ts,
            )
            self.tail.n += texts.count
        else:
            self.tail.add(texts)

    def wait_ready(self, timeout: float | None = None) -> bool:
        return bool(self.base.wait_ready(timeout))

    def match(
        self, words: Sequence[bytes], candidates: np.ndarray | None, limit: int | None
    ) -> np.ndarray:
        if candidates is None:
            low = self.base.match(words, None, limit)
            high = self.tail.match(words, None, limit)
            hits = np.concatenate([low, np.asarray(high, np.int64) + self.base_n])
            return hits if limit is None else hits[:limit]
        cand = np.asarray(candidates, dtype=np.int64)
        below = cand < self.base_n
        low = self.base.match(words, cand[below], limit) if below.any() else []
        above = (cand[~below] - self.base_n).tolist()
        high = self.tail.match(words, above, limit) if above else []
        hits = np.concatenate([np.asarray(low, np.int64), np.asarray(high, np.int64) + self.base_n])
        if limit is None or len(hits) <= 1:
            return hits
        # the first ``limit`` in the candidates' order
        by_value = np.argsort(cand, kind="stable")
        rank = by_value[np.searchsorted(cand[by_value], hits)]
        return hits[np.argsort(rank, kind="stable")][:limit]

    def newest(self, words: Sequence[bytes], allowed: np.ndarray | None, limit: int) -> np.ndarray:
        low = self.base.newest(words, None if allowed is None else allowed[: self.base_n], limit)
        high = self.tail.newest(words, None if allowed is None else allowed[self.base_n :], limit)
        return np.concatenate([np.asarray(low, np.int64), np.asarray(high, np.int64) + self.base_n])

    def close(self) -> None:
        self.base.close()
        self.tail = TextBlob()


TAIL_PART_BYTES = 4 * 1024 * 1024
