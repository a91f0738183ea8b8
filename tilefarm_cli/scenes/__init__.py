"""Built-in procedural scenes (demo, tiny test scene, benchmark reference), built by the Blender
child so that the calling process never imports bpy."""

from __future__ import annotations

from pathlib import Path

from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.blender.sandbox import Sandbox
from tilefarm_cli.scenes.builders import BUILDERS

BUILTIN_SCENES: tuple[str, ...] = tuple(BUILDERS)
# The module the Blender child imports to build them (it runs `build(bpy, name)`).
BUILDER = "tilefarm_cli.scenes.builders"


def build_builtin_scene(
    name: str, out_path: Path | str, *, child: BlenderChild | None = None
) -> Path:
    """Build built-in scene `name` ("demo", "showcase" or "tiny") and save it at `out_path`.

    Uses `child` if given (its open scene is replaced), else a short-lived child of its own.
    """
    if name not in BUILDERS:
        raise ValueError(f"unknown built-in scene {name!r}; choose one of {sorted(BUILDERS)}")
    out = Path(out_path)
    if child is not None:
        child.build_scene(BUILDER, name, out)
        return out
    with BlenderChild(sandbox=Sandbox.AUTO) as own:
        own.build_scene(BUILDER, name, out)
    return out


__all__ = ["BUILTIN_SCENES", "build_builtin_scene"]
