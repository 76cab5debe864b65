"""Export the events of a view to CSV, JSON or JSON lines, with an evidence manifest.

The same core serves the command line (``audit-tui export``, :mod:`audit_tui.commands.export`)
and the browser's export dialog:

    plan = ExportPlan(path=default_path("csv"), fmt="csv", query=query, now=now, source=spec)
    result = export(store, plan, progress=on_progress, cancel=cancel_event)

What is written is exactly the view: every event the query matches (not only the rows on
screen), newest first. JSON and JSON lines carry the original records byte for byte; CSV has the
columns of ``audit-tui query --format csv`` with spreadsheet formulas neutralised.

Safety: the data go to a hidden temporary file in the destination folder, which replaces the
destination only when complete (then the manifest, the same way). A failure or a cancel removes
the temporary file, so nothing partial is ever left under the destination's name. Memory stays
bounded: records are streamed through a 1 MiB buffer, hashed as they are written.

The manifest (``PATH.manifest.json``) records the source, the query in full (absolute UTC
window), the time of export, the number of events, the newest and oldest event times, and the
file's name, size and SHA-256, so a reviewer can check the export (``audit-tui export --verify``).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from audit_tui import __version__, output
from audit_tui.csv_export import Cancelled, write_csv
from audit_tui.model import iso_ms
from audit_tui.query import Query

if TYPE_CHECKING:
    from audit_tui.store import Store

TOOL = "audit-tui"
FORMATS = ("csv", "json", "jsonl")
EXTENSIONS = {"csv": ".csv", "json": ".json", "jsonl": ".jsonl"}
_EXT_FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_VERSION = 1
TEMP_PREFIX = ".audit-export-"
STEP = 1000  # events between progress reports and cancel checks
BUFFER = 1024 * 1024  # bytes gathered before each write (and hash update)
SAMPLE_LABEL = "bundled sample data"
STDIN_LABEL = "standard input"


# SOURCE as the user gave it: one path, URL, ``-`` or ``""`` (the sample), or several paths
Source = str | tuple[str, ...] | None


class ExportError(Exception):
    """An export that did not happen: the message is one line for the user.

    ``code`` is the command line's exit code: 2 for a bad request (the file exists, no such
    folder), 1 for a failure while writing (permission, disk full, cancelled)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class _Cancelled(Exception):
    pass


@dataclass
class ExportPlan:
    """What to export and where.

    ``path`` None writes to standard output (no manifest). ``source`` is the SOURCE as the user
    gave it: a path, ``-`` for standard input, a URL, or ``""``/None for the bundled sample; the
    manifest records :func:`source_label` of it. ``now`` is the time the query's relative
    period is resolved against (the one the view was computed with)."""

    path: Path | None
    fmt: str
    query: Query
    now: datetime
    source: Source = ""


@dataclass(frozen=True)
class ExportResult:
    path: Path | None  # None: written to standard output
    manifest_path: Path | None
    count: int
    sha256: str  # hex digest of the bytes written
    newest: str | None  # ISO UTC time of the newest event, None when there are none
    oldest: str | None
    size: int = 0  # bytes written
    fmt: str = ""


# -- names -----------------------------------------------------------------------------------


def default_path(
    fmt: str, now: datetime | None = None, folder: str | os.PathLike[str] = "."
) -> Path:
    """``folder/audit-export-YYYYmmdd-HHMMSS.<ext>`` (UTC); ``-2``, ``-3``… when it is taken."""
    _check_format(fmt)
    when = (now or datetime.now(UTC)).astimezone(UTC)
    stem = f"audit-export-{when:%Y%m%d-%H%M%S}"
    ext = EXTENSIONS[fmt]
    candidate = Path(folder) / f"{stem}{ext}"
    n = 2
    while os.path.lexists(candidate) or os.path.lexists(manifest_path_for(candidate)):
        candidate = Path(folder) / f"{stem}-{n}{ext}"
        n += 1
    return candidate


def manifest_path_for(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p.with_name(p.name + MANIFEST_SUFFIX)


def format_for_path(path: str | os.PathLike[str]) -> str | None:
    """The format a file name asks for by its extension (.csv, .json, .jsonl, .ndjson)."""
    return _EXT_FORMATS.get(Path(path).suffix.lower())


_SECRET_PARAM = re.compile(
    r"token|secret|passw|pwd|passwd|api[-_]?key|apikey|access[-_]?key|private[-_]?key|"
    r"^key$|^code$|sig$|signature|credential|^auth|session|^x-amz-",
    re.IGNORECASE,
)


def strip_url_credentials(url: str) -> str:
    """``url`` without user info, token-like query parameters and fragment.

    >>> strip_url_credentials("https://ada:pw@api.example.com/v1/audit?token=abc&page=2")
    'https://api.example.com/v1/audit?page=2'
    """
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    kept = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _SECRET_PARAM.search(k)
    ]
    return urlunsplit((parts.scheme, host, parts.path, urlencode(kept), ""))


def source_label(spec: Source) -> str:
    """How the manifest names a source: an absolute path, a URL without credentials,
    ``standard input`` or ``bundled sample data``; several paths: each, comma-separated."""
    if isinstance(spec, tuple):
        return ", ".join(source_label(one) for one in spec)
    if not spec:
        return SAMPLE_LABEL
    if spec == "-":
        return STDIN_LABEL
    if _is_url(spec):
        return strip_url_credentials(spec)
    return str(Path(spec).expanduser().absolute())


def _is_url(spec: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", spec) is not None


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use csv, json or jsonl", code=2)


# -- writing ---------------------------------------------------------------------------------


def _write_chunk(f: IO[bytes], data: bytes | bytearray | memoryview) -> None:
    """Write all of ``data`` (a raw file may take part of it at a time)."""
    view = memoryview(data)
    while view:
        n = f.write(view)
        if n is None:  # a non-blocking stream that is full; not expected for files
            raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        view = view[n:]


class _Sink:
    """A write(bytes) target that buffers, hashes and counts what it passes on."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.buf = bytearray()
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.buf += data
        if len(self.buf) >= BUFFER:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buf:
            chunk = bytes(self.buf)
            self.buf.clear()
            _write_chunk(self.f, chunk)
            self.hash.update(chunk)
            self.size += len(chunk)


class _TextSink:
    """A write(str) target for the csv module: UTF-8 into a :class:`_Sink`."""

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink

    def write(self, text: str) -> int:
        self.sink.write(text.encode("utf-8"))
        return len(text)


def _stream(
    store: Store,
    positions: Any,
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event | None,
    read: Callable[[int], Any],
) -> Iterator[Any]:
    """``read(position)`` for each position, reporting progress and checking for a cancel
    every :data:`STEP` events."""
    total = len(positions)
    for start in range(0, total, STEP):
        if cancel is not None and cancel.is_set():
            raise _Cancelled
        for p in positions[start : start + STEP].tolist():
            yield read(p)
        if progress is not None:
            progress(min(start + STEP, total), total)
    if cancel is not None and cancel.is_set():
        raise _Cancelled


def _write_events(
    sink: _Sink,
    store: Store,
    positions: Any,
    fmt: str,
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event | None,
    terminal: bool = False,
) -> int:
    """``terminal``: the sink is a terminal (see :func:`audit_tui.output.is_terminal`)."""
    if progress is not None:
        progress(0, len(positions))
    if fmt == "jsonl":
        raws = _stream(store, positions, progress, cancel, store.event_raw)
        n = output.write_jsonl(sink, raws, terminal=terminal)  # type: ignore[arg-type]
    elif fmt == "json":
        raws = _stream(store, positions, progress, cancel, store.event_raw)
        n = output.write_json(sink, raws, terminal=terminal)  # type: ignore[arg-type]
    else:
        try:
            n = write_csv(
                _TextSink(sink),  # type: ignore[arg-type]
                store,
                positions,
                terminal=terminal,
                progress=progress,
                cancel=cancel,
                step=STEP,
            )
        except Cancelled:
            raise _Cancelled from None
    sink.flush()
    return n


def _why(exc: OSError) -> str:
    """A short, plain reason for an I/O failure."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full (no space left on device)"
    if exc.errno == getattr(errno, "EDQUOT", -1):
        return "the disk quota is exceeded"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    return exc.strerror or str(exc)


def _unlink(path: str | os.PathLike[str] | None) -> None:
    if path is None:
        return
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _place(tmp: str, final: Path, force: bool) -> None:
    """Move the finished temporary file to ``final``. Without ``force`` a file that appeared
    meanwhile is not replaced (a hard link fails if the name is taken)."""
    if force:
        os.replace(tmp, final)
        return
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise ExportError(_exists_message(final), code=2) from None
    except OSError:  # no hard links on this file system: check, then rename
        if os.path.lexists(final):
            raise ExportError(_exists_message(final), code=2) from None
        os.replace(tmp, final)
        return
    os.unlink(tmp)


def _exists_message(path: Path) -> str:
    return f"{path}: already exists; nothing written (use --force to replace it, or another name)"


def check_destination(path: Path, plan: ExportPlan, force: bool) -> None:
    """Refuse what :func:`export` would refuse (missing folder, the source itself, an existing
    file without ``force``), before any slow work."""
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "no such folder"
        raise ExportError(f"{folder}: {what}; nothing written", code=2)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name", code=2)
    sources = plan.source if isinstance(plan.source, tuple) else (plan.source,)
    for src in sources:
        if src and src != "-" and not _is_url(src):
            try:
                if path.exists() and os.path.samefile(Path(src).expanduser(), path):
                    raise ExportError(f"{path}: is the source itself; choose another name", code=2)
            except OSError:
                pass
    if force:
        return
    for p in (path, manifest_path_for(path)):
        if os.path.lexists(p):
            raise ExportError(_exists_message(p), code=2)


def _temp(folder: Path) -> IO[bytes]:
    return tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed and removed by the caller
        mode="wb", dir=folder, prefix=TEMP_PREFIX, suffix=".tmp", delete=False, buffering=0
    )


def export(
    store: Store,
    plan: ExportPlan,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
) -> ExportResult:
    """Write the events ``plan.query`` matches in ``store`` (newest first) to ``plan.path``,
    then its manifest. Waits for the store to finish loading (a cancel stops the wait).

    ``progress(done, total)`` is called at the start and every :data:`STEP` events; ``cancel``
    is checked as often. Raises :class:`ExportError` (nothing left behind) when the file
    exists and ``force`` is false, on a write failure, or when cancelled."""
    _check_format(plan.fmt)
    path = None if plan.path is None else Path(plan.path)
    if path is not None:
        check_destination(path, plan, force)
    matches = _matches(store, plan, cancel)
    if path is None:
        return _export_stdout(store, plan, matches, progress, cancel)
    return _export_file(store, plan, path, matches, progress, cancel, force)


@dataclass(frozen=True)
class _Matches:
    """The events to write (load indices in the store, newest first: see
    :attr:`Result.events`) and what the manifest says of them."""

    positions: Any
    exported_at: datetime
    newest: str | None  # ISO UTC time of the newest event, None when there are none
    oldest: str | None

    @property
    def count(self) -> int:
        return len(self.positions)


def _matches(store: Store, plan: ExportPlan, cancel: threading.Event | None) -> _Matches:
    """Wait for the store to be loaded (a cancel stops the wait), then search it."""
    while not store.wait(0.1):
        if cancel is not None and cancel.is_set():
            raise ExportError("export cancelled: nothing written")
    exported_at = datetime.now(UTC)
    # the matches by load index: they name the same events while a followed source grows
    events = store.search(plan.query, plan.now).events
    if not len(events):
        return _Matches(events, exported_at, None, None)
    newest = iso_ms(store.event_row(int(events[0])).audited_at)
    oldest = iso_ms(store.event_row(int(events[-1])).audited_at)
    return _Matches(events, exported_at, newest, oldest)


class _Staged:
    """The temporary files of one export, and the data once in place: :meth:`clean_up`
    removes whatever is left of an export that did not finish (the data without their
    manifest are not an export)."""

    def __init__(self) -> None:
        self.data: str | None = None
        self.manifest: str | None = None
        self.placed: Path | None = None
        self.done = False

    def place(self, path: Path, force: bool) -> None:
        assert self.data is not None and self.manifest is not None
        _place(self.data, path, force)
        self.placed, self.data = path, None
        _place(self.manifest, manifest_path_for(path), force)
        self.manifest = None
        self.done = True

    def clean_up(self) -> None:
        _unlink(self.data)
        _unlink(self.manifest)
        if not self.done:
            _unlink(self.placed)


def _export_file(
    store: Store,
    plan: ExportPlan,
    path: Path,
    matches: _Matches,
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event | None,
    force: bool,
) -> ExportResult:
    """The data, then the manifest, each to a temporary file in the destination folder; both
    renamed into place only when complete."""
    folder = path.parent
    staged = _Staged()
    try:
        with _temp(folder) as f:
            staged.data = f.name
            sink = _Sink(f)
            _write_events(sink, store, matches.positions, plan.fmt, progress, cancel)
            os.fsync(f.fileno())
        doc = _manifest(store, plan, path, matches, sink)
        with _temp(folder) as m:
            staged.manifest = m.name
            _write_chunk(m, orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
            os.fsync(m.fileno())
        if cancel is not None and cancel.is_set():
            raise _Cancelled
        staged.place(path, force)
        _fsync_dir(folder)
    except _Cancelled:
        raise ExportError("export cancelled: nothing written") from None
    except OSError as exc:
        target = folder if staged.data is None and staged.placed is None else path
        raise ExportError(f"cannot write {target}: {_why(exc)}; nothing written") from None
    finally:
        staged.clean_up()
    return ExportResult(
        path,
        manifest_path_for(path),
        matches.count,
        sink.hash.hexdigest(),
        matches.newest,
        matches.oldest,
        sink.size,
        plan.fmt,
    )


def _manifest(
    store: Store, plan: ExportPlan, path: Path, matches: _Matches, sink: _Sink
) -> dict[str, Any]:
    """The evidence manifest of a written file (see the module's docstring)."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": TOOL, "version": __version__},
        "exported_at": iso_ms(int(matches.exported_at.timestamp() * 1000)),
        "source": source_label(plan.source),
        "source_error": store.error,
        "query": plan.query.describe(plan.now),
        "order": "newest first",
        "count": matches.count,
        "newest": matches.newest,
        "oldest": matches.oldest,
        "format": plan.fmt,
        "file": {"name": path.name, "size": sink.size, "sha256": sink.hash.hexdigest()},
        **_files_read(store),
    }


def _files_read(store: Any) -> dict[str, Any]:
    """A source of several files: how many were read, and which were not, with why."""
    report = getattr(store, "file_report", None)
    if report is None or not report.total:
        return {}
    skipped = [{"path": path, "why": why} for path, why in report.skipped]
    return {"files": {"read": report.read, "skipped": skipped}}


def _export_stdout(
    store: Store,
    plan: ExportPlan,
    matches: _Matches,
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event | None,
) -> ExportResult:
    out = sys.stdout.buffer
    sink = _Sink(out)
    terminal = output.is_terminal(out)
    try:
        n = _write_events(sink, store, matches.positions, plan.fmt, progress, cancel, terminal)
        out.flush()
    except _Cancelled:
        raise ExportError("export cancelled: the output is incomplete") from None
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise ExportError(f"cannot write to standard output: {_why(exc)}") from None
    return ExportResult(
        None, None, n, sink.hash.hexdigest(), matches.newest, matches.oldest, sink.size, plan.fmt
    )


# -- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str


def verify(manifest_or_file: str | os.PathLike[str]) -> Verification:
    """Re-hash the file a manifest names (``PATH.manifest.json``, or ``PATH`` itself) and
    compare its size and SHA-256. Raises :class:`ExportError` (code 2) for a manifest that
    cannot be read."""
    given = Path(manifest_or_file)
    mpath = given if given.name.endswith(MANIFEST_SUFFIX) else manifest_path_for(given)
    try:
        doc = orjson.loads(mpath.read_bytes())
        name = doc["file"]["name"]
        want_hash = str(doc["file"]["sha256"]).lower()
        want_size = int(doc["file"]["size"])
    except FileNotFoundError:
        raise ExportError(f"{mpath}: no such manifest", code=2) from None
    except OSError as exc:
        raise ExportError(f"{mpath}: cannot read ({_why(exc)})", code=2) from None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise ExportError(
            f"{mpath}: not an audit-tui export manifest (needs file.name, size, sha256)", code=2
        ) from None
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise ExportError(f"{mpath}: the manifest's file name {name!r} is not a plain name", code=2)
    data = mpath.parent / name
    h = hashlib.sha256()
    size = 0
    try:
        with open(data, "rb") as f:
            while chunk := f.read(BUFFER):
                h.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return Verification(False, f"{data}: missing (the manifest names it)")
    except OSError as exc:
        return Verification(False, f"{data}: cannot read ({_why(exc)})")
    got = h.hexdigest()
    if got != want_hash:
        return Verification(False, f"{data}: MODIFIED: sha256 {got}, the manifest says {want_hash}")
    if size != want_size:
        return Verification(False, f"{data}: MODIFIED: {size} bytes, the manifest says {want_size}")
    count = doc.get("count")
    return Verification(
        True, f"{data}: OK, sha256 {got} and {size} bytes match the manifest ({count} events)"
    )


# -- sizes -----------------------------------------------------------------------------------


def size_text(n: int) -> str:
    """``2.0 KB``: a byte count as people read it."""
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"
