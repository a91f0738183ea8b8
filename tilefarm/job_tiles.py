"""A job's tiles across all its frames. The chain counts a job's tiles as one range
`0 .. frames * tiles_per_frame - 1`, frame-major: job tile `t` is tile `t % tiles_per_frame` of the
`t // tiles_per_frame`-th frame of the manifest."""

from pydantic import BaseModel, ConfigDict

from tilefarm.manifest import RenderManifest
from tilefarm.tiles import Rect, TileError


class JobTile(BaseModel):
    """Where one job tile lies: which frame, which tile of that frame, which pixels."""

    model_config = ConfigDict(frozen=True)

    job_index: int
    frame: int
    tile: int
    rect: Rect


def locate(manifest: RenderManifest, job_index: int, rects: list[Rect] | None = None) -> JobTile:
    """The frame, tile and rectangle of job tile `job_index`.

    `rects` may pass `manifest.tiles()` computed once, for loops over many tiles.
    """
    total = manifest.job_tile_count
    if not 0 <= job_index < total:
        raise TileError(f"job tile {job_index} is outside 0..{total - 1}")
    position, tile = divmod(job_index, manifest.tile_count)
    rect = (rects or manifest.tiles())[tile]
    return JobTile(job_index=job_index, frame=manifest.frames[position], tile=tile, rect=rect)
