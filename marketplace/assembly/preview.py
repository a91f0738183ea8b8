"""Previews of frames still rendering: the tiles whose workers revealed their results, each
scaled into a picture of the frame at most `canvas.LONGEST` px a side with every other tile
transparent, so the artist sees the picture come in before any verdict (`FramePreview`). Which
tiles, and how they are read and checked: `revealed`; the picture: `canvas`.

A preview lists the tiles it shows and those of them a verdict has accepted; the page marks it
unverified. Once the frame is assembled, its preview is dropped and the page shows the assembled
frame instead.

Previews are disposable: the PNG is kept in the database, never pinned on IPFS. What each costs
is bounded:
- a frame's preview is made again only when the revealed results lists that cover it change (one
  more revealed, or one taken out), at most once every `min_interval` seconds however many
  come, and only the tiles whose source changed are read (the canvas is kept on disk);
- a tile is read, checked, scaled down and deleted one at a time; one that declares another size
  than its tile is refused from its header, and its seat with it, for good (`refusals`);
- previews run on a thread of their own (`runner`), reading IPFS with a short timeout and a
  deadline for each whole read (`seat_reads`), so that a CID nobody serves never holds up the
  frames or films; a seat whose results cannot be read now is put off (30 s, doubling up to
  10 min), the rest of its frame is shown meanwhile.
They are not denoised (a whole-frame denoise waits for the whole frame); a manifest whose colour
management is not plain sRGB gets its PNG from a Blender child, as its frames do.
"""

import logging
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete

from marketplace.assembly.canvas import Canvas
from marketplace.assembly.preview_scan import Frame, Owed, owed_previews, sweep
from marketplace.assembly.refusals import refuse
from marketplace.assembly.revealed import Refused, RevealedTiles, Source, Unreadable, layout
from marketplace.assembly.seat_reads import reader, seat_waits
from marketplace.assembly.waits import Waits
from marketplace.db.frame_models import FRAME_ASSEMBLED, AssembledFrame, FramePreview
from marketplace.db.session import Database
from marketplace.indexer.hub import EventHub
from marketplace.manifests import Manifests
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.errors import TilefarmError
from tilefarm.manifest import RenderManifest
from tilefarm.pixels import write_exr
from tilefarm.stitch import write_png_preview

if TYPE_CHECKING:
    from marketplace.assembly.assembler import Assembler

log = logging.getLogger(__name__)

PER_STEP = 4  # previews made per step, before the next scan
RETRY_SECONDS = 30.0  # a preview that failed, or a seat not readable, is tried again after this
MIN_INTERVAL = 5.0  # seconds between two makes of one frame's preview
IPFS_TIMEOUT = 10.0  # seconds a preview waits on IPFS for one answer (the frames wait 20)


class Previewer:
    """Makes the previews of every frame still owed, a few per `step`."""

    def __init__(
        self,
        db: Database,
        ipfs: KuboClient,
        work_dir: Path,
        *,
        manifests: Manifests,
        hub: EventHub | None = None,
        child_factory: Callable[[], BlenderChild] = BlenderChild,
        retry_seconds: float = RETRY_SECONDS,
        per_step: int = PER_STEP,
        min_interval: float = MIN_INTERVAL,
        owns_ipfs: bool = False,
    ) -> None:
        """`ipfs` is closed by `close` when `owns_ipfs`."""
        self.db = db
        self.ipfs = ipfs
        self.work_dir = work_dir
        self.manifests = manifests
        self.hub = hub
        self.child_factory = child_factory
        self.retry_seconds = retry_seconds
        self.per_step = per_step
        self.min_interval = min_interval
        self.more = False  # previews were left for the next step
        self.tiles = RevealedTiles(ipfs)
        self._owns_ipfs = owns_ipfs
        self._seen_version = -1
        self._frames: Waits[Frame] = Waits()  # made a moment ago, or failed
        self._seats = seat_waits(retry_seconds)  # `Source.key`s not readable now

    @classmethod
    def beside(cls, assembler: "Assembler") -> "Previewer":
        """A previewer sharing the assembler's database, node, manifests and news, with a
        client of its own that waits `IPFS_TIMEOUT` for an answer and never retries (a seat
        not served is put off instead)."""
        return cls(
            assembler.db, reader(assembler.ipfs, IPFS_TIMEOUT), assembler.work_dir / "previews",
            manifests=assembler.manifests, hub=assembler.hub,
            child_factory=assembler.child_factory, retry_seconds=assembler.retry_seconds,
            owns_ipfs=True,
        )  # fmt: skip

    def close(self) -> None:
        if self._owns_ipfs:
            self.ipfs.close()

    def step(self) -> list[Frame]:
        """Make the previews owed (at most `per_step`); returns their `(job, frame)`."""
        due = self._frames.take_due() | self._seats.take_due()
        if self.hub is not None:
            version = self.hub.version
            if version == self._seen_version and not self.more and not due:
                return []  # nothing revealed, verified or assembled, nothing put off came due
            self._seen_version = version
        owed = self.owed()
        self.more = len(owed) > self.per_step
        made = []
        with ExitStack() as children:
            child: list[BlenderChild] = []  # started for the first preview that needs one

            def blender() -> BlenderChild:
                if not child:
                    child.append(children.enter_context(self.child_factory()))
                return child[0]

            for job in owed[: self.per_step]:
                if self._make(job, blender):
                    made.append((job.job_id, job.frame))
        return made

    # -- what is owed

    def owed(self) -> list[Owed]:
        """The frames whose preview is to be made now (`preview_scan.owed_previews`); on the way,
        forgets the failures of seats no longer shown and deletes the canvases of frames
        without a preview any more."""
        scan = owed_previews(self.db, self.manifests, self._frames, self._seats)
        self._seats.keep_only(scan.seen)
        sweep(self.work_dir, scan.live)
        return scan.owed

    # -- making one

    def _folder(self, job: Owed) -> Path:
        return self.work_dir / f"job-{job.job_id}" / f"frame-{job.frame}"

    def _make(self, job: Owed, blender: Callable[[], BlenderChild]) -> bool:
        """Make `job`'s preview; False when it could not be made now (tried again later)."""
        stored = self.manifests.get(job.manifest_cid)
        if stored is None:
            return False
        manifest = stored.manifest
        folder = self._folder(job)
        width, height = manifest.resolution.width, manifest.resolution.height
        try:
            canvas = Canvas.load(folder, job.manifest_cid, job.position, width, height)
            canvas = canvas or Canvas.blank(job.manifest_cid, job.position, width, height)
            sources = self._paint(canvas, manifest, job, folder / "tiles")
            canvas.save(folder)
            png = self._png(canvas, manifest, folder, blender) if canvas.shown else None
        except (TilefarmError, OSError) as exc:
            log.warning("job %d frame %d: no preview (%s); retrying later",
                        job.job_id, job.frame, exc)  # fmt: skip
            self._frames.wait((job.job_id, job.frame), self.retry_seconds)
            return False
        except Exception:  # a preview is never worth stopping the previews: log, retry later
            log.exception("job %d frame %d: making its preview failed", job.job_id, job.frame)
            self._frames.wait((job.job_id, job.frame), self.retry_seconds)
            return False
        finally:
            shutil.rmtree(folder / "tiles", ignore_errors=True)
        if png is None:
            shutil.rmtree(folder, ignore_errors=True)
        self._store(job, sources, canvas, png, manifest.tile_count)
        self._frames.wait((job.job_id, job.frame), self.min_interval)
        return True

    def _paint(
        self, canvas: Canvas, manifest: RenderManifest, job: Owed, scratch: Path
    ) -> list[Source]:
        """Bring `canvas` up to date with `job.sources`, reading only the tiles whose source
        changed; returns the sources shown (less those refused or put off on the way)."""
        rects = manifest.tiles()
        sources = list(job.sources)
        while True:
            shown = layout(sources, job.position, manifest.tile_count)
            needed: dict[Source, list[int]] = {}
            for tile, src in shown.items():
                if canvas.shown.get(tile) != src.key:
                    needed.setdefault(src, []).append(tile)
            failed = None
            for src, tiles in needed.items():
                try:
                    patches = self.tiles.patches(
                        manifest, job.manifest_cid, canvas, src, tiles, scratch
                    )
                except Refused as exc:
                    refuse(self.db, src, job.manifest_cid, str(exc))
                    failed = src
                    break
                except Unreadable as exc:
                    self._put_off(src, str(exc))
                    failed = src
                    break
                for tile, patch in patches.items():
                    canvas.paste(tile, rects[tile], patch, src.key)
                self._seats.succeeded(src.key)
            if failed is None:
                break
            sources.remove(failed)  # and again without it: another seat may hold its tiles
        for tile in [t for t in canvas.shown if t not in shown]:
            canvas.clear(tile, rects[tile])
        return sources

    def _put_off(self, src: Source, why: str) -> None:
        seconds = self._seats.failed(src.key)
        log.warning("job %d: the tiles %s revealed are not readable now (%s); trying again in "
                    "%.0f s", src.job_id, src.worker, why, seconds)  # fmt: skip

    def _png(
        self,
        canvas: Canvas,
        manifest: RenderManifest,
        folder: Path,
        blender: Callable[[], BlenderChild],
    ) -> bytes:
        png = folder / "preview.png"
        if manifest.colour.plain_srgb:
            write_png_preview(canvas.pixels, png)
        else:
            exr = write_exr(folder / "preview.exr", canvas.pixels)
            png = blender().preview(exr, png, colour=manifest.colour)
            exr.unlink(missing_ok=True)
        data = png.read_bytes()
        png.unlink(missing_ok=True)
        return data

    def _store(
        self, job: Owed, sources: list[Source], canvas: Canvas, png: bytes | None, total: int
    ) -> None:
        shown = layout(sources, job.position, total)
        with self.db.session() as session:
            session.execute(
                delete(FramePreview).where(
                    FramePreview.job_id == job.job_id, FramePreview.frame == job.frame
                )
            )
            frame = session.get(AssembledFrame, (job.job_id, job.frame))
            if frame is None or frame.status == FRAME_ASSEMBLED or png is None:
                return  # assembled meanwhile, dropped by a reorganisation, or nothing to show
            session.add(
                FramePreview(
                    job_id=job.job_id,
                    frame=job.frame,
                    sources=sorted(s.key for s in sources),
                    tiles=sorted(canvas.shown),
                    verified=[t for t, s in shown.items() if s.verified],
                    tiles_total=total,
                    png=png,
                    updated_at=datetime.now(UTC),
                )
            )
        log.info("job %d frame %d: preview of %d tiles", job.job_id, job.frame, len(canvas.shown))
