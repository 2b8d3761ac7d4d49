"""Domain code knows no Dagster, and the model libraries load only where training or gating runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Pure domain packages.
DOMAIN_PACKAGES = [
    "sources",
    "pricing",
    "mapping",
    "features",
    "modeling",
    "signals",
    "simulator",
    "quality",
    "live",
    "trading",
]
MODEL_LIBRARIES = ["xgboost", "mlflow", "sklearn"]
# Modules of a domain package that are Dagster by design: the venue resources, which wrap the pure
# clients for the code location, are kept in this one module so the rest of `sources` needs no Dagster.
DAGSTER_MODULES = ["edge_assets.sources.resources"]


def _loaded_after_import(package: str, *, submodules: bool) -> list[str]:
    """Which of dagster and the model libraries a fresh interpreter holds after importing `package`
    (and, with `submodules`, every module inside it but the `DAGSTER_MODULES`)."""
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"package = importlib.import_module({package!r})\n"
        f"if {submodules!r}:\n"
        "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        f"        if info.name not in {DAGSTER_MODULES!r}:\n"
        "            importlib.import_module(info.name)\n"
        f"print(json.dumps([name for name in {['dagster', *MODEL_LIBRARIES]!r} if name in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_no_module_of_a_domain_package_imports_dagster(package):
    assert "dagster" not in _loaded_after_import(f"edge_assets.{package}", submodules=True)


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_importing_a_domain_package_loads_no_model_library(package):
    assert _loaded_after_import(f"edge_assets.{package}", submodules=False) == []


def test_the_training_module_is_where_the_model_libraries_load():
    assert "xgboost" in _loaded_after_import("edge_assets.modeling.training", submodules=False)
