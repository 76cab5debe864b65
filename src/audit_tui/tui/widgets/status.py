"""The status line: how many events match, the active filters, the source and its loading."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from audit_tui.facets import fold
from audit_tui.query import FACETS, Query
from audit_tui.safe import clean
from audit_tui.store import Facets, FileReport
from audit_tui.tui.failures import Guarded
from audit_tui.tui.format import thousands
from audit_tui.tui.state import EventList, FollowState, LoadState, View


def tail(text: str, limit: int) -> str:
    """The end of ``text`` (a path's file name matters most), cut at the front with an ellipsis."""
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def labelled(query: Query, facets: Facets | None) -> Query:
    """``query`` with each facet selection replaced by what its panel shows (the name, not
    the id): only for reading, as in the status line."""
    if facets is None:
        return query
    changes: dict[str, frozenset[str]] = {}
    for name in FACETS:
        chosen = query.facet(name)
        if not chosen:
            continue
        values = facets.get(name)
        names = set()
        for selected in chosen:
            key = fold(selected)
            entry = next((v for v in values if v.selected_by({key})), None)
            names.add(entry.label if entry is not None else selected)
        changes[name] = frozenset(names)
    return query.with_(**changes) if changes else query


def status_text(view: EventList, load: LoadState, facets: Facets | None = None) -> Text:
    """``1,204 of 3,000 events · "deploy" · 7d · actor: Olga Becker`` as Text."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append_text(view.count_text(load.total))
    summary = clean(labelled(view.query, facets).summary(), 160)
    if summary:
        text.append(" · ", "dim")
        text.append(summary, "italic")
    if view.pending:
        text.append(" · searching…", "dim")
    return text


def follow_text(follow: FollowState) -> Text:
    """`` · following · +240 · 12 new ↑`` (empty when the source is not followed)."""
    text = Text(no_wrap=True)
    if follow.ended:
        text.append(" · ended", "bold")
    elif follow.starting:
        text.append(" · following…", "bold")
    elif follow.on:
        text.append(" · following", "bold green")
        if follow.arrived:
            text.append(f" · +{thousands(follow.arrived)}", "green")
    if follow.above and (follow.on or follow.ended):
        text.append(f" · {thousands(follow.above)} new ↑", "bold reverse")
    return text


def source_text(load: LoadState, follow: FollowState | None = None) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", justify="right")
    text.append(tail(clean(load.label), 48) or "…", "dim")
    if load.files is not None:  # several files: how many, before the format (80 columns)
        text.append_text(files_text(load.files, load.loading))
    if ": " in load.format_name:  # a detected foreign format ("JSON lines: Kubernetes audit")
        text.append(" · " + clean(load.format_name.split(": ", 1)[1], 40), "dim")
    if load.loading:
        if load.files is None:
            text.append(f" · loading {int(load.progress * 100)}%", "bold")
    elif load.error:
        text.append(" · " + clean(load.error, 60), "bold red")
    elif load.skipped:
        noun = "record" if load.skipped == 1 else "records"
        text.append(f" · skipped {thousands(load.skipped)} invalid {noun}", "bold yellow")
    if follow is not None:
        text.append_text(follow_text(follow))
    return text


BAR = 10  # cells of the progress bar of a set of files


def files_text(files: FileReport, loading: bool) -> Text:
    """`` · 1,204/10,000 files 120/900 MB ━━━━────── 13%`` while a set of files loads;
    `` · 10,000 files · 3 not read`` when done."""
    text = Text()
    if loading:
        share = files.bytes_done / max(files.bytes_total, 1)
        done = round(share * BAR)
        text.append(f" · {thousands(files.done)}/{thousands(files.total)} files ", "bold")
        text.append(f"{megabytes(files.bytes_done)}/{megabytes(files.bytes_total)} ", "dim")
        text.append("━" * done, "bold")
        text.append("─" * (BAR - done), "dim")
        text.append(f" {int(share * 100)}%", "bold")
        return text
    text.append(f" · {thousands(files.read)} file{'' if files.read == 1 else 's'}", "dim")
    if files.skipped:
        text.append(f" · {thousands(len(files.skipped))} not read", "bold yellow")
    return text


def megabytes(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 10e6 else f"{n / 1e6:,.1f} MB"


class StatusBar(Guarded, Widget):
    """One line: the counts and filters on the left, the source and its loading on the right."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    view: reactive[EventList] = reactive(View, always_update=True)
    load: reactive[LoadState] = reactive(LoadState)
    facets: reactive[Facets | None] = reactive(None, always_update=True)
    follow: reactive[FollowState] = reactive(FollowState)

    @property
    def plain(self) -> str:
        """The status as plain text (what tests and the bench read)."""
        left = status_text(self.view, self.load, self.facets)
        return left.plain + "   " + source_text(self.load, self.follow).plain

    def render(self) -> Text:
        left = status_text(self.view, self.load, self.facets)
        right = source_text(self.load, self.follow)
        width = self.content_region.width
        room = max(0, width - right.cell_len - 2)
        left.truncate(room, overflow="ellipsis")
        gap = max(1, width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right, no_wrap=True, overflow="ellipsis")
