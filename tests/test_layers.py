"""The house's floors: no module cycle anywhere, and contracts that would catch a breach.

``lint-imports`` (run by ./scripts/test) checks the contracts in pyproject.toml; these tests
check what it does not: that no module imports another that imports it back, even through a
package's ``__init__`` (which import-linter's sibling check leaves out), that the "imports
nothing else of ixion" contracts name every package there is, and that a deliberate breach
does fail the linter, so a contract cannot silently stop matching anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "ixion"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contracts() -> dict[str, dict[str, list[str]]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, list[str]]] = config["tool"]["importlinter"]["contracts"]
    return {str(contract["id"]): contract for contract in contracts}


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    imported = sorted(graph.find_modules_directly_imported_by(target))
                    work.append((target, iter(imported)))
                    break
                if target in on_stack:
                    low[module] = min(low[module], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = grimp.build_graph("ixion", cache_dir=None)
    assert len(graph.modules) > 100  # the whole package was read
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_through_a_package_init() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.registry_member", "pkg.other"):
        graph.add_module(module)
    graph.add_import(importer="pkg", imported="pkg.registry_member")
    graph.add_import(importer="pkg.registry_member", imported="pkg.other")
    assert _cycles(graph) == []
    graph.add_import(importer="pkg.other", imported="pkg")
    assert _cycles(graph) == [["pkg", "pkg.other", "pkg.registry_member"]]


def test_the_lonely_floors_forbid_every_other_package() -> None:
    packages = {f"ixion.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    for contract_id in ("ntp-alone", "plugin-api-alone", "store-alone"):
        contract = _contracts()[contract_id]
        (source,) = contract["source_modules"]
        assert set(contract["forbidden_modules"]) == packages - {source}


def test_a_deliberate_breach_fails_the_linter(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "src" / "ixion")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    values = tmp_path / "src" / "ixion" / "nasl" / "runtime" / "values.py"
    values.write_text(values.read_text() + "\nfrom ixion.engine import job as _job\n")
    offer = tmp_path / "src" / "ixion" / "server" / "offer.py"
    offer.write_text(offer.read_text() + "\nfrom ixion.server import connection as _c\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ixion.nasl.runtime.values -> ixion.engine.job" in result.stdout
    assert ".offer -> .connection" in result.stdout
    assert "Contracts: 10 kept, 2 broken." in result.stdout
