"""Write the colour management a manifest accepts, from which the page's colour tables are
generated (src/generated/colour.ts, by scripts/colour.mjs).

Usage: `.venv/bin/python frontend/scripts/colour.py OUT.json`. The page prefills a job's colour
from the scene as saved and must know, before posting, whether the manifest can carry it: which
view transforms each display offers, which looks each view offers (`tilefarm.colour`'s tables,
which a Blender test checks against Blender itself), and each field's default and bounds (the
model's JSON schema). The JSON is written with sorted keys, so that the same tables always give
the same bytes.
"""

import json
import sys
from pathlib import Path
from typing import Any

from tilefarm.colour import DISPLAY_VIEWS, VIEW_LOOKS, ColourManagement

# What of each field's JSON schema the page checks a value against.
KEPT = ("default", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "type")


def colour_tables() -> dict[str, Any]:
    """Each field of a manifest's colour management (default, bounds, choices), and Blender's
    displays, views and looks."""
    properties = ColourManagement.model_json_schema()["properties"]
    fields = {
        name: {k: v for k, v in schema.items() if k in KEPT} for name, schema in properties.items()
    }
    return {
        "fields": fields,
        "display_views": {display: list(views) for display, views in DISPLAY_VIEWS.items()},
        "view_looks": {view: list(looks) for view, looks in VIEW_LOOKS.items()},
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: colour.py OUT.json", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(colour_tables(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
