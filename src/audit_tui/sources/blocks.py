"""Index blocks of JSON lines straight into columns (no model per event).

A block is a run of whole lines of a file. :class:`BlockIndexer` reads each line with a typed
msgspec decoder that skips everything but the few fields the index needs (the rest of the line
is still checked to be valid JSON), falls back to orjson for unusual shapes, and returns compact
numpy columns plus the search texts. Facet values are dictionary-encoded per indexer; each
result carries only the dictionary entries that are new since the last one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
import orjson

from audit_tui.facets import PartyKey
from audit_tui.model import (
    InvalidRecord,
    event_time,
    event_type,
    load_json,
    parse_time,
    party,
)
from audit_tui.sources.formats import index_line, normalise
from audit_tui.store import BlockResult
from audit_tui.textindex import TextPart, is_irregular, lower, searchable_bytes, unescape

Keys = tuple[int, str, PartyKey | None, PartyKey | None]  # what the index reads of a record

# The longest line read as a record: a longer one is skipped without being held in memory.
MAX_LINE_BYTES = 64 * 1024 * 1024

# The keys a document holds its events under: CloudTrail log files "Records"; aws cloudtrail
# lookup-events "Events"; Azure REST "value"; API pages "data", "items"…
ENVELOPE_KEYS = ("data", "items", "events", "records", "Records", "Events", "value")


def failure_reason(exc: BaseException) -> str:
    """Why a record that raised ``exc`` while being read is skipped (one short phrase; never
    the record's own text)."""
    if isinstance(exc, InvalidRecord):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, (msgspec.DecodeError, ValueError)):  # orjson's and json's errors too
        return "invalid JSON"
    return f"unreadable ({type(exc).__name__})"


def too_long(limit: int) -> str:
    return f"longer than {limit:,} bytes"


class _P(msgspec.Struct):
    id: str | None = None
    name: str | None = None
    email: str | None = None
    type: str | None = None


class _Ev(msgspec.Struct):
    audited_at: str | int | float | None = None
    auditedAt: str | int | float | None = None  # noqa: N815 - the camelCase spelling
    event_type: str | None = None
    eventType: str | None = None  # noqa: N815
    actor: _P | str | None = None
    workspace: _P | str | None = None


_DECODE = msgspec.json.Decoder(_Ev).decode


def _index_slow(line: bytes, forced: str | None) -> Keys:
    """Time, type, actor and workspace keys of any record (native or foreign), the slow way."""
    fast = index_line(line, forced)  # Kubernetes and CloudTrail: only the keys the index needs
    if fast is not None:
        return fast
    rec = read_record(line)
    if not isinstance(rec, dict):
        raise InvalidRecord("not an object")
    native = normalise(rec, forced)
    return (
        event_time(native),
        event_type(native),
        _generic_key(native.get("actor")),
        _generic_key(native.get("workspace")),
    )


# A UTF-16 surrogate escape without its pair: no text, whatever a lenient reader makes of it.
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def read_record(line: bytes) -> Any:
    """A line's record as the store reads it back (:func:`load_json`: leniently, for invalid
    UTF-8 or 1e400), except that a lone surrogate escape makes it invalid."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        if _LONE_SURROGATE.search(line):
            raise
        return load_json(line)


# A line that starts like a CloudTrail object (no event has a top-level "Records"), and where
# two documents of events meet (``zcat`` of CloudTrail objects written without a newline).
# Inside a JSON string a quote is escaped, so ``}{"Records":`` is never part of one.
_ENVELOPE_START = re.compile(rb'^\s*\{\s*"Records"\s*:\s*\[')
_DOCS_MEET = re.compile(
    rb'\}\s*(?=\{\s*"(?:' + b"|".join(k.encode() for k in ENVELOPE_KEYS) + rb')"\s*:)'
)
_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw]).decode


def envelope_spans(line: bytes) -> list[tuple[int, int]] | None:
    """The (start, end) bytes of each event in a line that is a whole document of events: a
    CloudTrail object (``{"Records": [...]}``), an API page (``{"data": [...]}``) or several
    such documents back to back. None when the line is no such document (an empty list is a
    document without events)."""
    cuts = [m.end() for m in _DOCS_MEET.finditer(line)]
    bounds = zip([0, *cuts], [*cuts, len(line)], strict=True)
    spans: list[tuple[int, int]] = []
    for start, end in bounds:
        doc = line[start:end]
        try:
            top = _TOP(doc)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None
        items = None
        for key in ENVELOPE_KEYS:
            value = top.get(key)
            if value is not None and bytes(memoryview(value)[:1]) == b"[":
                try:
                    items = _ITEMS(value)
                except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
                    return None
                break
        if items is None:
            return None
        pos = start
        for item in items:
            text = bytes(item)
            at = line.find(text, pos)
            if at < 0:  # (cannot happen: the item is a slice of the line)
                return None
            spans.append((at, at + len(text)))
            pos = at + len(text)
    return spans


def _generic_key(value: Any) -> PartyKey | None:
    if value is None:
        return None
    p = party(value)
    return (p.id or None, p.name or None, p.email or None, p.type or None)


class _Codes:
    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.new: list[Any] = []

    def code(self, key: Any) -> int:
        c = self.index.get(key)
        if c is None:
            c = self.index[key] = len(self.index)
            self.new.append(key)
        return c

    def take_new(self) -> list[Any]:
        out, self.new = self.new, []
        return out


def _native_keys(ev: _Ev) -> Keys | None:
    """Time, type, actor and workspace keys of a decoded line in the native shape; None for a
    foreign record (no native time: CloudTrail and Okta have an ``eventType`` too)."""
    when = ev.audited_at
    if when is None:
        when = ev.auditedAt
        if when is None:
            return None
    kind = ev.event_type if ev.event_type is not None else ev.eventType
    ms = parse_time(when)
    if not kind:
        raise InvalidRecord("no event_type")
    a, w = ev.actor, ev.workspace
    return (
        ms,
        kind,
        (a.id, a.name, a.email, a.type)
        if type(a) is _P
        else (None if a is None else (None, a, None, None)),
        (w.id, w.name, w.email, w.type)
        if type(w) is _P
        else (None if w is None else (None, w, None, None)),
    )


class _Columns:
    """The columns of one block's valid events as they are read, coded by the indexer's
    dictionaries."""

    def __init__(self, indexer: BlockIndexer) -> None:
        self.ts: list[int] = []
        self.etypes: list[int] = []
        self.actors: list[int] = []
        self.workspaces: list[int] = []
        self.lines: list[int] = []  # the line index of each valid event in its block
        self.invalid: list[tuple[int, str]] = []  # (line index, why)
        # event index -> (start, length) in its line, for events that are part of a line
        self.parts: dict[int, tuple[int, int]] = {}
        self._etypes, self._actors, self._workspaces = (
            indexer.etypes,
            indexer.actors,
            indexer.workspaces,
        )

    def add(self, keys: Keys, i: int) -> None:
        """One valid event: its (ms, event type, actor key, workspace key), its line index."""
        ms, kind, akey, wkey = keys
        self.ts.append(ms)
        self.etypes.append(self._etypes.code(kind))
        self.actors.append(self._actors.code(akey))
        self.workspaces.append(self._workspaces.code(wkey))
        self.lines.append(i)

    def add_part(self, keys: Keys, i: int, start: int, length: int) -> None:
        """One valid event that is ``length`` bytes from ``start`` of line ``i``."""
        self.parts[len(self.lines)] = (start, length)
        self.add(keys, i)


class BlockIndexer:
    """Turns blocks of lines into :class:`BlockResult` and search texts.

    ``forced``: the format every non-native record is read as (a name ``formats.resolve``
    returned; None: detect per record). A line longer than ``max_line`` bytes is skipped.
    Whatever reading one record raises, that record is skipped and the block goes on."""

    def __init__(self, forced: str | None = None, max_line: int = MAX_LINE_BYTES) -> None:
        self.forced = forced
        self.max_line = max_line
        self.etypes = _Codes()
        self.actors = _Codes()
        self.workspaces = _Codes()

    def index_block(self, block: bytes, offset: int) -> tuple[BlockResult, TextPart]:
        """The columns and search texts of the valid events in ``block`` (whole lines of a file
        that start at byte ``offset``)."""
        if offset == 0 and block.startswith(b"\xef\xbb\xbf"):
            block, offset = block[3:], 3  # a byte order mark is not part of the first record
        lines = block.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        lens = np.fromiter(map(len, lines), np.int64, len(lines))
        line_starts = np.empty(len(lines), np.int64)
        if len(lines):
            line_starts[0] = 0
            np.cumsum(lens[:-1] + 1, out=line_starts[1:])
        cols = self._index_lines(lines)
        valid = np.asarray(cols.lines, dtype=np.int64)
        ts = np.asarray(cols.ts, dtype=np.int64)
        starts = line_starts[valid] + offset
        lengths = lens[valid].astype(np.int32)
        for k, (sub, length) in cols.parts.items():  # events inside a line (see envelope_spans)
            starts[k] += sub
            lengths[k] = length
        # foreign lines are searched by their own text too: only invalid lines need the slow form
        if cols.parts:
            texts = self._part_texts(lines, cols)
        else:
            texts = self._texts(block, lines, valid)
        texts.ts = ts
        result = BlockResult(
            offset=offset,
            nlines=len(lines),
            ts=ts,
            etype=np.asarray(cols.etypes, dtype=np.int32),
            actor=np.asarray(cols.actors, dtype=np.int32),
            workspace=np.asarray(cols.workspaces, dtype=np.int32),
            starts=starts,
            lengths=lengths,
            invalid=cols.invalid,
            new_etypes=self.etypes.take_new(),
            new_actors=self.actors.take_new(),
            new_workspaces=self.workspaces.take_new(),
            lines=valid.astype(np.int32),
        )
        return result, texts

    def _index_lines(self, lines: Sequence[bytes]) -> _Columns:
        """Read each line's time, type, actor and workspace: typed msgspec decoding for the
        native shape, the slow path (:func:`_index_slow`) for anything else."""
        cols = _Columns(self)
        add, invalid, forced, max_line = cols.add, cols.invalid, self.forced, self.max_line
        foreign = 0  # foreign lines seen: past a few, the native decoder is not tried first
        for i, line in enumerate(lines):
            if len(line) > max_line:
                invalid.append((i, too_long(max_line)))
                continue
            if not line or line.isspace():  # a blank line is no record
                continue
            if _ENVELOPE_START.match(line) and self._add_envelope(cols, line, i):
                continue
            try:
                if foreign > 4:
                    keys = _index_slow(line, forced)
                else:
                    try:
                        native = _native_keys(_DECODE(line))
                    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
                        # not shaped as expected, not read by msgspec, or deeper than it goes
                        # here: the slow path decides, as the store reads records back
                        native = None
                    else:
                        if native is None:
                            foreign += 1
                    keys = _index_slow(line, forced) if native is None else native
            except Exception as exc:  # noqa: BLE001 - one record's failure skips that record
                # an API page whose events are not under its first key ({"object": "list",
                # "data": [...]}): no time of its own, so it is read as a document of events
                if isinstance(exc, InvalidRecord) and self._add_envelope(cols, line, i):
                    continue
                invalid.append((i, failure_reason(exc)))
                continue
            add(keys, i)
        return cols

    def _add_envelope(self, cols: _Columns, line: bytes, i: int) -> bool:
        """Index the events of line ``i`` when it is a whole document of events (see
        :func:`envelope_spans`); False when it is not one."""
        spans = envelope_spans(line)
        if spans is None:
            return False
        for k, (start, end) in enumerate(spans):
            item = line[start:end]
            try:
                try:
                    native = _native_keys(_DECODE(item))
                except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
                    native = None
                keys = _index_slow(item, self.forced) if native is None else native
            except Exception as exc:  # noqa: BLE001 - one record's failure skips that record
                cols.invalid.append((i, f"record {k + 1} of the line: {failure_reason(exc)}"))
                continue
            cols.add_part(keys, i, start, end - start)
        return True

    @staticmethod
    def _part_texts(lines: Sequence[bytes], cols: _Columns) -> TextPart:
        """The search texts of a block where some events are parts of a line."""
        texts = []
        for k, i in enumerate(cols.lines):
            line = lines[i]
            part = cols.parts.get(k)
            if part is not None:
                line = line[part[0] : part[0] + part[1]]
            texts.append(lower(unescape(line)) if is_irregular(line) else lower(line))
        return TextPart.from_texts(texts)

    def long_line(self, offset: int) -> tuple[BlockResult, TextPart]:
        """A block of one line, starting at byte ``offset``, too long to be read: skipped."""
        return _empty_block(self, offset, 1, [(0, too_long(self.max_line))])

    @staticmethod
    def _texts(block: bytes, lines: Sequence[bytes], valid: np.ndarray) -> TextPart:
        """The block's search texts: its lines lower-cased, escapes undone where there are any.
        A block whose every line is a valid event without escapes is lowered in one go."""
        if len(valid) == len(lines) and not is_irregular(block):
            blob = lower(block if block.endswith(b"\n") else block + b"\n")
            if len(blob) == len(block) + (0 if block.endswith(b"\n") else 1):
                starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=0))
                return TextPart(blob, starts)
        texts = [
            lower(unescape(line)) if is_irregular(line) else lower(line)
            for line in (lines[i] for i in valid.tolist())
        ]
        return TextPart.from_texts(texts)


def index_records(
    records: Sequence[Any], indexer: BlockIndexer, offset: int = 0
) -> tuple[BlockResult, TextPart]:
    """Index parsed records held in memory (JSON arrays, CSV rows, API pages).

    ``records`` are (original, record) pairs or plain dicts; the originals are kept as JSON
    text in ``raws`` (bytes as they are). A record that is an :class:`InvalidRecord` was
    refused while it was read: it is skipped with that reason.
    """
    n = len(records)
    ts = np.empty(n, np.int64)
    et = np.empty(n, np.int32)
    ac = np.empty(n, np.int32)
    ws = np.empty(n, np.int32)
    keep = np.zeros(n, bool)
    invalid: list[tuple[int, str]] = []
    raws: list[bytes] = []
    texts: list[bytes] = []
    for i, item in enumerate(records):
        original, rec = item if isinstance(item, tuple) else (item, item)
        try:
            if isinstance(rec, InvalidRecord):  # refused while it was read
                raise rec
            if not isinstance(rec, dict):
                raise InvalidRecord("not an object")
            raw = original if isinstance(original, bytes) else orjson.dumps(original)
            text = searchable_bytes(rec if isinstance(original, bytes) else original)
            rec = normalise(rec, indexer.forced)
            ts[i] = event_time(rec)
            et[i] = indexer.etypes.code(event_type(rec))
            ac[i] = indexer.actors.code(_generic_key(rec.get("actor")))
            ws[i] = indexer.workspaces.code(_generic_key(rec.get("workspace")))
        except Exception as exc:  # noqa: BLE001 - one record's failure skips that record
            invalid.append((i, failure_reason(exc)))
            continue
        keep[i] = True
        raws.append(raw)
        texts.append(text)
    valid = np.flatnonzero(keep)
    result = BlockResult(
        offset=offset,
        nlines=n,
        ts=ts[valid],
        etype=et[valid],
        actor=ac[valid],
        workspace=ws[valid],
        starts=np.zeros(len(valid), np.int64),
        lengths=np.zeros(len(valid), np.int32),
        invalid=invalid,
        new_etypes=indexer.etypes.take_new(),
        new_actors=indexer.actors.take_new(),
        new_workspaces=indexer.workspaces.take_new(),
        raws=raws,
        lines=valid.astype(np.int32),
    )
    part = TextPart.from_texts(texts)
    part.ts = result.ts
    return result, part


def _empty_block(
    indexer: BlockIndexer, offset: int, nlines: int, invalid: list[tuple[int, str]]
) -> tuple[BlockResult, TextPart]:
    """A block of ``nlines`` lines holding no event, only the skipped ``invalid`` ones."""
    result, part = index_records([], indexer, offset)
    result.nlines, result.invalid = nlines, invalid
    return result, part


def skipped_block(
    indexer: BlockIndexer, invalid: list[tuple[int, str]]
) -> tuple[BlockResult, TextPart]:
    """A block that only reports records skipped before indexing (numbered from the source's
    start: it adds no lines to the numbering)."""
    return _empty_block(indexer, 0, 0, invalid)
