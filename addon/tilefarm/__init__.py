"""tilefarm for Blender: submit the open scene to a tilefarm render market from Properties >
Output. The add-on checks the scene, packs a copy of it (the artist's .blend and session are
left as they are), uploads the copy to a tilefarm server and opens the job page, where the
artist's wallet posts the job; the panel then follows the job's progress.

Importing this package registers nothing (the packing child imports it to reuse its modules);
Blender calls `register` when the add-on is enabled.
"""

from __future__ import annotations

import bpy

from . import operators, options, panel, preferences, submission, watching

_CLASSES = (
    preferences.TilefarmPreferences,
    options.TilefarmOptions,
    *operators.CLASSES,
    panel.TILEFARM_PT_submit,
)


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.WindowManager.tilefarm = bpy.props.PointerProperty(type=options.TilefarmOptions)


def unregister() -> None:
    watching.stop()
    if bpy.app.timers.is_registered(operators.follow_submission):
        bpy.app.timers.unregister(operators.follow_submission)
    submission.current = None
    del bpy.types.WindowManager.tilefarm
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
