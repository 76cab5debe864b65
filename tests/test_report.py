"""``audit-tui report``: one self-contained HTML file a reviewer can read.

Checked as written (the counts equal ``--count-by``, the digest equals an export manifest's,
every section, atomic writing) and in a real headless browser (Chromium from the system
packages, driven by Playwright): no script runs, no request leaves the page, the counts shown
are right, and the CSS-only paging and JSON links work. Hostile values are escaped: the
browser test runs on the page with its Content-Security-Policy removed, so it is the escaping
that is tested, not the policy."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest

CHROMIUM = "/usr/bin/chromium"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit_tui", *args], capture_output=True, text=True, timeout=300
    )


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each ``data-count`` cell's row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample written once to a file (the sample's times follow the clock)."""
    path = tmp_path_factory.mktemp("sample") / "sample.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "audit_tui", "query", "--demo", "--format", "jsonl"],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    path.write_bytes(done.stdout)
    return path


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory, sample_file: Path) -> Path:
    path = tmp_path_factory.mktemp("report") / "sample.html"
    done = _cli("report", str(sample_file), "-o", str(path))
    assert done.returncode == 0, done.stderr
    assert "wrote a report of 14,464 events" in done.stderr
    return path


HOSTILE = [
    "<script>window.__pwned = 1</script>",
    '"><img src=x onerror="window.__pwned=2">',
    "</pre></div><script>window.__pwned=3</script>",
    "[@click=app.quit]",
    "[/]",
    "\x1b]52;c;aGk=\x07osc",
    "javascript:window.__pwned=4",
    "<a href='https://example.com/x'>link</a>",
    "<link rel=stylesheet href=https://example.com/s.css>",
    "</style><style>body{background:url(https://example.com/bg)}</style>",
]


def _hostile_events() -> list[dict[str, Any]]:
    out = []
    for i, text in enumerate(HOSTILE):
        out.append(
            {
                "id": f"evt_{i}{text}",
                "audited_at": f"2026-11-19T1{i % 10}:00:00Z",
                "event_type": f"Agent Deleted {text}",
                "resource": {"type": "agent", "id": f"agt_{i}", "name": text},
                "organization": {"id": "org", "name": text},
                "workspace": {"id": "ws", "name": text},
                "actor": {"type": "api_key", "id": f"key{i}", "name": text, "email": None},
                "metadata": {
                    "note": text,
                    "changes": {"before": {text: text}, "after": {text: text + "!"}},
                },
            }
        )
    return out


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    src = folder / "hostile.jsonl"
    src.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in _hostile_events()))
    path = folder / "hostile.html"
    done = _cli("report", str(src), "-o", str(path))
    assert done.returncode == 0, done.stderr
    return path


# -- as written --------------------------------------------------------------------------------


def _summary_counts(html: str, anchor: str) -> list[tuple[str, int]]:
    """(value, count) rows of one summary table, read back from the HTML."""
    start = html.index(f'id="{anchor}"')
    table = html[start : html.index("</table>", start)]

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.rows: list[list[str]] = []
            self.cell: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag == "tr":
                self.rows.append([])
            elif tag == "td":
                self.cell = []

        def handle_endtag(self, tag: str) -> None:
            if tag == "td" and self.cell is not None:
                self.rows[-1].append("".join(self.cell))
                self.cell = None

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(table)
    return [
        (r[0], int(r[1].replace(",", "")))
        for r in parser.rows
        if len(r) == 2 and "other values" not in r[0]
    ]


@pytest.mark.parametrize("field", ["event_type", "actor", "workspace"])
def test_summary_counts_equal_count_by(sample_report: Path, sample_file: Path, field: str) -> None:
    html = sample_report.read_text("utf-8")
    done = _cli("query", str(sample_file), "--count-by", field, "--format", "json")
    expected = [(d["value"], d["count"]) for d in orjson.loads(done.stdout)]
    assert _summary_counts(html, f"by-{field}") == expected[:20]
    rest = sum(n for _, n in expected[20:])
    if rest:
        assert f"{len(expected) - 20:,} other values" in html


def test_the_digest_is_the_export_manifests(
    sample_report: Path, sample_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "all.jsonl"
    done = _cli("export", str(sample_file), "--format", "jsonl", "-o", str(out))
    assert done.returncode == 0, done.stderr
    manifest = orjson.loads(Path(str(out) + ".manifest.json").read_bytes())
    html = sample_report.read_text("utf-8")
    assert manifest["file"]["sha256"] in html
    assert "14,464" in html


def test_sections_and_every_event_with_its_json(sample_report: Path) -> None:
    html = sample_report.read_text("utf-8")
    for title in (
        "Privileged and destructive actions (",
        "Actions by system accounts and API keys (",
        "Failed actions (",
        "Configuration changes (",
        "Every event (14,464)",
    ):
        assert title in html
    ids = [dict(a).get("id") for t, a in _tags(html) if t == "div" and ("class", "json") in a]
    assert len(ids) == 14_464 and ids[0] == "e0" and ids[-1] == "e14463"
    pages = [dict(a)["id"] for t, a in _tags(html) if t == "section" and ("class", "page") in a]
    assert len(pages) == 29  # 500 a page
    assert 'class="chg">~ model: ' in html  # a configuration change's diff
    assert "<svg" in html and 'class="bar"' in html


def test_nothing_external_and_no_script(sample_report: Path, hostile_report: Path) -> None:
    for path in (sample_report, hostile_report):
        tags = _tags(path.read_text("utf-8"))
        names = {t for t, _ in tags}
        assert not names & {"script", "img", "iframe", "object", "embed", "link", "form", "base"}
        for _tag, attrs in tags:
            for name, value in attrs:
                assert not name.startswith("on")
                if name in ("href", "src", "action"):
                    assert value is not None and value.startswith("#"), (name, value)


def test_hostile_values_are_text(hostile_report: Path) -> None:
    html = hostile_report.read_text("utf-8")
    assert "\x1b" not in html and "\x07" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "\\e]52;c;aGk=\\x07osc" in html  # a control character made visible


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    path = tmp_path / "r.html"
    path.write_text("keep me")
    done = _cli("report", "--demo", "-o", str(path))
    assert done.returncode == 2
    assert "already exists" in done.stderr and "--force" in done.stderr
    assert path.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]
    done = _cli("report", "--demo", "--event-type", "Agent Deleted", "-o", str(path), "--force")
    assert done.returncode == 0, done.stderr
    assert "Every event (3)" in path.read_text("utf-8")


def test_a_missing_folder_and_a_remote_source_are_usage_errors(tmp_path: Path) -> None:
    done = _cli("report", "--demo", "-o", str(tmp_path / "nope" / "r.html"))
    assert done.returncode == 2 and "no such folder" in done.stderr
    done = _cli("report", "https://audit.example.com/api", "-o", str(tmp_path / "r.html"))
    assert done.returncode == 2 and "export it first" in done.stderr
    assert "Traceback" not in done.stderr


# -- in a real browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Any:
    """Chromium from the system packages. Missing is a failure, not a skip: .ci/run installs
    it (apt-get install chromium)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requests, dialogs


def test_in_a_browser_no_script_runs_and_nothing_leaves(
    browser: Any, hostile_report: Path, tmp_path: Path
) -> None:
    # without its Content-Security-Policy, so that only the escaping stands in the way
    html = hostile_report.read_text("utf-8")
    start = html.index('<meta http-equiv="Content-Security-Policy"')
    bare = tmp_path / "bare.html"
    bare.write_text(html[:start] + html[html.index(">", start) + 1 :], "utf-8")
    for path in (hostile_report, bare):
        page, requests, dialogs = _open(browser, path)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate("document.images.length") == 0
        assert requests == [path.as_uri()]
        assert dialogs == []
        # the hostile text is shown as text
        assert "<script>window.__pwned = 1</script>" in page.inner_text("#privileged ~ table")
        page.close()


def test_in_a_browser_counts_and_paging(
    browser: Any, sample_report: Path, sample_file: Path
) -> None:
    page, requests, _ = _open(browser, sample_report)
    assert requests == [sample_report.as_uri()]
    cells = page.locator("#by-event_type ~ table tbody tr").all_inner_texts()
    done = _cli("query", str(sample_file), "--count-by", "event_type", "--format", "json")
    expected = orjson.loads(done.stdout)[:20]
    shown = [c.split("\t") for c in cells[:20]]
    assert [(v, int(n.replace(",", ""))) for v, n in shown] == [
        (d["value"], d["count"]) for d in expected
    ]
    assert page.locator("#p1").is_visible() and not page.locator("#p2").is_visible()
    assert page.locator("#p1 tbody tr").count() == 500
    page.click("#p1 .pnav a")  # page 2 →
    assert page.locator("#p2").is_visible() and not page.locator("#p1").is_visible()
    page.click("#p2 tbody tr:first-child a")  # the JSON of event 501
    assert page.locator("#e500").is_visible()
    record = orjson.loads(page.inner_text("#e500 pre"))
    assert record["id"].startswith("evt_")
    assert requests == [sample_report.as_uri()]
    page.close()
