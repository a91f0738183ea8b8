"""The page's generated interfaces keep up with their sources, and the page's modules stay in
order: src/generated/api.ts is what openapi-typescript makes of the server's OpenAPI schema now,
src/generated/abi.ts is the market's ABI as the contracts compile now, no module of frontend/src
imports itself back through others, and the page type-checks against both. Plain tests: the app
is built but never started, and the contracts are compiled, not deployed."""

import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tilefarm.adapters.chain.artifacts import compile_contracts
from tilefarm.adapters.paths import PROJECT_ROOT, SOLCX_BINARY_PATH

FRONTEND = PROJECT_ROOT / "frontend"
SCRIPTS = FRONTEND / "scripts"
GENERATED = FRONTEND / "src" / "generated"
REGENERATE = "run `npm run --prefix frontend generate`"


@pytest.fixture(scope="module")
def node_tools() -> None:
    for tool in ("node", "npm"):
        assert shutil.which(tool), f"{tool} is not on PATH"
    assert (FRONTEND / "node_modules").is_dir(), "run `make setup` (npm ci in frontend/)"


def run(args: list[str], cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


def succeeded(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == 0


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"


def assert_same(fresh: Path, committed: Path) -> None:
    """`committed` must be byte for byte what the generator just wrote to `fresh`."""
    name = committed.relative_to(PROJECT_ROOT)
    assert committed.is_file(), f"{name} is missing: {REGENERATE}"
    old, new = committed.read_text(), fresh.read_text()
    diff = difflib.unified_diff(
        old.splitlines(), new.splitlines(), f"{name} (committed)", f"{name} (now)", lineterm=""
    )
    assert old == new, f"{name} is stale: {REGENERATE}\n" + "\n".join(list(diff)[:60])


def test_api_types_are_generated_from_the_servers_schema_as_it_is_now(
    node_tools: None, tmp_path: Path
) -> None:
    schema, api = tmp_path / "openapi.json", tmp_path / "api.ts"
    # The same two steps as `npm run generate:api`, into tmp_path.
    made = run([sys.executable, str(SCRIPTS / "openapi.py"), str(schema)])
    assert succeeded(made), output(made)
    assert json.loads(schema.read_text())["paths"], "the schema names no route"
    typed = run(["node", str(SCRIPTS / "api.mjs"), str(schema), str(api)])
    assert succeeded(typed), output(typed)
    assert_same(api, GENERATED / "api.ts")


def test_the_openapi_schema_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    for out in (first, second):
        made = run([sys.executable, str(SCRIPTS / "openapi.py"), str(out)])
        assert succeeded(made), output(made)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text().endswith("}\n")


def test_the_abi_is_generated_from_the_contracts_as_they_compile_now(
    node_tools: None, tmp_path: Path
) -> None:
    compile_contracts(SOLCX_BINARY_PATH)  # incremental: seconds when the build is current
    abi = tmp_path / "abi.ts"
    made = run(["node", str(SCRIPTS / "abi.mjs"), str(abi)])
    assert succeeded(made), output(made)
    assert "export const jobMarketAbi = [" in abi.read_text()
    assert_same(abi, GENERATED / "abi.ts")


def test_no_module_of_the_page_imports_itself_back(node_tools: None) -> None:
    check = run(["npm", "run", "--silent", "check:cycles"], cwd=FRONTEND)
    assert succeeded(check), f"an import circle in frontend/src:\n{output(check)}"


def test_the_cycle_check_fails_on_a_circle(node_tools: None, tmp_path: Path) -> None:
    # The check itself, on a copy of the page where a page imports a type back from the entry.
    page = tmp_path / "frontend"
    shutil.copytree(FRONTEND / "src", page / "src")
    shutil.copy(FRONTEND / "package.json", page / "package.json")
    (page / "node_modules").symlink_to(FRONTEND / "node_modules")
    (page / "src" / "main.ts").write_text(
        'export type Entry = "main";\n' + (page / "src" / "main.ts").read_text()
    )
    jobs = page / "src" / "pages" / "jobs.ts"
    jobs.write_text('import type { Entry } from "../main";\n' + jobs.read_text())
    check = run(["npm", "run", "--silent", "check:cycles"], cwd=page)
    assert not succeeded(check), output(check)
    assert "main.ts > pages/jobs.ts" in check.stdout


def test_the_page_type_checks_against_the_generated_interfaces(node_tools: None) -> None:
    # The type check of `npm run lint` (its prettier half is not this test's business).
    tsc = run(["npx", "--no-install", "tsc", "--noEmit", "-p", "tsconfig.test.json"], cwd=FRONTEND)
    assert succeeded(tsc), output(tsc)
