"""Search text and matching: case-insensitive partial match against every *value* of a record.

Each event's text is its JSON line, lower-cased, kept in big contiguous blocks (no per-event
objects). A word is searched with a regular expression whose look-ahead rejects an occurrence
inside a key (``"…word…":``), so key names never match while values do, and no key stripping is
needed when loading. Lines with JSON escapes are unescaped in place (escaped quotes become a
placeholder, so the quotes that delimit strings stay). Records that come parsed (JSON documents,
CSV rows, API pages) get a *plain* text: their values joined by a separator, quotes neutralised.

In idle time the loader's workers cut the key names out (then a plain ``find`` is exact) and then
keep each part's values once each (:class:`CompactText`): the values that repeat in a part
(actors, event types, workspaces, user agents…) are held once with the events that hold them, so
a search reads about a fifth of the bytes. A new search reads the parts newest first and stops as
soon as it has its first page.

Values are scalar leaves: strings, and the JSON text of numbers, booleans and null. A search word
with JSON punctuation (``" , : { } [ ] \\``) could match across values in the raw line: such words
are matched through their fragments and then verified on the parsed record (see the store).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
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


# Bytes no punctuation-free word holds: every value ends at one of them, so a word found in the
# values text is found in one value (or in one piece of a value split at them).
_CUTS = b'",:{}[]\\\x1e\x1f'
_TO_SEP = bytes.maketrans(_CUTS, SEP.encode() * len(_CUTS))


COMPACT_BYTES = 3 << 19  # key-free text made compact in one step of idle work (~15 ms)
WIDE = 4  # words this long are looked for with numpy (their first 4 bytes as one 32-bit word)
MANY = 4096  # ... unless they occur more often than this in a part (then find and jump)
_NONE = np.empty(0, np.int64)


def occurrences(data: bytes, word: bytes) -> np.ndarray:
    """Every start of ``word`` (at least :data:`WIDE` bytes) in ``data``, ascending.

    The data read as little-endian 32-bit numbers from each of its first four bytes (views,
    no copies) compared with the word's first four: about twice the speed of ``bytes.find``,
    whatever the letters; the rest of the word is checked at each candidate."""
    key = int.from_bytes(word[:WIDE], "little")
    size = len(data)
    found = []
    for k in range(min(WIDE, max(0, size - WIDE + 1))):
        view = np.frombuffer(data, "<u4", offset=k, count=(size - k) // WIDE)
        found.append(np.flatnonzero(view == key) * WIDE + k)
    if not found:
        return _NONE
    pos = np.concatenate(found)
    if len(word) > WIDE and len(pos):
        arr = np.frombuffer(data, np.uint8)
        pos = pos[pos <= size - len(word)]
        for i in range(WIDE, len(word)):
            pos = pos[arr[pos + i] == word[i]]
            if not len(pos):
                break
    pos.sort()
    return pos


def _find_all(text: bytes, word: bytes) -> list[int] | np.ndarray:
    """The starts of ``word`` in ``text`` (newline-ended records): every one for a long word,
    else the first one in each record that holds it."""
    if len(word) >= WIDE:
        return occurrences(text, word)
    out: list[int] = []
    find = text.find
    pos = find(word)
    while pos >= 0:
        out.append(pos)
        end = find(b"\n", pos + max(len(word) - 1, 0))
        if end < 0:
            break
        pos = find(word, end + 1)
    return out


@dataclass
class CompactText:
    """A part's texts with each value held once: the values that occur once in the part stay
    with their event (``unique``); the others are kept once each (``shared``), each with the
    events that hold it. A word is looked for in the unique texts and in the shared values (a
    fifth of the bytes of the key-free texts on audit logs, whose actors, event types,
    workspaces, user agents… repeat); a shared value that holds it selects its events. Exact
    for punctuation-free words (see :data:`_CUTS`)."""

    unique: bytes  # per event: its once-only values joined by SEP, then a newline
    ustarts: np.ndarray  # start of each event's unique text, plus the end
    shared: bytes  # every value occurring more than once in the part, then a newline
    sstarts: np.ndarray  # start of each shared value, plus the end
    holders: np.ndarray  # the events holding each shared value, value after value
    hstarts: np.ndarray  # where each shared value's events start in ``holders``, plus the end

    @property
    def count(self) -> int:
        return len(self.ustarts) - 1

    @property
    def nbytes(self) -> int:
        arrays = (self.ustarts, self.sstarts, self.holders, self.hstarts)
        return len(self.unique) + len(self.shared) + sum(a.nbytes for a in arrays)

    @classmethod
    def build(cls, blob: bytes, count: int) -> CompactText | None:
        """From key-free texts (one per line); None if they are not ``count`` lines.

        A few C-level passes and numpy: every cut byte becomes SEP, the values are counted,
        and the bytes of the once-only values (with the separator after each, and every
        newline) are kept by one mask."""
        text = blob.translate(_TO_SEP, b'"')  # quotes only ever stand beside another cut
        arr = np.frombuffer(text, np.uint8)
        sep = SEP.encode()
        values = text.replace(b"\n", sep).split(sep)  # one more than there are separators
        n = len(values) - 1
        if not text.endswith(b"\n") or values[-1]:
            return None
        del values[-1]
        cuts = np.flatnonzero((arr == 10) | (arr == ord(SEP)))  # the separator after each value
        if len(cuts) != n:
            return None
        lengths = np.diff(cuts, prepend=-1) - 1
        newline = arr[cuts] == 10
        if int(newline.sum()) != count:
            return None
        distinct = list(dict.fromkeys([b"", *values]))
        number = {v: i for i, v in enumerate(distinct)}
        ids = np.fromiter(map(number.__getitem__, values), np.int64, n)
        seen = np.bincount(ids, minlength=len(distinct))
        seen[0] = 0  # the empty value is no value
        is_shared = seen > 1
        renumber = np.full(len(distinct), -1, np.int64)
        renumber[is_shared] = np.arange(int(is_shared.sum()))
        renumber[0] = -2
        codes = renumber[ids]
        shared_values = [distinct[i] for i in np.flatnonzero(is_shared).tolist()]
        keep_value = codes == -1
        keep = np.empty(2 * n, bool)
        keep[0::2] = keep_value
        keep[1::2] = keep_value | newline
        sizes = np.empty(2 * n, np.int64)
        sizes[0::2] = lengths
        sizes[1::2] = 1
        out = arr[np.repeat(keep, sizes)]
        unique = out.tobytes()
        ustarts = np.zeros(count + 1, np.int64)
        ustarts[1:] = np.flatnonzero(out == 10) + 1
        event = np.zeros(n, np.int64)  # the event of each value
        np.cumsum(newline[:-1], out=event[1:])
        held = np.flatnonzero(codes >= 0)
        kind = np.uint16 if max(count, len(shared_values)) <= 1 << 16 else np.uint32
        held_codes = codes[held].astype(kind)
        order = np.argsort(held_codes, kind="stable")  # by value, then event (radix sort)
        holders = event[held][order].astype(kind)
        hstarts = np.zeros(len(shared_values) + 1, np.int64)
        np.cumsum(np.bincount(held_codes, minlength=len(shared_values)), out=hstarts[1:])
        slens = np.fromiter(map(len, shared_values), np.int64, len(shared_values)) + 1
        sstarts = np.zeros(len(shared_values) + 1, np.int64)
        np.cumsum(slens, out=sstarts[1:])
        return cls(
            unique,
            ustarts,
            b"\n".join(shared_values) + b"\n" if shared_values else b"",
            sstarts,
            holders,
            hstarts,
        )

    def _shared_holding(self, word: bytes) -> np.ndarray:
        found = _find_all(self.shared, word)
        return np.searchsorted(self.sstarts, found, "right") - 1 if len(found) else _NONE

    def word_mask(self, word: bytes) -> np.ndarray:
        """One bool per event: does one of its values hold ``word``."""
        mask = np.zeros(self.count, bool)
        hits = _find_all(self.unique, word)
        if len(hits):
            mask[np.searchsorted(self.ustarts, hits, "right") - 1] = True
        codes = self._shared_holding(word)
        if len(codes) > 64:  # many values: pick their events in one pass
            lut = np.zeros(len(self.sstarts) - 1, bool)
            lut[codes] = True
            mask[self.holders[np.repeat(lut, np.diff(self.hstarts))]] = True
        else:
            starts, holders = self.hstarts, self.holders
            for c in codes.tolist():
                mask[holders[starts[c] : starts[c + 1]]] = True
        return mask

    def matches(self, words: Sequence[bytes]) -> np.ndarray:
        """The events (numbers in the part, ascending) whose values hold every word."""
        mask = self.word_mask(words[0])
        for w in words[1:]:
            if not mask.any():
                break
            mask &= self.word_mask(w)
        return np.flatnonzero(mask)

    def _codes_of(self, j: int) -> list[int]:
        at = np.flatnonzero(self.holders == j)
        codes: list[int] = (np.searchsorted(self.hstarts, at, "right") - 1).tolist()
        return codes

    def text(self, j: int) -> bytes:
        """Event ``j``'s values (the unique ones first), joined by SEP."""
        parts = [self.unique[int(self.ustarts[j]) : int(self.ustarts[j + 1]) - 1]]
        starts = self.sstarts
        for c in self._codes_of(j):
            parts.append(self.shared[int(starts[c]) : int(starts[c + 1]) - 1])
        return SEP.encode().join(parts)


@dataclass
class TextPart:
    """The texts of consecutive events: one bytes object, one text per line."""

    blob: bytes
    starts: list[int]  # start of each text, plus the end of the last one
    stripped: bool = False  # key names cut out: a plain find is exact
    ts: np.ndarray | None = None  # each event's time (epoch ms): lets a search go newest first
    compact: CompactText | None = None  # the texts with each value once (then blob is empty)

    @property
    def count(self) -> int:
        if self.compact is not None:
            return self.compact.count
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
    look-ahead. In idle time :meth:`idle_step` cuts the key names out of one part at a time
    (a stripped part needs no look-ahead), then keeps its values once (:class:`CompactText`).
    """

    def __init__(self) -> None:
        self.parts: list[TextPart] = []
        self.firsts: list[int] = []
        self.n = 0
        self._next_idle = 0  # the first part whose idle work is not done

    def __len__(self) -> int:
        return self.n

    def add(self, part: TextPart) -> None:
        if part.count:
            self.parts.append(part)
            self.firsts.append(self.n)
            self.n += part.count

    def idle_step(self) -> bool:
        """One unit of idle work; False when there is none left. Each part in turn has its
        key names cut out (then a plain find is exact), then its values kept once each
        (:class:`CompactText`: a fifth of the bytes to scan), 1.5 MB of it at a time. One step
        per call, so a search waiting between two steps waits for one step only (~15 ms)."""
        while self._next_idle < len(self.parts):
            k = self._next_idle
            part = self.parts[k]
            if part.compact is not None:
                self._next_idle += 1
                continue
            if not part.stripped:
                blob, starts = strip_keys(part.blob)
                if len(starts) != len(part.starts):  # not the shape expected: leave it raw
                    self._next_idle += 1
                    continue
                self.parts[k] = TextPart(blob, starts, stripped=True, ts=part.ts)
                return True
            # at most COMPACT_BYTES at a time: a search waits for one short step only
            j = min(max(1, bisect_left(part.starts, COMPACT_BYTES)), part.count)
            cut = part.starts[j]
            compact = CompactText.build(part.blob[:cut], j)
            if compact is None:
                self._next_idle += 1
                return True
            ts = part.ts
            self.parts[k] = TextPart(
                b"", [], stripped=True, ts=None if ts is None else ts[:j], compact=compact
            )
            self._next_idle += 1
            if j < part.count:
                rest = TextPart(
                    part.blob[cut:],
                    [x - cut for x in part.starts[j:]],
                    stripped=True,
                    ts=None if ts is None else ts[j:],
                )
                self.parts.insert(k + 1, rest)
                self.firsts.insert(k + 1, self.firsts[k] + j)
            return True
        return False

    def _locate(self, i: int) -> tuple[TextPart, int, int]:
        k = bisect_right(self.firsts, i) - 1
        part = self.parts[k]
        j = i - self.firsts[k]
        if part.compact is not None:
            return part, j, j
        return part, part.starts[j], part.starts[j + 1]

    def text(self, i: int) -> bytes:
        part, s, e = self._locate(i)
        if part.compact is not None:
            return part.compact.text(s)
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
        dense = False  # the word is in most events: find and jump
        for k in range(len(self.parts)) if only is None else only:
            first, part = self.firsts[k], self.parts[k]
            if part.compact is not None:
                hits.extend((part.compact.matches(words) + first).tolist())
                continue
            blob, starts = part.blob, part.starts
            find, at, search = blob.find, rx.match, rx.search
            raw = not part.stripped
            if len(word) >= WIDE and not dense:
                found = occurrences(blob, word)
                dense = len(found) > MANY  # (then so in the next parts, most likely)
                if not dense:  # check each, skipping to the next event after a hit
                    done = -1
                    for pos in found.tolist():
                        if pos < done or (raw and at(blob, pos) is None):
                            continue  # an event already counted, or inside a key name
                        j = bisect_right(starts, pos) - 1
                        done = starts[j + 1]
                        if not rest or all(r.search(blob, starts[j], done) for r in rest):
                            append(first + j)
                    continue
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

    def _test(
        self,
        i: int,
        words: Sequence[bytes],
        patterns: list[re.Pattern[bytes]],
        compact_hits: dict[int, np.ndarray],
    ) -> bool:
        part, s, e = self._locate(i)
        if part.compact is not None:  # the part's matches, found once per search
            hits = compact_hits.get(id(part))
            if hits is None:
                hits = compact_hits[id(part)] = part.compact.matches(words)
            k = int(np.searchsorted(hits, s))
            return k < len(hits) and int(hits[k]) == s
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
            compact_hits: dict[int, np.ndarray] = {}
            for i in candidates:
                if self._test(i, ordered, patterns, compact_hits):
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

    settled = True  # no idle work to wait for

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
        if (
            parts
            and parts[-1].compact is None
            and len(parts[-1].blob) + len(texts.blob) <= TAIL_PART_BYTES
            and texts.count
        ):
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

    @property
    def settled(self) -> bool:
        return bool(getattr(self.base, "settled", True))

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
