"""A deployment never puts other code on chain than the sources say: a build compiled from other
sources (or missing one) is stale, and `tilefarm deploy` compiles before it deploys."""

import json
from pathlib import Path

from tilefarm.adapters.chain.remote import stale_sources


def _project(root: Path, sources: dict[str, str], compiled: dict[str, str]) -> None:
    for name, text in sources.items():
        (root / "contracts").mkdir(parents=True, exist_ok=True)
        (root / "contracts" / name).write_text(text)
    (root / "build" / "contracts").mkdir(parents=True)
    for name, text in compiled.items():
        artifact = {"sourcePath": f"contracts/{name}", "source": text, "abi": []}
        (root / "build" / "contracts" / f"{name}.json").write_text(json.dumps(artifact))


def test_a_build_from_the_same_sources_is_fresh(tmp_path: Path) -> None:
    _project(tmp_path, {"A.sol": "contract A {}"}, {"A.sol": "contract A {}"})
    assert stale_sources(tmp_path / "build", tmp_path) == []


def test_an_edited_or_uncompiled_source_makes_the_build_stale(tmp_path: Path) -> None:
    _project(
        tmp_path,
        {"A.sol": "contract A { uint x; }", "B.sol": "contract B {}", "C.sol": "contract C {}"},
        {"A.sol": "contract A {}", "C.sol": "contract C {}"},
    )
    assert stale_sources(tmp_path / "build", tmp_path) == ["contracts/A.sol", "contracts/B.sol"]
