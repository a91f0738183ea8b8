"""Write the marketplace API's OpenAPI schema, from which the page's API types are generated.

Usage: `.venv/bin/python frontend/scripts/openapi.py OUT.json` (`npm run generate` runs it). The
app is built but never started: its lifespan, which opens the database, IPFS and the chain, does
not run, so nothing needs to be up. The JSON is written with sorted keys, so that the same API
always gives the same bytes.
"""

import json
import sys
from pathlib import Path
from typing import Any

from marketplace.app import create_app
from marketplace.settings import MarketplaceSettings


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI schema of the marketplace app, built with settings that start nothing."""
    # No deployments file and no page folder: the schema is the API's alone, whatever this
    # checkout holds or the environment says (the page's static files are no part of it).
    settings = MarketplaceSettings(deployments_file=None, frontend_dir=Path("/nonexistent"))
    return create_app(settings).openapi()


def schema_json(schema: dict[str, Any]) -> str:
    """`schema` as deterministic JSON text: sorted keys, two-space indents, a trailing newline."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: openapi.py OUT.json", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(schema_json(openapi_schema()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
