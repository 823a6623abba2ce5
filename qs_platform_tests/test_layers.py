"""The import direction of the code base: a package imports only packages of its own layer or below.

Library (no Dagster): processes/sql → config → lake → ingest, pull, collect, examples → catalog → transform →
quicksight; the local stand-ins on the library; then the Dagster layer (runtime, orchestration), the project that
assembles it, and the command line on top. Every import counts, including those inside functions.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qs_platform"

LAYERS = {
    "processes": 0,
    "sql": 0,
    "config": 1,
    "lake": 2,
    "httpserve": 2,
    "ingest": 3,
    "pull": 3,
    "collect": 3,
    "examples": 3,
    "catalog": 4,
    "transform": 5,
    "quicksight": 6,
    "local": 7,
    "runtime": 8,
    "orchestration": 9,
    "project": 10,
    "definitions": 10,
    "cli": 11,
}
DAGSTER_LAYER = 8  # below it, nothing imports dagster or dagster_aws


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    module = module_name(path)
    return imports_of(path.read_text(), module if path.name == "__init__.py" else module.rsplit(".", 1)[0])


def imports_of(source: str, package: str) -> set[str]:
    """Every module a source imports (relative imports resolved against `package`)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.add(node.module)
    return found


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "qs_platform" and len(parts) > 1 else parts[0]


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_package_has_a_layer():
    assert {top(module_name(p)) for p in MODULES} - {"qs_platform"} <= set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_go_down_the_layers(path):
    mine = top(module_name(path))
    if mine == "qs_platform":
        return
    level = LAYERS[mine]
    module = module_name(path)
    upward = upward_imports(path.read_text(), module, module if path.name == "__init__.py" else None)
    assert upward == [], f"{module_name(path)} (layer {level}) imports higher layers: {upward}"
    if level < DAGSTER_LAYER:
        dagster = sorted(i for i in imports(path) if i.split(".")[0] in ("dagster", "dagster_aws", "dagster_shared"))
        assert dagster == [], f"{module_name(path)} is library code and imports {dagster}"


def upward_imports(source: str, module: str, package: str | None = None) -> list[str]:
    """The imports of `module` (its source) from layers above its own."""
    level = LAYERS[top(module)]
    found = imports_of(source, package or module.rsplit(".", 1)[0])
    return sorted(i for i in found if i.startswith("qs_platform.") and LAYERS.get(top(i), -1) > level)


def test_the_check_catches_an_upward_import_even_inside_a_function():
    source = "def f():\n    from qs_platform.orchestration.raw import build_raw_asset\n    from ..ingest import keys\n"
    assert upward_imports(source, "qs_platform.lake.x") == ["qs_platform.ingest", "qs_platform.orchestration.raw"]
    assert upward_imports(source, "qs_platform.cli.x") == []
