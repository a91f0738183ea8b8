"""The add-on's plain-Python modules (checks, progress, client), imported without Blender: the
add-on's package imports bpy, so its folder is mounted here as a bare package whose
`__init__` is not run."""

import importlib
import sys
import types
from pathlib import Path
from typing import Any

ADDON = Path(__file__).resolve().parents[2] / "addon" / "tilefarm"
PACKAGE = "tilefarm_addon_under_test"


def addon_module(name: str) -> Any:
    """`addon/tilefarm/<name>.py`, imported as a module of a package that runs no bpy."""
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [str(ADDON)]
        sys.modules[PACKAGE] = package
    return importlib.import_module(f"{PACKAGE}.{name}")
