"""Installs by role: a node operator installs the worker without Brownie, Playwright, the server
or the test tools, and a server runs without the browser. pyproject.toml's base dependencies and
each role's extra must cover exactly what that role's code imports."""

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("tilefarm", "tilefarm_cli", "marketplace", "render_worker")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Packages the code imports that only matter to the test and contract tooling.
TEST_TOOLS = {"eth-brownie", "playwright", "pytest", "hypothesis", "pytest-xdist", "ruff", "mypy"}


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement such as `numpy<2` or `a[b]==1`."""
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def role_requirements(*extras: str) -> set[str]:
    """The distributions pyproject.toml names for the base and `extras`."""
    names = {_name(r) for r in PROJECT["dependencies"]}
    for extra in extras:
        names |= {_name(r) for r in PROJECT["optional-dependencies"][extra]}
    return names


def installed_with(names: set[str]) -> set[str]:
    """`names` and everything installing them brings (their requirements without extras)."""
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += [_name(r) for r in requires if "extra ==" not in r]
    return seen


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*OURS, include_external_packages=True, cache_dir=None)


def imported_modules(graph: grimp.ImportGraph, package: str) -> dict[str, set[str]]:
    """The third-party top-level modules `package` imports (directly or through our own
    modules), each with the distributions that provide it."""
    reached = set()
    for module in graph.find_descendants(package) | {package}:
        reached |= graph.find_upstream_modules(module)
    tops = {m.split(".")[0] for m in reached} - set(OURS) - set(sys.stdlib_module_names)
    owners = importlib.metadata.packages_distributions()
    return {top: {_name(d) for d in owners.get(top, [top])} for top in tops}


@pytest.mark.parametrize(
    ("package", "extras"),
    [("render_worker", ("worker",)), ("marketplace", ("server",)), ("tilefarm_cli", ("server",))],
)
def test_each_role_installs_what_its_code_imports(graph, package: str, extras: tuple[str, ...]):
    installed = installed_with(role_requirements(*extras))
    imported = imported_modules(graph, package)
    missing = sorted(top for top, owners in imported.items() if not owners & installed)
    assert not missing, f"{package} imports {missing}, which its install does not bring"
    tooling = sorted(top for top, owners in imported.items() if owners & TEST_TOOLS)
    assert not tooling, f"{package} imports test tooling: {tooling}"


def test_the_worker_needs_no_server_and_both_export_metrics_from_the_base_install():
    assert {"fastapi", "uvicorn"}.isdisjoint(role_requirements("worker"))
    assert "prometheus-client" in role_requirements()
    assert TEST_TOOLS.isdisjoint(role_requirements("worker", "server"))


BLOCKER = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"{{name}} is not installed for this role")
sys.meta_path.insert(0, Absent())
sys.argv = ["{prog}", "--version"]
from {module} import app
app()
"""


@pytest.mark.parametrize(
    ("prog", "module", "blocked"),
    [
        ("render-worker", "render_worker.cli", {"brownie", "playwright", "pytest", "fastapi"}),
        ("tilefarm", "tilefarm_cli.main", {"brownie", "playwright", "pytest"}),
    ],
)
def test_each_command_starts_without_the_tools_of_other_roles(prog, module, blocked):
    script = BLOCKER.format(blocked=blocked, prog=prog, module=module)
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{prog} ")
