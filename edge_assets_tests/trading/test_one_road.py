"""The venue is reachable only through the risk guard: by module structure, and at run time."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import edge_assets
from edge_assets.environment import SIMULATOR_CLOB_CREDENTIALS
from edge_assets.trading import guard
from edge_assets.trading._venue import ClobVenue
from edge_assets.trading.guard import Clearance, ProposedOrder
from edge_assets.trading.limits import ExecutionSettings

PACKAGE_ROOT = Path(edge_assets.__file__).parent
VENUE_MODULE = "edge_assets.trading._venue"
ORDER = ProposedOrder("s1", "m1", "t1", "Yes", 0.5, 10.0)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _importers(module: str) -> set[str]:
    return {
        str(path.relative_to(PACKAGE_ROOT))
        for path in PACKAGE_ROOT.rglob("*.py")
        if any(name == module or name.startswith(module + ".") for name in _imports(path))
    }


def test_only_the_guard_imports_the_venue_and_only_the_venue_the_order_client():
    assert _importers(VENUE_MODULE) == {"trading/guard.py"}
    # py-clob-client's ClobClient is what posts orders (the simulator uses only its signing helpers).
    assert _importers("py_clob_client.client") == {"trading/_venue.py"}


def test_the_venue_refuses_an_order_without_the_guards_clearance():
    venue = ClobVenue("http://127.0.0.1:9", SIMULATOR_CLOB_CREDENTIALS, ExecutionSettings(), guard._SEAL)
    with pytest.raises(PermissionError):
        venue.place(ORDER)
    with pytest.raises(PermissionError):
        venue.place(Clearance(ORDER, "forged", object()))


def test_a_clearance_is_good_for_one_order():
    venue = ClobVenue(
        "http://127.0.0.1:9",
        SIMULATOR_CLOB_CREDENTIALS,
        ExecutionSettings(max_attempts=1),
        guard._SEAL,
        sleep=lambda _: None,
    )
    clearance = Clearance(ORDER, "once", guard._SEAL)
    assert venue.place(clearance).status == "failed"  # nothing listens on port 9
    with pytest.raises(PermissionError):
        venue.place(clearance)
