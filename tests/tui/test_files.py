"""The browser over a source of several files (issue 18): the status line counts the files
read and not read (with a progress bar while loading), the detail view names each event's
file and line, and ``file:`` narrows the view to some files."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from textual.widgets import Static

from audit_tui.query import Query
from audit_tui.sources.multi import open_paths
from audit_tui.store import FileReport
from audit_tui.tui.app import AuditApp
from audit_tui.tui.screens.detail import DetailScreen
from audit_tui.tui.state import LoadState
from audit_tui.tui.widgets.status import StatusBar, source_text

from .helpers import FIXED_NOW, browser, settle, type_text

K8S = Path(__file__).parents[1] / "data" / "formats" / "k8s-audit" / "audit2rbac__demo.log"


def rotation(folder: Path) -> Path:
    lines = K8S.read_bytes().splitlines(keepends=True)
    folder.mkdir()
    (folder / "audit-2026-11-29T10-00-00.000.log.gz").write_bytes(
        gzip.compress(b"".join(lines[:12]))
    )
    (folder / "audit-2026-11-30T10-00-00.000.log").write_bytes(b"".join(lines[12:25]))
    (folder / "audit.log").write_bytes(b"".join(lines[25:]))
    (folder / "README.md").write_text("rotated by the API server\n")
    return folder


def make(folder: Path) -> AuditApp:
    def open_store() -> Any:
        store = open_paths([str(folder)])
        store.label = "kube/"
        return store

    return AuditApp(open_store, Query(), now=lambda: FIXED_NOW, native_clipboard=False)


async def test_status_detail_and_file_search(tmp_path: Path) -> None:
    folder = rotation(tmp_path / "kube")
    app = make(folder)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        status = browser(app).query_one(StatusBar).plain
        assert status.startswith("37 of 37 events")
        assert status.endswith("kube/ · 3 files · 1 not read · Kubernetes audit")
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        origin = detail.query_one("#detail-origin", Static)
        assert origin.display
        text = str(origin.render())
        name, _, where = text.removeprefix("from ").rpartition(", line ")
        # the newest event is the last line of the live file
        assert name == str(folder / "audit.log") and where == "12"
        assert detail.raw == (folder / "audit.log").read_bytes().splitlines()[11]
        await pilot.press("escape")
        await pilot.press("slash")
        await type_text(pilot, "file:2026-11-30")
        assert browser(app).query_one(StatusBar).plain.startswith("13 of 37 events")


def test_the_status_line_counts_files_and_bytes_while_loading() -> None:
    files = FileReport(total=10_000, done=2_500, read=2_500, bytes_total=900_000_000)
    files.bytes_done = 450_000_000
    loading = LoadState(label="AWSLogs/", loading=True, progress=0.5, files=files)
    assert (
        source_text(loading).plain == "AWSLogs/ · 2,500/10,000 files 450 MB/900 MB ━━━━━───── 50%"
    )
    files.skipped = [("x.md", "not a log (.md)")]
    done = LoadState(label="AWSLogs/", loading=False, progress=1.0, files=files)
    assert source_text(done).plain == "AWSLogs/ · 2,500 files · 1 not read"
