"""Built-in procedural scenes (demo, tiny test scene, benchmark reference), built by the Blender
child so that the calling process never imports bpy."""

from __future__ import annotations

from pathlib import Path

from tilefarm.blender.launcher import BlenderChild
from tilefarm.blender.sandbox import Sandbox
from tilefarm.scenes.builders import BUILDERS

BUILTIN_SCENES: tuple[str, ...] = tuple(BUILDERS)


def build_builtin_scene(
    name: str, out_path: Path | str, *, child: BlenderChild | None = None
) -> Path:
    """Build built-in scene `name` ("demo", "tiny" or "benchmark") and save it at `out_path`.

    Uses `child` if given (its open scene is replaced), else a short-lived child of its own.
    """
    if name not in BUILDERS:
        raise ValueError(f"unknown built-in scene {name!r}; choose one of {sorted(BUILDERS)}")
    out = Path(out_path)
    if child is not None:
        child.build_scene(name, out)
        return out
    with BlenderChild(sandbox=Sandbox.AUTO) as own:
        own.build_scene(name, out)
    return out


__all__ = ["BUILTIN_SCENES", "build_builtin_scene"]
