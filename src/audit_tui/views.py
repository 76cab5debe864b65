"""Saved views: a source plus the whole query, kept by name in a TOML file, and the command line
that reopens one.

    views = load_views()                     # {name: View}
    save_view(View("incident 42", source="audit.log", text="type:deleted", period="7d"))
    command_line(views["incident 42"])  # audit-tui audit.log --search=type:deleted --period=7d

The file is ``views.toml`` in the platformdirs user config dir (``~/.config/audit-tui/`` on
Linux; ``$AUDIT_TUI_CONFIG_DIR`` instead when set), readable and editable by hand::

    [views."incident 42"]
    source = "/var/log/kube-audit.log"
    search = "type:deleted -actor:scheduler"
    period = "7d"
    actors = ["usr_42"]
    sort = "actor:desc"
    timezone = "utc"

A view never holds a token or a password: a URL source is saved without its credentials and
query string. Relative periods stay relative (``7d`` is the last 7 days whenever it is opened).
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from audit_tui.query import PERIODS, Query

CONFIG_DIR_ENV = "AUDIT_TUI_CONFIG_DIR"
FILE_NAME = "views.toml"
SORT_COLUMNS = ("audited_at", "event_type", "resource", "organization", "workspace", "actor")


class ViewError(ValueError):
    """A views file or a view that cannot be used; the message says where and what to do."""


@dataclass(frozen=True)
class View:
    """What a view holds: the source (a path, a URL without credentials, ``""`` for the bundled
    sample) and the query: search text, period or range, facet selections, sort, timezone."""

    name: str
    source: str = ""
    sources: tuple[str, ...] = ()  # a source of several paths: all of them (source: the first)
    text: str = ""
    period: str = "all"
    since: str | None = None
    until: str | None = None
    actors: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    workspaces: tuple[str, ...] = ()
    sort: tuple[str, bool] | None = None  # (column, reversed)
    utc: bool = True
    input_format: str | None = None
    columns: tuple[str, ...] = ()  # the table's columns after the time, in order (): default
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def query(self) -> Query:
        return Query(
            text=self.text,
            period=self.period,
            since=self.since,
            until=self.until,
            actors=frozenset(self.actors),
            event_types=frozenset(self.event_types),
            workspaces=frozenset(self.workspaces),
        )

    @classmethod
    def of(
        cls,
        name: str,
        source: str | tuple[str, ...] | None,
        query: Query,
        sort: tuple[str, bool] | None = None,
        utc: bool = True,
        input_format: str | None = None,
    ) -> View:
        several = tuple(source) if isinstance(source, tuple) and len(source) > 1 else ()
        if isinstance(source, tuple):
            source = source[0] if source else None
        return cls(
            name=name,
            source=safe_source(source or ""),
            sources=several,
            text=query.text,
            period=query.period,
            since=query.since,
            until=query.until,
            actors=tuple(sorted(query.actors)),
            event_types=tuple(sorted(query.event_types)),
            workspaces=tuple(sorted(query.workspaces)),
            sort=sort,
            utc=utc,
            input_format=input_format,
        )


def safe_source(source: str) -> str:
    """A source as a view may keep it: a URL loses its user, password and query string (where
    tokens hide); a path stays as it is."""
    if re.match(r"^https?://", source, re.IGNORECASE):
        parts = urlsplit(source)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return source


def views_path() -> Path:
    folder = os.environ.get(CONFIG_DIR_ENV)
    base = Path(folder).expanduser() if folder else platformdirs.user_config_path("audit-tui")
    return base / FILE_NAME


# -- reading -----------------------------------------------------------------------------------


def load_views(path: Path | None = None) -> dict[str, View]:
    """Every view of the file (none when it does not exist). Raises :class:`ViewError` for a
    file that is not TOML or holds a view that cannot be read (naming the file, and the line
    for a TOML error)."""
    path = path or views_path()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ViewError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ViewError(f"{path}: not UTF-8 text; fix or remove the file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ViewError(f"{path}: not valid TOML: {exc}; fix or remove the file") from None
    views = data.get("views", {})
    if not isinstance(views, dict):
        raise ViewError(f"{path}: [views] must be a table of views")
    out = {}
    for name, item in views.items():
        if not isinstance(item, dict):
            raise ViewError(f'{path}: [views."{name}"] must be a table')
        out[name] = _read_view(path, name, item)
    return out


def _strings(path: Path, name: str, item: dict[str, Any], key: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ViewError(f'{path}: view "{name}": {key} must be a list of strings')
    return tuple(value)


def _string(path: Path, name: str, item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise ViewError(f'{path}: view "{name}": {key} must be a string')
    return value


def _read_view(path: Path, name: str, item: dict[str, Any]) -> View:
    period = _string(path, name, item, "period") or "all"
    if period not in PERIODS and period != "custom":
        raise ViewError(
            f'{path}: view "{name}": period {period!r} is not one of {", ".join(PERIODS)}, custom'
        )
    sort = None
    if (spec := _string(path, name, item, "sort")) is not None:
        sort = parse_sort(spec, f'{path}: view "{name}"')
    zone = _string(path, name, item, "timezone") or "utc"
    if zone not in ("utc", "local"):
        raise ViewError(f'{path}: view "{name}": timezone must be "utc" or "local"')
    known = {
        "source", "sources", "search", "period", "since", "until", "actors", "event_types",
        "workspaces", "sort", "timezone", "input_format", "columns",
    }  # fmt: skip
    sources = _strings(path, name, item, "sources")
    return View(
        name=name,
        source=_string(path, name, item, "source") or (sources[0] if sources else ""),
        sources=sources if len(sources) > 1 else (),
        text=_string(path, name, item, "search") or "",
        period=period,
        since=_string(path, name, item, "since"),
        until=_string(path, name, item, "until"),
        actors=_strings(path, name, item, "actors"),
        event_types=_strings(path, name, item, "event_types"),
        workspaces=_strings(path, name, item, "workspaces"),
        sort=sort,
        utc=zone == "utc",
        input_format=_string(path, name, item, "input_format"),
        columns=_strings(path, name, item, "columns"),
        extra={k: v for k, v in item.items() if k not in known},
    )


def parse_sort(spec: str, where: str = "--sort") -> tuple[str, bool] | None:
    """``actor`` / ``actor:desc`` / ``audited_at:asc``: (column, reversed); None for the
    default (newest first)."""
    column, _, order = spec.partition(":")
    column = column.strip().lower().replace("-", "_")
    order = order.strip().lower() or ("desc" if column == "audited_at" else "asc")
    if column not in SORT_COLUMNS or order not in ("asc", "desc"):
        raise ViewError(
            f"{where}: sort {spec!r} is not COLUMN[:asc|desc] with COLUMN one of "
            + ", ".join(SORT_COLUMNS)
        )
    reverse = order == "asc" if column == "audited_at" else order == "desc"
    return None if column == "audited_at" and not reverse else (column, reverse)


def sort_spec(sort: tuple[str, bool]) -> str:
    column, reverse = sort
    if column == "audited_at":
        return "audited_at:asc" if reverse else "audited_at:desc"
    return f"{column}:{'desc' if reverse else 'asc'}"


# -- writing -----------------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return _toml_string(str(value))


def dumps(views: dict[str, View]) -> str:
    lines = [
        "# audit-tui saved views: edit freely (docs: README, 'Saved views'). A view never",
        "# holds a token or a password.",
    ]
    for name, view in views.items():
        lines += ["", f"[views.{_toml_string(name)}]"]
        entries: list[tuple[str, Any]] = [("source", view.source)]
        if view.sources:
            entries.append(("sources", list(view.sources)))
        if view.text:
            entries.append(("search", view.text))
        entries.append(("period", view.period))
        for key in ("since", "until", "input_format"):
            if getattr(view, key):
                entries.append((key, getattr(view, key)))
        for key in ("actors", "event_types", "workspaces"):
            if getattr(view, key):
                entries.append((key, list(getattr(view, key))))
        if view.sort is not None:
            entries.append(("sort", sort_spec(view.sort)))
        if view.columns:
            entries.append(("columns", list(view.columns)))
        entries.append(("timezone", "utc" if view.utc else "local"))
        entries += list(view.extra.items())
        lines += [f"{key} = {_toml_value(value)}" for key, value in entries]
    return "\n".join(lines) + "\n"


def save_view(view: View, path: Path | None = None) -> Path:
    """Add or replace ``view`` in the file (written to a temporary file, then renamed)."""
    path = path or views_path()
    views = load_views(path)
    views[view.name] = view
    _write(path, views)
    return path


def delete_view(name: str, path: Path | None = None) -> None:
    path = path or views_path()
    views = load_views(path)
    if views.pop(name, None) is not None:
        _write(path, views)


def _write(path: Path, views: dict[str, View]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".views-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(dumps(views))
            os.replace(tmp, path)
        except OSError:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise ViewError(f"{path}: cannot write ({exc.strerror})") from None


# -- the command line that reopens a view -----------------------------------------------------


def command_args(view: View) -> list[str]:
    """The arguments of ``audit-tui`` that open ``view`` exactly (relative periods stay
    relative)."""
    # values as --flag=VALUE, so one that starts with - (``-actor:x``) is never an option
    args = ["audit-tui"]
    for source in view.sources or (view.source,):
        if source and source != "-" and source.startswith("-"):
            source = "./" + source  # a file named like an option
        args.append(source if source else "--demo")
    if view.input_format:
        args.append(f"--input-format={view.input_format}")
    if view.text:
        args.append(f"--search={view.text}")
    if view.period == "custom":
        if view.since:
            args.append(f"--since={view.since}")
        if view.until:
            args.append(f"--until={view.until}")
    elif view.period != "all":
        args.append(f"--period={view.period}")
    for flag, values in (
        ("--actor", view.actors),
        ("--event-type", view.event_types),
        ("--workspace", view.workspaces),
    ):
        args += [f"{flag}={value}" for value in values]
    if view.sort is not None:
        args.append(f"--sort={sort_spec(view.sort)}")
    if view.columns:
        args.append(f"--columns={','.join(view.columns)}")
    if not view.utc:
        args.append("--local-time")
    return args


def command_line(view: View) -> str:
    """:func:`command_args` quoted for a POSIX shell: any value survives ``shlex.split``."""
    return shlex.join(command_args(view))
