"""Index blocks of JSON lines straight into columns (no model per event).

A block is a run of whole lines of a file. :class:`BlockIndexer` reads each line with a typed
msgspec decoder that skips everything but the few fields the index needs (the rest of the line
is still checked to be valid JSON), falls back to orjson for unusual shapes, and returns compact
numpy columns plus the search texts. Facet values are dictionary-encoded per indexer; each
result carries only the dictionary entries that are new since the last one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np
import orjson

from audit_tui.model import InvalidRecord, event_time, event_type, parse_time, party
from audit_tui.textindex import _fast_texts, block_texts, record_text

PartyKey = tuple[Any, Any, Any, Any]  # (id, name, email, type), None where absent


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


def _key(value: _P | str | None) -> PartyKey | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (None, value, None, None)
    return (value.id, value.name, value.email, value.type)


def _generic_key(value: Any) -> PartyKey | None:
    if value is None:
        return None
    p = party(value)
    return (p.id or None, p.name or None, p.email or None, p.type or None)


@dataclass
class BlockResult:
    """Columns of the valid events of one block, in line order."""

    offset: int  # byte offset of the block in its file (or a block number for memory sources)
    nlines: int
    ts: np.ndarray  # int64 epoch ms
    etype: np.ndarray  # int32 codes into the indexer's dictionaries
    actor: np.ndarray
    workspace: np.ndarray
    starts: np.ndarray  # int64 byte offset of each event's line in the file
    lengths: np.ndarray  # int32 byte length of each line
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line index in block, why)
    new_etypes: list[str] = field(default_factory=list)
    new_actors: list[PartyKey | None] = field(default_factory=list)
    new_workspaces: list[PartyKey | None] = field(default_factory=list)
    raws: list[bytes] | None = None  # the records themselves when there is no file to read

    @property
    def count(self) -> int:
        return len(self.ts)


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


class BlockIndexer:
    """Turns blocks of lines into :class:`BlockResult` and search texts."""

    def __init__(self) -> None:
        self.etypes = _Codes()
        self.actors = _Codes()
        self.workspaces = _Codes()

    def index_block(self, block: bytes, offset: int) -> tuple[BlockResult, list[bytes]]:
        lines = block.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        if offset == 0 and lines and lines[0].startswith(b"\xef\xbb\xbf"):
            lines[0] = b"   " + lines[0][3:]  # keep byte offsets: the BOM becomes spaces
        lens = np.fromiter(map(len, lines), np.int64, len(lines))
        line_starts = np.empty(len(lines), np.int64)
        if len(lines):
            line_starts[0] = 0
            np.cumsum(lens[:-1] + 1, out=line_starts[1:])
        n = len(lines)
        ts = np.empty(n, np.int64)
        et = np.empty(n, np.int32)
        ac = np.empty(n, np.int32)
        ws = np.empty(n, np.int32)
        keep = np.zeros(n, bool)
        invalid: list[tuple[int, str]] = []
        generic: dict[int, Any] = {}
        et_code, ac_code, ws_code = self.etypes.code, self.actors.code, self.workspaces.code
        for i, line in enumerate(lines):
            try:
                ev = _DECODE(line)
            except msgspec.ValidationError:
                ev = None
            except msgspec.DecodeError:
                if not line.strip():
                    continue
                invalid.append((i, "invalid JSON"))
                continue
            try:
                if ev is not None:
                    when = ev.audited_at if ev.audited_at is not None else ev.auditedAt
                    if when is None:
                        raise InvalidRecord("no audited_at")
                    ts[i] = parse_time(when)
                    kind = ev.event_type if ev.event_type is not None else ev.eventType
                    if not kind:
                        raise InvalidRecord("no event_type")
                    et[i] = et_code(kind)
                    ac[i] = ac_code(_key(ev.actor))
                    ws[i] = ws_code(_key(ev.workspace))
                else:
                    rec = orjson.loads(line)
                    if not isinstance(rec, dict):
                        raise InvalidRecord("not an object")
                    ts[i] = event_time(rec)
                    et[i] = et_code(event_type(rec))
                    ac[i] = ac_code(_generic_key(rec.get("actor")))
                    ws[i] = ws_code(_generic_key(rec.get("workspace")))
                    generic[i] = rec
            except InvalidRecord as exc:
                invalid.append((i, str(exc)))
                continue
            except orjson.JSONDecodeError:
                invalid.append((i, "invalid JSON"))
                continue
            keep[i] = True
        valid = np.flatnonzero(keep)
        texts = self._texts(block, lines, valid, bool(invalid) or bool(generic), generic)
        result = BlockResult(
            offset=offset,
            nlines=n,
            ts=ts[valid],
            etype=et[valid],
            actor=ac[valid],
            workspace=ws[valid],
            starts=line_starts[valid] + offset,
            lengths=lens[valid].astype(np.int32),
            invalid=invalid,
            new_etypes=self.etypes.take_new(),
            new_actors=self.actors.take_new(),
            new_workspaces=self.workspaces.take_new(),
        )
        return result, texts

    @staticmethod
    def _texts(
        block: bytes,
        lines: Sequence[bytes],
        valid: np.ndarray,
        irregular: bool,
        generic: dict[int, Any],
    ) -> list[bytes]:
        if not irregular and b"\\" not in block and b'" :' not in block and b'"\t:' not in block:
            all_texts = _fast_texts([block[:-1] if block.endswith(b"\n") else block])
            if len(valid) == len(all_texts):
                return all_texts
            return [all_texts[i] for i in valid.tolist()]
        idx = valid.tolist()
        chosen = [lines[i] for i in idx]
        records = [generic.get(i) for i in idx]
        if any(r is not None for r in records):
            out = block_texts(chosen, None)
            for k, rec in enumerate(records):
                if rec is not None:
                    out[k] = record_text(rec)
            return out
        return block_texts(chosen, None)


def index_records(
    records: Sequence[Any], indexer: BlockIndexer, offset: int = 0
) -> tuple[BlockResult, list[bytes]]:
    """Index parsed records held in memory (JSON arrays, CSV rows, API pages).

    ``records`` are (original, normalised) pairs or plain dicts; the originals are kept as
    JSON text in ``raws``.
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
            if not isinstance(rec, dict):
                raise InvalidRecord("not an object")
            ts[i] = event_time(rec)
            et[i] = indexer.etypes.code(event_type(rec))
            ac[i] = indexer.actors.code(_generic_key(rec.get("actor")))
            ws[i] = indexer.workspaces.code(_generic_key(rec.get("workspace")))
        except InvalidRecord as exc:
            invalid.append((i, str(exc)))
            continue
        keep[i] = True
        raws.append(original if isinstance(original, bytes) else orjson.dumps(original))
        texts.append(record_text(original))
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
    )
    return result, texts


ProgressFn = Callable[[int, int], None]
