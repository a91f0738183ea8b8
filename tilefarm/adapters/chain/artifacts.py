"""Brownie's build artifacts (`build/contracts/<Name>.json`) as typed objects."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tilefarm.adapters.paths import PROJECT_ROOT
from tilefarm.errors import TilefarmError


class ArtifactMissing(TilefarmError):
    """A contract's build artifact is not there."""


class Artifact(BaseModel):
    """What deployment and bindings need of one compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


def load_artifact(name: str, build_dir: Path) -> Artifact:
    """Load `name`'s ABI and creation bytecode from Brownie's build folder."""
    path = build_dir / "contracts" / f"{name}.json"
    if not path.is_file():
        raise ArtifactMissing(
            f"no build artifact for contract {name} at {path}; compile with `brownie compile`"
        )
    data = json.loads(path.read_text())
    return Artifact(name=name, abi=data["abi"], bytecode=data["bytecode"])


def compile_contracts(solcx_binary_path: Path, project_root: Path = PROJECT_ROOT) -> None:
    """Compile contracts/ with Brownie (incremental: unchanged sources are not rebuilt)."""
    brownie = Path(sys.executable).parent / "brownie"
    env = {**os.environ, "SOLCX_BINARY_PATH": str(solcx_binary_path)}
    env["PATH"] = os.pathsep.join([str(project_root / "tools/node_modules/.bin"), env["PATH"]])
    result = subprocess.run(
        [str(brownie), "compile"], cwd=project_root, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise TilefarmError(f"contract compilation failed:\n{result.stdout}\n{result.stderr}")
