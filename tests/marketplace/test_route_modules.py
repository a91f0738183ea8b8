"""The API's route modules: one router per resource, each standing on the modules below the
routes (lookups, pagination, views, schemas), never on another route module."""

import ast
from pathlib import Path

import marketplace.api.routes

ROUTES = Path(marketplace.api.routes.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_each_route_module_has_a_router_and_imports_no_other_route_module() -> None:
    modules = sorted(p for p in ROUTES.glob("*.py") if p.name != "__init__.py")
    assert modules
    for path in modules:
        source = path.read_text()
        assert "router = APIRouter(" in source, f"{path.name} is not a route module"
        others = {n for n in _imports(path) if n.startswith("marketplace.api.routes")}
        assert others == set(), f"{path.name} imports {sorted(others)}"
