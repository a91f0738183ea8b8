"""The open scene's facts for the checks (`checks.SceneFacts`), read from bpy without changing
anything."""

from __future__ import annotations

from typing import Any

import bpy

from .checks import SceneFacts
from .outside_files import list_outside_files
from .scene_folder import blend_folder


def read_scene(scene: Any) -> SceneFacts:
    """What `checks.check_scene` judges, from `scene` and the file's outside files."""
    view = scene.view_settings
    return SceneFacts(
        scene=scene.name,
        engine=scene.render.engine,
        camera=scene.camera.name if scene.camera is not None else None,
        frame_start=scene.frame_start,
        frame_end=scene.frame_end,
        frame_step=scene.frame_step,
        view_transform=view.view_transform,
        look=view.look,
        exposure=float(view.exposure),
        gamma=float(view.gamma),
        display_device=scene.display_settings.display_device,
        outside_files=tuple(list_outside_files(blend_folder(bpy.data.filepath))),
    )
