"""The page knows what colour management a manifest accepts: src/generated/colour.ts is what
scripts/colour.py and scripts/colour.mjs make of tilefarm/colour.py now, so that the job form
prefills a scene's look only when a manifest can carry it, and says so when it cannot."""

import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tilefarm.adapters.paths import PROJECT_ROOT
from tilefarm.colour import DISPLAY_VIEWS, VIEW_LOOKS

FRONTEND = PROJECT_ROOT / "frontend"
SCRIPTS = FRONTEND / "scripts"
COMMITTED = FRONTEND / "src" / "generated" / "colour.ts"
REGENERATE = (
    "run `.venv/bin/python frontend/scripts/colour.py /tmp/colour.json && "
    "node frontend/scripts/colour.mjs /tmp/colour.json frontend/src/generated/colour.ts`"
)


def _run(args: list[str]) -> None:
    made = subprocess.run(args, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, f"{' '.join(args)}:\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}"


def test_the_pages_colour_tables_are_generated_from_the_manifests_as_they_are_now(
    tmp_path: Path,
) -> None:
    assert shutil.which("node"), "node is not on PATH"
    assert (FRONTEND / "node_modules").is_dir(), "run `make setup` (npm ci in frontend/)"
    tables, fresh = tmp_path / "colour.json", tmp_path / "colour.ts"

    _run([sys.executable, str(SCRIPTS / "colour.py"), str(tables)])
    _run(["node", str(SCRIPTS / "colour.mjs"), str(tables), str(fresh)])

    written = json.loads(tables.read_text())
    assert written["display_views"] == {d: list(v) for d, v in DISPLAY_VIEWS.items()}
    assert written["view_looks"] == {v: list(looks) for v, looks in VIEW_LOOKS.items()}
    assert written["fields"]["exposure"] == {
        "default": 0.0, "maximum": 32.0, "minimum": -32.0, "type": "number"
    }  # fmt: skip
    assert COMMITTED.is_file(), f"{COMMITTED.name} is missing: {REGENERATE}"
    old, new = COMMITTED.read_text(), fresh.read_text()
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), "committed", "now", lineterm="")
    assert old == new, f"{COMMITTED.name} is stale: {REGENERATE}\n" + "\n".join(list(diff)[:60])
