"""The remote source: an audit HTTP API browsed page by page, filters pushed to the server.

- :mod:`.client`: :class:`RemoteClient`, the one facade over httpx (retries, errors, pages).
- :mod:`.sync`: :class:`SyncRemoteClient` / :class:`SyncRemotePager` for blocking callers.
- :mod:`.pager`: :class:`RemotePager`, what the browser holds of a remote query.
- :mod:`.settings`: URL, token (never shown), timeout, page size, CA bundle; config profiles.
- :mod:`.errors`: the only exceptions that leave the client.
- :mod:`.cli`: ``audit-tui URL`` and ``audit-tui query URL``.

Imports run one way, bottom up: errors, settings (plain values), client, pager, sync; cli and
exporting sit on top. The contract is in ``docs/api.md``. Nothing here imports textual; names
load lazily.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "FacetCount": "client",
    "Page": "client",
    "RemoteClient": "client",
    "query_params": "client",
    "AuthError": "errors",
    "CursorError": "errors",
    "NetworkError": "errors",
    "PayloadError": "errors",
    "RateLimitError": "errors",
    "RemoteError": "errors",
    "RemoteTimeoutError": "errors",
    "ServerError": "errors",
    "SettingsError": "errors",
    "RemoteFacets": "pager",
    "RemotePager": "pager",
    "RemoteSettings": "settings",
    "Secret": "settings",
    "is_url": "settings",
    "resolve_settings": "settings",
    "SyncRemoteClient": "sync",
    "SyncRemotePager": "sync",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:  # lazy: `audit-tui file.jsonl` never imports httpx
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'audit_tui.remote' has no attribute {name!r}")
    return getattr(importlib.import_module(f"audit_tui.remote.{module}"), name)
