"""The code type-checks: strict mypy over the protocol, the adapters, the checks and the three
programs (pyproject.toml `[tool.mypy]`), and mypy over the tests and benchmarks."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "targets",
    [[], ["bench", "tests"]],
    ids=["strict over tilefarm, tilefarm_cli, marketplace and render_worker", "tests and bench"],
)
def test_mypy_finds_no_errors(targets: list[str]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Success: no issues found" in run.stdout
