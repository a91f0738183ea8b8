"""Rendering one won assignment: fetch the scene and manifest by CID (checked locally; a manifest
once per job: `render_worker/work/manifests.py`), render the assigned tiles in one long-lived
Blender child, publish each tile to IPFS as soon as it exists, and build the results list whose
Merkle root the worker commits on chain (the list itself is revealed once the verifier has sealed
its evidence).

Resumable: a tile whose result is stored is never rendered again; a tile rendered but not yet
published is published from its stored EXR. One tile per child request, so a graceful stop
finishes the tile in progress and nothing more.
"""

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from render_worker.errors import WorkerError
from render_worker.state.models import TileRow
from render_worker.state.stages import Stage
from render_worker.state.store import WorkerState
from render_worker.work.children import JobChildren
from render_worker.work.manifests import Manifests
from tilefarm.adapters.blender.errors import GpuRenderFailed
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.hardware import RenderedOn
from tilefarm.hardware_codes import AbandonCause
from tilefarm.job_tiles import locate
from tilefarm.manifest import RenderManifest, canonical_json
from tilefarm.results import ResultsList, ResultTile

log = logging.getLogger(__name__)


class AssignmentRenderer:
    """Renders and publishes the tiles of assignments."""

    def __init__(
        self,
        ipfs: KuboClient,
        manifests: Manifests,
        state: WorkerState,
        work_dir: Path,
        max_scene_bytes: int,
        children: JobChildren,
        backend: str = "CPU",
    ) -> None:
        self.children = children
        self.backend = backend  # what the machine declared it renders on
        self.ipfs = ipfs
        self.manifests = manifests
        self.state = state
        self.work_dir = work_dir
        self.max_scene_bytes = max_scene_bytes

    def scene(self, manifest: RenderManifest) -> Path:
        """The manifest's .blend on disk, fetched once (named by its CID) and checked against it."""
        path = self.work_dir / "scenes" / f"{manifest.scene_cid}.blend"
        if not path.exists():
            self.ipfs.cat_to_file(manifest.scene_cid, path, max_bytes=self.max_scene_bytes)
        return path

    def warm(self, job_id: int, manifest_cid: str) -> None:
        """Fetch the scene and open it in a started child while the auction runs, so a won
        assignment starts rendering at once."""
        manifest = self.manifests.get(manifest_cid)
        with self.children.using(job_id, manifest_cid) as child:
            child.open(self.scene(manifest), manifest, cpu_fallback="job")

    def render(
        self,
        job_id: int,
        manifest_cid: str,
        first_tile: int,
        tile_count: int,
        stop: threading.Event,
        on_tile: Callable[[TileRow], None] | None = None,
    ) -> bool:
        """Render and publish the missing tiles; True when every tile is published."""
        manifest = self.manifests.get(manifest_cid)
        total = manifest.job_tile_count
        if first_tile + tile_count > total:
            raise WorkerError(
                f"job {job_id} assigned tiles {first_tile}..{first_tile + tile_count - 1} but its "
                f"manifest has {total} tiles"
            )
        done = self.state.tiles(job_id)
        for row in done.values():
            if row.cid is None:
                self._publish(row)
        rects = manifest.tiles()
        by_frame: dict[int, list[int]] = defaultdict(list)
        for t in range(first_tile, first_tile + tile_count):
            if t not in done:
                by_frame[locate(manifest, t, rects).frame].append(t)
        if not by_frame:
            return True
        out = self.work_dir / f"job-{job_id}" / "tiles"
        with self.children.using(job_id, manifest_cid) as child:
            opened = child.open(self.scene(manifest), manifest, cpu_fallback="job")
            self.require_declared_backend(opened.rendered_on.backend, manifest)
            for frame, tiles in sorted(by_frame.items()):
                for t in tiles:
                    if stop.is_set():
                        log.info("job %d: stopping after the tile in progress", job_id)
                        return False
                    if not self._still_posted(job_id, manifest_cid):
                        return False
                    region = (f"tile-{t:05d}", locate(manifest, t, rects).rect)
                    (rendered,) = child.render_regions(frame, [region], out)
                    if not self._still_posted(job_id, manifest_cid):
                        return False
                    row = TileRow(
                        job_id=job_id,
                        job_tile=t,
                        exr_path=str(rendered.path),
                        pixel_hash=rendered.pixel_hash,
                        seconds=rendered.seconds,
                        rendered_on=rendered.rendered_on.model_dump(mode="json"),
                    )
                    with self.state.session() as s:
                        s.merge(row)
                    self._publish(row)
                    if on_tile is not None:
                        on_tile(row)
        return True

    def require_declared_backend(self, rendering_on: str, manifest: RenderManifest) -> None:
        """A GPU worker whose GPU has gone (Cycles no longer lists it, so the child renders on the
        CPU) renders a job's tiles on the CPU only where the job allows it; elsewhere its CPU
        tiles would fail verification as fraud, so the GPU counts as lost and the seat is given
        back (`render_worker/work/give_back.py`)."""
        if self.backend == "CPU" or rendering_on != "CPU" or manifest.requirements.allows_cpu:
            return
        said = f"{self.backend} is no longer among the devices Cycles lists"
        raise GpuRenderFailed(
            f"the GPU this worker declared is gone: {said}",
            cause=AbandonCause.GPU_LOST,
            cycles_error=said,
        )

    def _still_posted(self, job_id: int, manifest_cid: str) -> bool:
        """Whether the job is still the one this render is for: a chain reorganisation may have
        removed its posting (or its round's opening: it is `orphaned`, or gone) and handed its
        number to another job (`render_worker/chain/reorg.py`)."""
        job = self.state.job(job_id)
        if job is not None and job.manifest_cid == manifest_cid and job.stage != Stage.ORPHANED:
            return True
        log.warning(
            "job %d: no longer the job of manifest %s; render stopped", job_id, manifest_cid
        )
        return False

    def _publish(self, row: TileRow) -> None:
        row.cid = self.ipfs.add_file(Path(row.exr_path))
        with self.state.session() as s:
            s.merge(row)

    def results(self, job_id: int, worker: str, manifest_cid: str) -> ResultsList:
        """The results list of a fully rendered assignment (the same list at every call)."""
        return results_list(job_id, worker, manifest_cid, self.state.tiles(job_id))


def results_list(
    job_id: int, worker: str, manifest_cid: str, tiles: dict[int, TileRow]
) -> ResultsList:
    """The results list of stored `tiles` (by job tile index): each tile names what it was
    rendered on, an index into the list's distinct `devices` (a GPU that failed mid-job leaves
    its later tiles to the CPU); a row that did not record it names none (read as the CPU)."""
    devices: dict[RenderedOn, int] = {}
    entries = []
    for t, row in sorted(tiles.items()):
        device = None
        if row.rendered_on is not None:
            on = RenderedOn.model_validate(row.rendered_on)
            device = devices.setdefault(on, len(devices))
        entries.append(
            ResultTile(index=t, cid=str(row.cid), pixel_hash=row.pixel_hash, device=device)
        )
    return ResultsList(
        job_id=job_id,
        worker=worker,
        manifest_cid=manifest_cid,
        tiles=entries,
        devices=list(devices),
    )


def results_document(results: ResultsList) -> bytes:
    """The results list as published: canonical JSON, so that its CID can be known (and committed
    to memory) long before the list is put on IPFS."""
    return canonical_json(results.model_dump())
