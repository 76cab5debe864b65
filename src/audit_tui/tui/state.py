"""The immutable values the main screen owns and hands down to its widgets."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from audit_tui.query import Query
from audit_tui.store import Store

EMPTY = np.empty(0, np.int64)


@dataclass(frozen=True, eq=False)
class View:
    """The matches of ``query`` in ``store``, newest first, as sorted store positions.

    ``complete`` is False while only the first page of a new search is known (the count comes
    next). Views compare by identity, so every new view reaches the widgets bound to it.
    """

    store: Store | None = None
    query: Query = field(default_factory=Query)
    positions: np.ndarray = field(default_factory=lambda: EMPTY)
    total: int = 0
    complete: bool = True

    @property
    def count(self) -> int:
        return len(self.positions)


@dataclass(frozen=True)
class LoadState:
    """How far the source has loaded, for the status line."""

    label: str = ""
    format_name: str = ""
    loading: bool = True
    progress: float = 0.0
    total: int = 0
    skipped: int = 0
    error: str | None = None

    @classmethod
    def of(cls, store: Store | None) -> LoadState:
        if store is None:
            return cls()
        return cls(
            label=store.label,
            format_name=store.format_name,
            loading=store.loading,
            progress=store.progress,
            total=store.total,
            skipped=store.skipped_count,
            error=store.error,
        )
