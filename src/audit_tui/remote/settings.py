"""Where a remote source is and how to reach it: URL, token, timeout, page size, CA bundle.

The token is read from ``--token-file PATH``, a config profile (``token_env`` or
``token_file``) or ``$AUDIT_TUI_TOKEN`` - in that order - and is held in a :class:`Secret`
whose ``repr`` and ``str`` never show it. There is deliberately no way to pass it as a
command-line value (it would land in shell history and ``ps``).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit_tui.remote.errors import SettingsError

if TYPE_CHECKING:  # the config (and pydantic) is read only when a profile is named
    from audit_tui.config import Config

TOKEN_ENV = "AUDIT_TUI_TOKEN"
DEFAULT_TIMEOUT = 10.0
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class Secret:
    """A value that is never shown: ``repr``/``str``/formatting give ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: object) -> Secret:
        return self

    def __reduce__(self) -> tuple[object, ...]:  # never pickled into a file or a worker
        raise TypeError("a Secret cannot be pickled")


def is_url(spec: str | None) -> bool:
    """True when a SOURCE names a remote endpoint rather than a file."""
    return bool(spec) and spec.lower().startswith(("http://", "https://"))  # type: ignore[union-attr]


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_warning(url: str, has_token: bool) -> str | None:
    """The warning to show when a token would cross the network unencrypted, else None."""
    import httpx

    parsed = httpx.URL(url)
    if not has_token or parsed.scheme != "http" or is_loopback(parsed.host):
        return None
    return (
        f"warning: sending the token over plain http to {parsed.host}: anyone on the way can "
        "read it; use https"
    )


@dataclass(frozen=True)
class RemoteSettings:
    """Everything needed to open a client, as plain values. ``RemoteClient.from_settings``
    and ``SyncRemoteClient.from_settings`` build one: this module sits below both."""

    url: str
    token: Secret | None = None
    token_origin: str = ""  # where the token came from, for messages ("$AUDIT_TUI_TOKEN")
    timeout: float = DEFAULT_TIMEOUT
    page_size: int = DEFAULT_PAGE_SIZE
    ca_bundle: Path | None = None
    profile: str | None = None


def read_token_file(path: Path, what: str) -> Secret:
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{what} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise SettingsError(f"{what} {path}: cannot read it ({reason})") from None
    return _check_token(text.strip(), f"{what} {path}")


def _check_token(value: str, origin: str) -> Secret:
    if not value:
        raise SettingsError(f"the token from {origin} is empty")
    if not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
        # never echo it: say only what is wrong
        raise SettingsError(
            f"the token from {origin} holds spaces or characters that cannot go into an HTTP "
            "header; check it"
        )
    return Secret(value)


def resolve_settings(
    source: str | None,
    *,
    profile: str | None = None,
    token_file: str | Path | None = None,
    timeout: float | None = None,
    page_size: int | None = None,
    ca_bundle: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    config: Callable[[], Config] | None = None,
) -> RemoteSettings:
    """The settings for SOURCE (a URL) and/or a profile; command-line values win over the
    profile's, the profile's over ``$AUDIT_TUI_TOKEN``. Raises :class:`SettingsError`."""
    env = os.environ if environ is None else environ
    prof = None
    if profile:
        from audit_tui.config import ConfigError, load_config

        try:
            cfg = (config or load_config)()
        except ConfigError as exc:
            raise SettingsError(str(exc)) from None
        prof = cfg.profiles.get(profile)
        if prof is None:
            known = ", ".join(sorted(cfg.profiles)) or "none defined"
            raise SettingsError(f"no profile {profile!r} in the config file (profiles: {known})")
        if prof.clickhouse:
            raise SettingsError(
                f"profile {profile} is a ClickHouse server, not an audit API: give it where a "
                f"ClickHouse source goes (audit-tui query --profile {profile}), or as the target "
                f"of a load (--into {profile})"
            )
    url = source or (prof.url if prof else None)
    if not url:
        raise SettingsError("give the API endpoint URL as SOURCE, or --profile NAME")
    url = _check_url(url)

    token: Secret | None = None
    origin = ""
    if token_file:
        token, origin = read_token_file(Path(token_file), "--token-file"), "--token-file"
    elif prof is not None and prof.token_file is not None:
        token = read_token_file(prof.token_file, f"profile {profile}: token_file")
        origin = f"profile {profile} (token_file)"
    elif prof is not None and prof.token_env:
        value = env.get(prof.token_env)
        if value is None:
            raise SettingsError(
                f"profile {profile}: the environment variable {prof.token_env} is not set"
            )
        token, origin = _check_token(value.strip(), f"${prof.token_env}"), f"${prof.token_env}"
    elif env.get(TOKEN_ENV):
        token, origin = _check_token(env[TOKEN_ENV].strip(), f"${TOKEN_ENV}"), f"${TOKEN_ENV}"

    timeout = timeout if timeout is not None else (prof.timeout if prof else DEFAULT_TIMEOUT)
    if not 0 < timeout <= 600:
        raise SettingsError("--timeout takes seconds between 0 and 600, e.g. --timeout 10")
    size = page_size if page_size is not None else (prof.page_size if prof else DEFAULT_PAGE_SIZE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise SettingsError(f"--page-size takes a number from 1 to {MAX_PAGE_SIZE}")
    bundle = Path(ca_bundle).expanduser() if ca_bundle else (prof.ca_bundle if prof else None)
    if bundle is not None and not bundle.exists():
        raise SettingsError(f"CA bundle {bundle}: no such file or folder")
    return RemoteSettings(url, token, origin, float(timeout), size, bundle, profile)


def _check_url(url: str) -> str:
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise SettingsError(
            f"not a usable URL ({exc}): give e.g. https://host/api/v2/audit-logs"
        ) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SettingsError("the URL needs http:// or https:// and a host")
    if parsed.userinfo:
        raise SettingsError(
            "the URL holds a user name or password; put the token in $AUDIT_TUI_TOKEN or a "
            "--token-file instead"
        )
    return url


REDACT_RUN = 8  # a run of this many characters of the token is redacted too


def redact(text: str, token: Secret | None) -> str:
    """``text`` with the token, and any run of at least :data:`REDACT_RUN` of its characters
    (a prefix left by a cut, a suffix, a middle), replaced by ``[token]``. Call it on the
    whole text *before* cutting it, and again on what is shown."""
    if token is None or not token.reveal() or not text:
        return text
    secret = token.reveal()
    text = text.replace(secret, "[token]")
    if len(secret) <= REDACT_RUN:
        return text
    runs = {secret[i : i + REDACT_RUN] for i in range(len(secret) - REDACT_RUN + 1)}
    out: list[str] = []
    i = start = 0
    while i <= len(text) - REDACT_RUN:
        if text[i : i + REDACT_RUN] not in runs:
            i += 1
            continue
        end = i + REDACT_RUN
        while end < len(text) and text[i : end + 1] in secret:
            end += 1
        out += [text[start:i], "[token]"]
        i = start = end
    out.append(text[start:])
    return "".join(out)
