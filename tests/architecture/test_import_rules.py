"""The floor plan holds: imports point down (programs -> checks -> adapters -> protocol), the
protocol is plain Python, only the Blender child imports bpy, and no package's modules import
each other in a circle. The contracts live in pyproject.toml (`[tool.importlinter]`)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tilefarm", "tilefarm_cli", "marketplace", "render_worker")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter over the packages under `root`, with the project's contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def copy_packages(into: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, into / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return into


def test_every_import_in_the_tree_points_down():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_the_protocol_contract_names_every_protocol_module():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    protocol = next(c for c in contracts["contracts"] if c["name"].startswith("The protocol"))
    modules = {f"tilefarm.{p.stem}" for p in (ROOT / "tilefarm").glob("*.py")}
    assert set(protocol["source_modules"]) == modules - {"tilefarm.__init__"}


@pytest.mark.parametrize(
    ("module", "wrong_way"),
    [
        ("tilefarm/manifest.py", "import web3"),
        ("tilefarm/adapters/ipfs/client.py", "import tilefarm.checks.audit"),
        ("tilefarm/checks/verification/judge.py", "import marketplace.app"),
        ("marketplace/intake.py", "import render_worker.daemon"),
        ("tilefarm/stitch.py", "import tilefarm.adapters.blender"),
    ],
)
def test_a_wrong_way_import_breaks_the_build(tmp_path: Path, module: str, wrong_way: str):
    tree = copy_packages(tmp_path)
    with (tree / module).open("a") as source:
        source.write(f"\n{wrong_way}  # noqa\n")
    run = lint_imports(tree)
    assert run.returncode != 0
    assert "BROKEN" in run.stdout


def test_a_circle_between_modules_breaks_the_build(tmp_path: Path):
    tree = copy_packages(tmp_path)
    with (tree / "tilefarm/adapters/chain/votes.py").open("a") as source:
        source.write("\nimport tilefarm.adapters.chain.bindings  # noqa\n")
    run = lint_imports(tree)
    assert run.returncode != 0
    assert "No circles between the modules of a package BROKEN" in run.stdout
