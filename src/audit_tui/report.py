"""An audit report a person can read: one self-contained HTML file for a security review.

    plan = ReportPlan(path=Path("report.html"), query=query, now=now, source=spec)
    result = write_report(store, plan, progress=on_progress, cancel=cancel_event)

The file holds what was asked (the source, the query with absolute UTC times, when and by which
version it was made, and the SHA-256 of the events it covers: the same digest as the manifest
of ``audit-tui export --format jsonl`` of the same view), a summary (counts by event type,
actor and workspace, top 20 each with the rest counted, as ``--count-by`` gives them; the first
and last event; a timeline as inline SVG), the sections a reviewer asks for (privileged and
destructive actions, actions by system accounts and API keys, failed actions, configuration
changes with their diffs: the rules are :mod:`audit_tui.review`), and every matching event in a
table paged with plain CSS, each row linking to its full JSON further down the same file.

Safety: every value is untrusted. Each is sanitised (:func:`audit_tui.safe.clean`) and escaped
for HTML; the page has no script, loads nothing (no fonts, images or styles from elsewhere),
and says so in a Content-Security-Policy as well. Memory stays bounded: one pass reads each
event once, writes the event table to a temporary file and keeps at most :data:`SECTION_CAP`
events per section; the summary comes from the store's columns. The file appears under its
name only when complete.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from audit_tui import __version__, diff
from audit_tui.changes import event_changes
from audit_tui.export import ExportError, Source, source_label
from audit_tui.model import InvalidRecord, Row, flatten, iso_ms, load_json
from audit_tui.output import actor_label, resource_label
from audit_tui.query import Query
from audit_tui.review import classify
from audit_tui.safe import clean, clean_json, is_clean
from audit_tui.sources.formats import detect
from audit_tui.store import Store

PAGE_SIZE = 500  # events per page of the event table
SECTION_CAP = 1000  # events listed per section (all are in the event table)
TOP = 20  # values per summary table
K8S_LOOKUPS = 500  # Kubernetes updates compared with their object's previous event
STEP = 1000  # events between progress reports and cancel checks
TEMP_PREFIX = ".audit-report-"

SECTIONS = (
    ("privileged", "Privileged and destructive actions"),
    ("automated", "Actions by system accounts and API keys"),
    ("failed", "Failed actions"),
    ("changes", "Configuration changes"),
)


@dataclass(frozen=True)
class ReportPlan:
    """What to report on and where: ``source`` is the SOURCE as the user gave it (see
    :class:`audit_tui.export.ExportPlan`); ``now`` resolves the query's relative period."""

    path: Path
    query: Query
    now: datetime
    source: Source = ""


@dataclass(frozen=True)
class ReportResult:
    path: Path
    count: int
    sha256: str  # of the events as JSON lines, newest first (as an export manifest)
    size: int
    sections: dict[str, int]  # events per section


_HTML_SPECIAL = re.compile(r"[&<>\"']")


def esc(value: Any, limit: int | None = None) -> str:
    """A value as safe HTML text: sanitised, cut to ``limit``, escaped (quotes included)."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    if (limit is None or len(text) <= limit) and is_clean(text) and not _HTML_SPECIAL.search(text):
        return text  # the common case, checked at C speed
    return html.escape(clean(text, limit), quote=True)


# -- one pass over the events -----------------------------------------------------------------


@dataclass
class _Listed:
    """One event as a section lists it: the cells, and what the section adds."""

    index: int
    cells: tuple[str, ...]
    note: str = ""
    changes: list[diff.Change] = field(default_factory=list)


@dataclass
class _Section:
    name: str
    title: str
    count: int = 0
    events: list[_Listed] = field(default_factory=list)

    def add(self, listed: _Listed) -> None:
        self.count += 1
        if len(self.events) < SECTION_CAP:
            self.events.append(listed)


def _cells(row: Row) -> tuple[str, ...]:
    return (
        iso_ms(row.audited_at)[:19].replace("T", " "),
        row.event_type,
        resource_label(row),
        row.workspace or "—",
        actor_label(row),
    )


HEAD_CELLS = ("Audited at (UTC)", "Event type", "Resource", "Workspace", "Actor")


class _Pass:
    """Reads every matching event once: hashes it, classifies it into the sections and writes
    its row (and its JSON) to the event table."""

    def __init__(self, store: Store, table: IO[str]) -> None:
        self.store = store
        self.table = table
        self.hash = hashlib.sha256()
        self.sections = {name: _Section(name, title) for name, title in SECTIONS}
        self.k8s_lookups = 0
        self.page: list[str] = []
        self.json: list[str] = []
        self.pages = 0
        self.unreadable = 0

    def event(self, index: int, position: int) -> None:
        raw = self.store.raw(position)
        line = raw.rstrip(b"\r\n")
        self.hash.update(line + b"\n")
        try:
            rec = load_json(raw)
            original = rec if isinstance(rec, dict) else {"value": rec}
            row = flatten(self.store.native(original))
        except (ValueError, InvalidRecord):
            self.unreadable += 1
            return
        cells = _cells(row)
        fmt = detect(original)
        self._classify(index, position, row, original, fmt, cells)
        self._row(index, cells, line)

    def _classify(
        self,
        index: int,
        position: int,
        row: Row,
        original: dict[str, Any],
        fmt: str,
        cells: tuple[str, ...],
    ) -> None:
        flags = classify(row, original, fmt)
        if flags.privileged:
            self.sections["privileged"].add(_Listed(index, cells))
        if flags.automated:
            self.sections["automated"].add(_Listed(index, cells))
        if flags.failure is not None:
            self.sections["failed"].add(_Listed(index, cells, note=flags.failure))
        found = diff.changes_in(original, fmt)
        if found is None and fmt == "k8s" and original.get("verb") in ("update", "patch"):
            if self.k8s_lookups < K8S_LOOKUPS:
                self.k8s_lookups += 1
                ec = event_changes(self.store, position)
                found = None if ec is None else ec.changes
        if found:
            self.sections["changes"].add(_Listed(index, cells, changes=found))

    def _row(self, index: int, cells: tuple[str, ...], line: bytes) -> None:
        tds = "".join(f"<td>{esc(c, 200)}</td>" for c in cells)
        self.page.append(
            f'<tr><td class="n">{index + 1}</td>{tds}<td><a href="#e{index}">JSON</a></td></tr>'
        )
        text = clean_json(line.decode("utf-8", "replace"))
        self.json.append(
            f'<div class="json" id="e{index}"><p>Event {index + 1} '
            f'<a href="#p{self.pages + 1}">back to the table</a></p>'
            f"<pre>{html.escape(text, quote=True)}</pre></div>"
        )
        if len(self.page) >= PAGE_SIZE:
            self.flush_page()

    def flush_page(self, last: bool = False) -> None:
        if not self.page:
            return
        self.pages += 1
        n = self.pages
        nav = []
        if n > 1:
            nav.append(f'<a href="#p{n - 1}">← page {n - 1}</a>')
        if not last:
            nav.append(f'<a href="#p{n + 1}">page {n + 1} →</a>')
        self.table.write(
            f'<section class="page" id="p{n}"><p class="pnav">Page {n} · {" · ".join(nav)}</p>'
            f"<table><thead>{_head(('#', *HEAD_CELLS, ''))}</thead><tbody>"
            + "".join(self.page)
            + "</tbody></table>"
            + "".join(self.json)
            + "</section>\n"
        )
        self.page.clear()
        self.json.clear()


def _head(cells: Iterable[str]) -> str:
    return "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cells) + "</tr>"


# -- the page ---------------------------------------------------------------------------------

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;
padding:0 1.5em 4em;color:#1b1f24;background:#fff}
h1{font-size:1.6em;margin:1em 0 .2em}h2{margin-top:2em;border-bottom:2px solid #d0d7de;
padding-bottom:.2em}h3{margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.4em 0}th,td{text-align:left;padding:.2em .5em;
border-bottom:1px solid #eaeef2;vertical-align:top;overflow-wrap:anywhere}th{background:#f6f8fa;
white-space:nowrap;overflow-wrap:normal}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.n{color:#57606a}
dl.asked{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.6em;margin:.2em 0}
nav.toc a{margin-right:1em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:1em}
.muted{color:#57606a}.diff{margin:.2em 0 1em 0}.add{color:#116329}.rem{color:#a40e26}
.chg{color:#7d4e00}.set{color:#0550ae}
.page{display:none}.page:target,.page:has(:target){display:block}
#pages:not(:has(:target)) .page:first-of-type{display:block}
.json{display:none;border-left:4px solid #0969da;padding-left:.6em;margin:1em 0}
.json:target{display:block}
.pnav{margin:.6em 0}.jump a{margin-right:.4em}
svg text{font:11px system-ui,sans-serif;fill:#57606a}svg rect.bar{fill:#0969da}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"


def _asked(plan: ReportPlan, count: int, digest: str, made: datetime) -> str:
    described = plan.query.describe(plan.now)
    window = described["window_utc"]
    filters = []
    if plan.query.text:
        filters.append(("Search", plan.query.text))
    for name, label in (
        ("actors", "Actors"),
        ("event_types", "Event types"),
        ("workspaces", "Workspaces"),
    ):
        if described[name]:
            filters.append((label, ", ".join(described[name])))
    rows = [
        ("Source", source_label(plan.source)),
        (
            "Period",
            f"{plan.query.period}: {window['since'] or 'the beginning'} → "
            f"{window['until'] or 'now'} (UTC)",
        ),
        *filters,
        ("Events", f"{count:,}"),
        ("SHA-256 of the events", digest),
        ("Made", f"{iso_ms(int(made.timestamp() * 1000))} by audit-tui {__version__}"),
    ]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return (
        f'<dl class="asked">{items}</dl><p class="muted">The SHA-256 is that of the events as '
        "JSON lines, newest first, each record exactly as the source wrote it: the digest in the "
        "manifest of <code>audit-tui export --format jsonl</code> with the same query.</p>"
    )


def _counts_table(title: str, counts: list[tuple[str, int]], anchor: str) -> str:
    top = counts[:TOP]
    rest = counts[TOP:]
    body = "".join(
        f'<tr><td>{esc(v, 120)}</td><td class="num" data-count="{n}">{n:,}</td></tr>'
        for v, n in top
    )
    if rest:
        others = sum(n for _, n in rest)
        body += (
            f'<tr class="muted"><td>{len(rest):,} other values</td>'
            f'<td class="num">{others:,}</td></tr>'
        )
    if not counts:
        body = '<tr><td class="muted">none</td><td></td></tr>'
    return (
        f'<div><h3 id="{anchor}">{html.escape(title)}</h3><table class="counts">'
        f'<thead><tr><th>{html.escape(title)}</th><th class="num">Events</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def timeline_svg(buckets: list[tuple[str, int]], width: int = 1100, height: int = 140) -> str:
    """An inline SVG bar chart of (bucket start, count), oldest first: at most 240 bars (groups
    of buckets when there are more), the busiest count and the ends labelled."""
    if not buckets:
        return '<p class="muted">No events.</p>'
    group = -(-len(buckets) // 240)
    bars = [
        (
            buckets[i][0],
            buckets[min(i + group, len(buckets)) - 1][0],
            sum(n for _, n in buckets[i : i + group]),
        )
        for i in range(0, len(buckets), group)
    ]
    top = max(n for _, _, n in bars) or 1
    plot_h = height - 30
    bw = (width - 20) / len(bars)
    rects = []
    for i, (first, last, n) in enumerate(bars):
        h = 0 if n == 0 else max(1.0, plot_h * n / top)
        label = first if first == last else f"{first} – {last}"
        rects.append(
            f'<rect class="bar" x="{10 + i * bw:.2f}" y="{10 + plot_h - h:.2f}" '
            f'width="{max(bw - 1, 0.5):.2f}" height="{h:.2f}">'
            f"<title>{esc(label)}: {n:,}</title></rect>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-label="events over time">'
        + "".join(rects)
        + f'<text x="10" y="{height - 4}">{esc(bars[0][0])}</text>'
        + f'<text x="{width - 10}" y="{height - 4}" text-anchor="end">{esc(bars[-1][1])}</text>'
        + f'<text x="{width - 10}" y="12" text-anchor="end">busiest: {top:,}</text></svg>'
    )


def _section_html(section: _Section) -> str:
    head = f'<h2 id="{section.name}">{html.escape(section.title)} ({section.count:,})</h2>'
    if not section.count:
        return head + '<p class="muted">None.</p>'
    more = ""
    if section.count > len(section.events):
        more = (
            f'<p class="muted">The first {len(section.events):,} of {section.count:,} are listed '
            "here; every event is in the event table below.</p>"
        )
    if section.name == "changes":
        return head + more + "".join(_change_block(e) for e in section.events)
    extra = section.name == "failed"
    rows = []
    for e in section.events:
        tds = "".join(f"<td>{esc(c, 200)}</td>" for c in e.cells)
        note = f"<td>{esc(e.note, 200)}</td>" if extra else ""
        rows.append(f'<tr>{tds}{note}<td><a href="#e{e.index}">JSON</a></td></tr>')
    cols = (*HEAD_CELLS, *(("Outcome",) if extra else ()), "")
    return (
        head + more + f"<table><thead>{_head(cols)}</thead><tbody>{''.join(rows)}</tbody></table>"
    )


_CLASS = {diff.ADDED: "add", diff.REMOVED: "rem", diff.CHANGED: "chg", diff.SET: "set"}


def _change_block(e: _Listed) -> str:
    when, etype, resource, workspace, actor = e.cells
    lines = "".join(
        f'<div class="{_CLASS[c.kind]}">{html.escape(diff.change_line(c))}</div>'
        for c in e.changes[:200]
    )
    if len(e.changes) > 200:
        lines += f'<div class="muted">… {len(e.changes) - 200:,} more</div>'
    return (
        f"<h3>{esc(when)} · {esc(etype, 120)} · {esc(resource, 120)}</h3>"
        f'<p class="muted">by {esc(actor, 120)} in {esc(workspace, 80)} · '
        f'<a href="#e{e.index}">JSON</a></p><pre class="diff">{lines}</pre>'
    )


def _jump(pages: int) -> str:
    if pages <= 1:
        return ""
    links = " ".join(f'<a href="#p{i}">{i}</a>' for i in range(1, pages + 1))
    return f'<p class="jump">Pages: {links}</p>'


# -- writing ----------------------------------------------------------------------------------


def write_report(
    store: Store,
    plan: ReportPlan,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
) -> ReportResult:
    """Write the report of the events ``plan.query`` matches in ``store`` to ``plan.path``.
    Raises :class:`~audit_tui.export.ExportError` (nothing left behind) when the file exists
    and ``force`` is false, on a write failure, or when cancelled."""
    path = Path(plan.path)
    _check(path, force)
    while not store.wait(0.1):
        if cancel is not None and cancel.is_set():
            raise ExportError("report cancelled: nothing written")
    with store.steady():  # a followed source: the report is of one moment, its events hold still
        return _write_report(store, plan, path, progress, cancel, force)


def _write_report(
    store: Store,
    plan: ReportPlan,
    path: Path,
    progress: Callable[[int, int], None] | None,
    cancel: threading.Event | None,
    force: bool,
) -> ReportResult:
    made = datetime.now(UTC)
    positions = store.search(plan.query, plan.now).positions
    total = len(positions)
    temps: list[str] = []
    try:
        with _temp(path.parent, temps) as table:
            scan = _Pass(store, table)
            if progress is not None:
                progress(0, total)
            for start in range(0, total, STEP):
                if cancel is not None and cancel.is_set():
                    raise ExportError("report cancelled: nothing written")
                for i, p in enumerate(positions[start : start + STEP].tolist(), start):
                    scan.event(i, int(p))
                if progress is not None:
                    progress(min(start + STEP, total), total)
            scan.flush_page(last=True)
        digest = scan.hash.hexdigest()
        with _temp(path.parent, temps) as out:
            _write_head(out, store, plan, total, digest, made, scan)
            out.flush()
            with open(temps[0], encoding="utf-8") as table_in:
                while chunk := table_in.read(1 << 20):
                    out.write(chunk)
            out.write("</div></section></body></html>\n")
            out.flush()
            os.fsync(out.fileno())
        if cancel is not None and cancel.is_set():
            raise ExportError("report cancelled: nothing written")
        if not force and os.path.lexists(path):
            raise ExportError(_exists(path), code=2)
        os.replace(temps[1], path)
        temps.pop()
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}; nothing written") from None
    finally:
        for t in temps:
            try:
                os.unlink(t)
            except OSError:
                pass
    sections = {name: s.count for name, s in scan.sections.items()}
    return ReportResult(path, total, digest, path.stat().st_size, sections)


def _write_head(
    out: IO[str],
    store: Store,
    plan: ReportPlan,
    total: int,
    digest: str,
    made: datetime,
    scan: _Pass,
) -> None:
    title = f"Audit report: {clean(source_label(plan.source), 80)}"
    out.write(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
    )
    out.write(f"<h1>{html.escape(title)}</h1>")
    toc = [
        ("asked", "What was asked"),
        ("summary", "Summary"),
        *SECTIONS,
        ("events", "Every event"),
    ]
    out.write(
        '<nav class="toc">'
        + "".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t in toc)
        + "</nav>"
    )
    out.write('<section id="asked"><h2>What was asked</h2>')
    out.write(_asked(plan, total, digest, made))
    if scan.unreadable:
        out.write(
            f'<p class="muted">{scan.unreadable:,} events could not be read again '
            "and are not listed.</p>"
        )
    out.write("</section>")
    out.write(_summary(store, plan, total))
    for name, _title in SECTIONS:
        out.write(f"<section>{_section_html(scan.sections[name])}</section>")
    out.write(
        f'<section id="events"><h2>Every event ({total:,})</h2>'
        f'<p class="muted">Newest first, {PAGE_SIZE} a page. '
        "Each row's JSON link shows the record exactly as the source wrote it.</p>"
        + _jump(scan.pages)
        + '<div id="pages">'
    )


def _summary(store: Store, plan: ReportPlan, total: int) -> str:
    q, now = plan.query, plan.now
    first = last = "—"
    span = store.search(q, now).positions
    if total:
        last = iso_ms(store.row(int(span[0])).audited_at)
        first = iso_ms(store.row(int(span[-1])).audited_at)
    days = store.count_by(q, "day", now)
    buckets = store.count_by(q, "hour", now) if 0 < len(days) <= 3 else days
    tables = "".join(
        _counts_table(title, store.count_by(q, field, now), f"by-{field}")
        for field, title in (
            ("event_type", "Event type"),
            ("actor", "Actor"),
            ("workspace", "Workspace"),
        )
    )
    return (
        '<section id="summary"><h2>Summary</h2>'
        f"<p>{total:,} events, from <b>{esc(first)}</b> to <b>{esc(last)}</b>.</p>"
        + timeline_svg(buckets)
        + f'<div class="grid">{tables}</div></section>'
    )


def default_path(now: datetime | None = None, folder: str | os.PathLike[str] = ".") -> Path:
    """``folder/audit-report-YYYYmmdd-HHMMSS.html`` (UTC); ``-2``, ``-3``… when it is taken."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    stem = f"audit-report-{when:%Y%m%d-%H%M%S}"
    candidate = Path(folder) / f"{stem}.html"
    n = 2
    while os.path.lexists(candidate):
        candidate = Path(folder) / f"{stem}-{n}.html"
        n += 1
    return candidate


def _exists(path: Path) -> str:
    return f"{path}: already exists; nothing written (use --force to replace it, or another name)"


def _check(path: Path, force: bool) -> None:
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "no such folder"
        raise ExportError(f"{folder}: {what}; nothing written", code=2)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name", code=2)
    if not force and os.path.lexists(path):
        raise ExportError(_exists(path), code=2)


def _temp(folder: Path, temps: list[str]) -> IO[str]:
    f = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed and removed by write_report
        mode="w", encoding="utf-8", dir=folder, prefix=TEMP_PREFIX, suffix=".tmp", delete=False
    )
    temps.append(f.name)
    return f
