"""The render worker's one Settings object, read from `RENDER_WORKER_*` environment variables.
No other module of the worker reads the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tilefarm.blender.launcher import ChildLimits, Sandbox


class WorkerSettings(BaseSettings):
    """How this machine renders: devices, threads, sandbox and limits of the Blender child."""

    model_config = SettingsConfigDict(env_prefix="RENDER_WORKER_", extra="ignore")

    devices: str = Field(
        "auto",
        description="'auto' (best GPU backend, else CPU) or a list: 'cuda,cpu', 'cpu', device ids",
    )
    threads: int = Field(0, ge=0, description="CPU render threads; 0 = one per core")
    sandbox: Sandbox = Field(
        Sandbox.AUTO,
        description="network isolation of the Blender child: auto, netns (required) or none",
    )
    render_time_limit_s: float | None = Field(
        3600.0, gt=0, description="wall-time limit of one render request; unset = none"
    )
    memory_limit_mb: int | None = Field(
        None, gt=0, description="resident memory limit of the Blender child in MiB; unset = none"
    )
    scratch_dir: Path | None = Field(
        None, description="where the child's scratch folders go (default: system temp)"
    )

    def child_limits(self) -> ChildLimits:
        """The limits to start Blender children with."""
        return ChildLimits(
            wall_seconds=self.render_time_limit_s,
            memory_bytes=None if self.memory_limit_mb is None else self.memory_limit_mb * 2**20,
        )
