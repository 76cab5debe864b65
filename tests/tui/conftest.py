"""Fixtures for the browser's Pilot and snapshot tests (helpers live in helpers.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audit_tui.tui.app import AuditApp

from .helpers import make_app


@pytest.fixture
def app_factory() -> Callable[..., AuditApp]:
    return make_app
