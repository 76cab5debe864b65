"""The engines a ClickHouse source runs on, behind one small interface.

``chdb:PATH`` opens a database directory with chDB, in this process. Every value reaches the
engine as a query parameter (``{name:Type}`` in the SQL text); the SQL text itself only ever
holds names and a validated table identifier.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import orjson

from audit_tui.config import Config, ConfigError, Profile, load_config

CHDB_PREFIX = "chdb:"
SERVER_SCHEMES = ("clickhouse://", "clickhouses://")
PASSWORD_ENV = "AUDIT_TUI_CLICKHOUSE_PASSWORD"
PASSWORD_FILE_ENV = "AUDIT_TUI_CLICKHOUSE_PASSWORD_FILE"


COMMAND_TIMEOUT = 30.0  # seconds a profile's password_command may take


def server_password(
    password_file: str | None = None,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    config: Callable[[], Config] = load_config,
) -> str:
    """The server's password, from the first of: ``password_file`` (``--password-file``); the
    config profile ``profile`` (its ``password_file``, ``password_command`` or
    ``password_env``); the file ``$AUDIT_TUI_CLICKHOUSE_PASSWORD_FILE`` names;
    ``$AUDIT_TUI_CLICKHOUSE_PASSWORD``; none. A file's (or the command's output's) first line
    is the password, its newline is not. Never from a URL or the command line, never shown."""
    env = os.environ if environ is None else environ
    if password_file:
        return _first_line_of(Path(password_file), "password file")
    if profile:
        prof = clickhouse_profile(profile, config)
        where = f"profile {profile}"
        if prof.password_file is not None:
            return _first_line_of(prof.password_file, f"{where}: password_file")
        if prof.password_command is not None:
            return _run_password_command(prof.password_command, where)
        if prof.password_env is not None:
            if prof.password_env not in env:
                raise ClickHouseError(
                    f"{where}: the environment variable {prof.password_env} is not set"
                )
            return env[prof.password_env]
    path = env.get(PASSWORD_FILE_ENV)
    if path:
        return _first_line_of(Path(path), "password file")
    return env.get(PASSWORD_ENV, "")


def clickhouse_profile(name: str, config: Callable[[], Config] = load_config) -> Profile:
    """The config file's profile ``name``, which must name a ClickHouse server."""
    try:
        cfg = config()
    except ConfigError as exc:
        raise ClickHouseError(str(exc)) from None
    prof = cfg.profiles.get(name)
    if prof is None:
        known = ", ".join(sorted(cfg.profiles)) or "none defined"
        raise ClickHouseError(f"no profile {name!r} in the config file (profiles: {known})")
    if not prof.clickhouse:
        raise ClickHouseError(
            f"profile {name} is an audit API ({prof.url.split('://')[0]}://), not a ClickHouse "
            "server: its url must start with clickhouse:// or clickhouses://"
        )
    return prof


def _first_line_of(path: Path, what: str) -> str:
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ClickHouseError(f"{what} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or type(exc).__name__
        raise ClickHouseError(f"{what} {path}: cannot read it ({why})") from None
    lines = text.splitlines()
    return lines[0] if lines else ""


def _run_password_command(argv: list[str], where: str) -> str:
    """The first line a profile's ``password_command`` prints. Its output is never shown, not
    even when it fails (it may hold the password): only how it failed."""
    import subprocess

    name = os.path.basename(argv[0])
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise ClickHouseError(f"{where}: password_command {name}: no such command") from None
    except subprocess.TimeoutExpired:
        raise ClickHouseError(
            f"{where}: password_command {name} took longer than {COMMAND_TIMEOUT:.0f} s"
        ) from None
    except OSError as exc:
        raise ClickHouseError(
            f"{where}: password_command {name} cannot run ({exc.strerror or exc})"
        ) from None
    if done.returncode != 0:
        raise ClickHouseError(
            f"{where}: password_command {name} failed (exit status {done.returncode}); run it "
            "yourself to see why"
        )
    try:
        lines = done.stdout.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise ClickHouseError(f"{where}: password_command {name} printed no UTF-8 text") from None
    return lines[0] if lines else ""


DEFAULT_TABLE = "audit_events"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,126}$")

# How ClickHouse reads a parameter's text (its "escaped" format): the characters that would end
# or change it are written as backslash escapes (the backslash first).
_ESCAPES = (
    ("\\", "\\\\"),
    ("\n", "\\n"),
    ("\t", "\\t"),
    ("\r", "\\r"),
    ("\0", "\\0"),
    ("\b", "\\b"),
    ("\f", "\\f"),
)


def escape(text: str) -> str:
    for char, escaped in _ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


Param = str | int | Sequence[str] | Sequence[int]


class ClickHouseError(Exception):
    """The engine refused or failed a statement: one line for the user."""


def is_chdb(spec: str | None) -> bool:
    return bool(spec) and str(spec).startswith(CHDB_PREFIX)


def table_name(name: str) -> str:
    """``name`` quoted as an identifier, after checking it is a plain one (letters, digits,
    underscores): the one name that goes into the SQL text."""
    if not _IDENTIFIER.match(name):
        raise ClickHouseError(
            f"invalid table name {name!r}: use letters, digits and underscores (audit_events)"
        )
    return f"`{name}`"


def encode_param(value: Param) -> str:
    """A parameter's value as the engine reads it: text escaped, an array of text quoted."""
    if isinstance(value, bool):
        raise TypeError("booleans are not parameters here")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return escape(value)
    items = (
        str(v) if isinstance(v, int) else "'" + escape(v).replace("'", "\\'") + "'" for v in value
    )  # an array literal
    return "[" + ",".join(items) + "]"


class Engine(Protocol):
    """What the loader and the query object need from ClickHouse."""

    label: str

    def rows(self, sql: str, params: Mapping[str, Param] | None = None) -> list[dict[str, Any]]:
        """The rows of a SELECT, as dicts."""

    def command(self, sql: str, params: Mapping[str, Param] | None = None) -> None:
        """Run a statement that returns nothing (DDL, INSERT … SELECT)."""

    def insert_select(
        self, sqls: Sequence[str], data: bytes, structure: str, params: Mapping[str, Param]
    ) -> None:
        """Run ``sqls`` in order, each an INSERT … SELECT whose ``{rows}`` placeholder stands
        for a table function reading ``data`` (JSON lines of columns ``structure``)."""

    def close(self) -> None: ...


class ChdbEngine:
    """ClickHouse embedded in this process (chDB) over a database directory."""

    def __init__(self, path: str) -> None:
        try:
            from chdb import session
        except ImportError as exc:  # an optional extra
            raise ClickHouseError(
                "chdb:PATH needs chDB: pip install 'audit-tui[clickhouse]'"
            ) from exc
        if not path:
            raise ClickHouseError("chdb: needs a database directory: chdb:/path/to/db")
        self.label = f"{CHDB_PREFIX}{path}"
        self._session: Any = session.Session(path)  # type: ignore[no-untyped-call]
        # one query at a time: a chDB session is not safe to use from several threads at once
        # (serve answers requests in a thread pool, the browser in workers)
        self._lock = threading.Lock()

    def _run(self, sql: str, fmt: str, params: Mapping[str, Param] | None) -> Any:
        encoded = {k: encode_param(v) for k, v in (params or {}).items()}
        try:
            with self._lock:
                return self._session.query(sql, fmt, params=encoded)
        except Exception as exc:  # chDB raises its own error types (and RuntimeError)
            raise ClickHouseError(_first_line(str(exc))) from exc

    def rows(self, sql: str, params: Mapping[str, Param] | None = None) -> list[dict[str, Any]]:
        data = self._run(sql, "JSONEachRow", params).bytes()
        return [orjson.loads(line) for line in data.splitlines() if line]

    def command(self, sql: str, params: Mapping[str, Param] | None = None) -> None:
        self._run(sql, "CSV", params)

    def insert_select(
        self, sqls: Sequence[str], data: bytes, structure: str, params: Mapping[str, Param]
    ) -> None:
        # a file is read at C speed; a parameter this size would be parsed slowly
        with tempfile.NamedTemporaryFile(suffix=".jsonl") as f:
            f.write(data)
            f.flush()
            source = f"file({{batch_path:String}}, JSONEachRow, '{structure}')"
            for sql in sqls:
                self.command(sql.replace("{rows}", source), {**params, "batch_path": f.name})

    def close(self) -> None:
        self._session.close()


def _first_line(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else "ClickHouse failed"
    return line[:500]


class ConnectEngine:
    """A ClickHouse server over HTTP(S), through the official driver (clickhouse-connect).

    ``clickhouse://[user@]host[:port]/DATABASE`` (``clickhouses://`` for TLS, verified with the
    profile's ``ca_bundle`` when it names one); the password comes from
    :func:`server_password`, never from the URL, and is never shown."""

    def __init__(
        self, url: str, password_file: str | None = None, profile: str | None = None
    ) -> None:
        parts = urlsplit(url)
        secure = parts.scheme == "clickhouses"
        if parts.password is not None:
            raise ClickHouseError(
                "put no password in a clickhouse:// URL: use --password-file PATH, a profile's "
                "password_file or password_command, AUDIT_TUI_CLICKHOUSE_PASSWORD_FILE or "
                "AUDIT_TUI_CLICKHOUSE_PASSWORD"
            )
        if not parts.hostname:
            raise ClickHouseError(f"no host in {parts.scheme}:// URL: {parts.scheme}://host/db")
        try:
            port = parts.port or (8443 if secure else 8123)
        except ValueError as exc:
            raise ClickHouseError(f"invalid port in the {parts.scheme}:// URL") from exc
        database = parts.path.strip("/") or "default"
        user = unquote(parts.username) if parts.username else "default"
        self.label = f"{parts.scheme}://{user}@{parts.hostname}:{port}/{database}"
        password = server_password(password_file, profile)
        self._password = password
        ca_bundle = clickhouse_profile(profile).ca_bundle if profile else None
        tls: dict[str, Any] = {} if ca_bundle is None else {"ca_cert": str(ca_bundle)}
        try:
            import clickhouse_connect
        except ImportError as exc:
            raise ClickHouseError(
                "clickhouse:// needs clickhouse-connect: pip install 'audit-tui[clickhouse]'"
            ) from exc
        try:
            self._client: Any = clickhouse_connect.get_client(
                host=parts.hostname,
                port=port,
                username=user,
                password=password,
                database=database,
                secure=secure,
                **tls,
            )
        except Exception as exc:  # the driver's own errors: one line, no traceback
            raise ClickHouseError(f"{self.label}: {self._said(exc)}") from None

    def rows(self, sql: str, params: Mapping[str, Param] | None = None) -> list[dict[str, Any]]:
        try:
            result = self._client.query(sql, parameters=dict(params or {}))
            return list(result.named_results())
        except Exception as exc:
            raise ClickHouseError(self._said(exc)) from None

    def command(self, sql: str, params: Mapping[str, Param] | None = None) -> None:
        try:
            self._client.command(sql, parameters=dict(params or {}))
        except Exception as exc:
            raise ClickHouseError(self._said(exc)) from None

    def insert_select(
        self, sqls: Sequence[str], data: bytes, structure: str, params: Mapping[str, Param]
    ) -> None:
        # the rows travel in the request's body, read by the input() table function
        for sql in sqls:
            statement = sql.replace("{rows}", f"input('{structure}')") + " FORMAT JSONEachRow"
            try:
                self._client.command(statement, parameters=dict(params), data=data)
            except Exception as exc:
                raise ClickHouseError(self._said(exc)) from None

    def _said(self, exc: Exception) -> str:
        """The driver's message, one line, the password never in it (whatever it quotes)."""
        text = str(exc)
        if self._password:
            text = text.replace(self._password, "***")
        return _first_line(text)

    def close(self) -> None:
        self._client.close()


def is_clickhouse(spec: str | None) -> bool:
    """True for a ClickHouse source: ``chdb:PATH``, ``clickhouse://`` or ``clickhouses://``."""
    return is_chdb(spec) or str(spec or "").startswith(SERVER_SCHEMES)


def open_engine(spec: str, password_file: str | None = None, profile: str | None = None) -> Engine:
    """The engine a source spec names: ``chdb:PATH``, ``clickhouse://…`` or ``clickhouses://…``
    (a server's password: :func:`server_password`, from ``--password-file``, the config
    ``profile``, or the environment)."""
    if is_chdb(spec):
        return ChdbEngine(spec[len(CHDB_PREFIX) :])
    if spec.startswith(SERVER_SCHEMES):
        return ConnectEngine(spec, password_file, profile)
    raise ClickHouseError(
        f"not a ClickHouse source: {spec!r} (use chdb:PATH or clickhouse://host/db)"
    )
