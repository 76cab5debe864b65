"""The data layer never imports the UI: the command line, exports and the worker processes must
start without paying for (or depending on) textual."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import audit_tui

CORE = [
    "audit_tui",
    "audit_tui.model",
    "audit_tui.query",
    "audit_tui.store",
    "audit_tui.safe",
    "audit_tui.textindex",
    "audit_tui.sources.file",
    "audit_tui.sources.blocks",
    "audit_tui.sources.parallel",
    "audit_tui.commands.main",
]

PROBE = textwrap.dedent(
    """
    import importlib, importlib.util, json, sys
    names = json.loads(sys.argv[1])
    imported, heavy = [], {}
    for name in names:
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name)
        imported.append(name)
        if "textual" in sys.modules and name not in heavy:
            heavy[name] = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))[:5]
            break
    print(json.dumps({"imported": imported, "heavy": heavy, "textual": "textual" in sys.modules}))
    """
)


def _probe(names: list[str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_core_does_not_import_textual() -> None:
    result = _probe(CORE)
    assert result["imported"][:9] == CORE[:9]  # the data layer is all there
    assert not result["textual"], f"textual imported by {result['heavy']}"


def _non_ui_modules() -> list[str]:
    root = Path(audit_tui.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = rel.parts
        if parts[0] == "tui" or parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(("audit_tui", *parts)))
    return names


def test_no_module_outside_tui_imports_textual() -> None:
    names = _non_ui_modules()
    assert "audit_tui.store" in names and not any(".tui" in n for n in names)
    result = _probe(names)
    assert not result["textual"], f"textual imported by {result['heavy']}"


@pytest.mark.parametrize("name", ["audit_tui.sources.parallel"])
def test_worker_module_alone(name: str) -> None:
    """Spawned loader workers import only this module (and what it needs)."""
    result = _probe([name])
    assert result["imported"] == [name] and not result["textual"]


def test_import_contracts_hold() -> None:
    """The layers, the absence of cycles and the textual boundary declared in pyproject.toml
    ([tool.importlinter]) hold for the code as it is, function-level imports included."""
    lint = Path(sys.executable).with_name("lint-imports")
    root = Path(audit_tui.__file__).resolve().parents[2]
    proc = subprocess.run(
        [str(lint), "--no-cache"], capture_output=True, text=True, timeout=300, cwd=root
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in proc.stdout


def _private_imports(path: Path) -> list[str]:
    """`from audit_tui.x import _name` of a private name of another module (at any depth)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("audit_tui"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.name}:{node.lineno} {node.module}.{alias.name}")
    return found


def test_no_module_imports_a_private_name_of_another() -> None:
    root = Path(audit_tui.__file__).parent
    offences = [hit for path in sorted(root.rglob("*.py")) for hit in _private_imports(path)]
    assert offences == []


def test_private_import_check_sees_function_level_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from audit_tui.store import _secret\n")
    assert _private_imports(sample) == ["m.py:2 audit_tui.store._secret"]
