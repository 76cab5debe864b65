"""Fixtures for the browser's Pilot and snapshot tests (helpers live in helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "guarded_failures: the test expects the browser's guard to catch an error"
    )


@pytest.fixture(autouse=True)
def no_guarded_failures(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The guard keeps the app running when a handler raises; a test must still fail then
    (unless it is about the guard), as it did when the app closed with the error."""
    caught: list[str] = []
    guard = AuditApp.guard

    def recording(self: AuditApp, error: Exception, where: str) -> bool:
        handled = guard(self, error, where)
        if handled:
            caught.append(f"{where}: {error!r}")
        return handled

    monkeypatch.setattr(AuditApp, "guard", recording)
    yield
    if request.node.get_closest_marker("guarded_failures") is None:
        assert caught == [], "a handler raised (caught by the guard)"
