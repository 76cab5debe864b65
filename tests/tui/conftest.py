"""Fixtures for the browser's Pilot and snapshot tests (helpers live in helpers.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from audit_tui.tui.app import AuditApp
from audit_tui.tui.failures import STATE_DIR_ENV

from .helpers import make_app


@pytest.fixture
def app_factory() -> Callable[..., AuditApp]:
    return make_app


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The failure log of every app in these tests goes to a temporary folder, never $HOME."""
    folder = tmp_path / "state"
    monkeypatch.setenv(STATE_DIR_ENV, str(folder))
    return folder
