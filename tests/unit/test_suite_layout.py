"""The suites' own seams: helpers live in tests/support, never in a conftest.py, and the unit
suites lean on nothing the integration suites own (a unit test runs without their processes).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
# What a unit test may import from tests/: the shared helpers, and the deploy harness's
# stand-in table, which tests/unit/deploy checks against deploy/ (code under test).
UNIT_MAY_IMPORT = ("tests.support", "tests.deploy.standins")


def imported_modules(source: str, module: str) -> list[str]:
    """Return every module the code of ``module`` imports (relative imports resolved)."""
    package = module.split(".")[:-1]
    modules: list[str] = []
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            modules.append(module)
            # ``from tests.x import conftest`` imports a module too
            modules.extend(f"{module}.{alias.name}" for alias in node.names)
    return modules


def conftest_imports(source: str, module: str) -> list[str]:
    return [m for m in imported_modules(source, module) if m.split(".")[-1] == "conftest"]


def foreign_imports(source: str, module: str) -> list[str]:
    """Return what a unit test module imports from tests/ beyond ``UNIT_MAY_IMPORT``."""
    return [m for m in imported_modules(source, module) if m.split(".")[0] == "tests"
            and not any(m == allowed or m.startswith(allowed + ".")
                        for allowed in UNIT_MAY_IMPORT)]


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(TESTS)))
def test_no_module_imports_a_conftest(path: Path) -> None:
    assert conftest_imports(path.read_text(), module_of(path)) == []


@pytest.mark.parametrize("path", sorted((TESTS / "unit").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(TESTS)))
def test_unit_suites_import_only_the_shared_helpers(path: Path) -> None:
    assert foreign_imports(path.read_text(), module_of(path)) == []


def test_the_checks_see_what_they_forbid() -> None:
    """The walk finds absolute, relative and module-as-name imports of what is forbidden."""
    source = ("from tests.integration.proxy import upstream\n"
              "from .conftest import make_proxy\n"
              "from tests.unit.backend import conftest\n"
              "import tests.comparative.scenario\n"
              "def later():\n"
              "    from tests.support.processes import free_port\n")
    module = "tests.unit.proxy.test_probe"
    assert conftest_imports(source, module) == ["tests.unit.proxy.conftest",
                                                "tests.unit.backend.conftest"]
    assert foreign_imports(source, module) == [
        "tests.integration.proxy", "tests.integration.proxy.upstream",
        "tests.unit.proxy.conftest", "tests.unit.proxy.conftest.make_proxy",
        "tests.unit.backend", "tests.unit.backend.conftest", "tests.comparative.scenario"]
