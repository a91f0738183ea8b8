"""Asking the Properties editors to draw again, so the panel shows what a thread changed (a
thread must not draw; the timers that call this run on Blender's main thread)."""

from __future__ import annotations

import bpy


def redraw_properties() -> None:
    """Tag every Properties editor in every window for a redraw (none in the background)."""
    manager = bpy.context.window_manager
    if manager is None:
        return
    for window in manager.windows:
        for area in window.screen.areas:
            if area.type == "PROPERTIES":
                area.tag_redraw()
