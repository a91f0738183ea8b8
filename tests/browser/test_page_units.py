"""The page's pure TypeScript (tile states from events across a job's re-offer rounds, the "no
bids" wording, top-up amounts and each round's cost, frame lists, exact wei, ETH amounts) under
Node's own test runner: `npm test` in frontend/ bundles them with esbuild and runs
frontend/test/*.test.ts."""

import shutil
import subprocess

from tilefarm.adapters.paths import PROJECT_ROOT

FRONTEND = PROJECT_ROOT / "frontend"


def test_the_pages_own_unit_tests_pass() -> None:
    npm = shutil.which("npm")
    assert npm, "npm is not on PATH"
    assert (FRONTEND / "node_modules").is_dir(), "run `make setup` (npm ci in frontend/)"
    result = subprocess.run(
        [npm, "test", "--silent"], cwd=FRONTEND, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    assert "# fail 0" in result.stdout
