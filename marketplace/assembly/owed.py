"""What the assembler has stored and still owes, as the routes and a job's live stream see it:
the seats whose tiles make a job's frames (`delivered_seats`), the frames due but not stored yet
(`frames_due`), and the stored frames a stream has not sent yet (`frame_news`)."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.assembly.plan import VERIFIED_STATES, due_frames
from marketplace.db.chain_models import JobView, SeatView
from marketplace.db.frame_models import FRAME_ASSEMBLED, AssembledFrame, AssemblyJob
from marketplace.db.session import Database
from marketplace.manifests import Manifests, readable_cid

# Jobs that can never have frames: nothing was assigned, or the job ended without renders.
NO_FRAMES = ("Cancelled", "Expired")


@dataclass(frozen=True)
class Stored:
    """One frame the assembler stored."""

    job_id: int
    frame: int
    png_cid: str
    exr_cid: str


def delivered_seats(session: Session, job_id: int) -> list[SeatView]:
    """The seats, of the job and of every round of it, whose tiles a verdict accepted and whose
    worker revealed its results (blind verification: a seat the artist accepted before its worker
    revealed has no tiles to stitch)."""
    rounds = select(JobView.job_id).where(JobView.root == job_id)
    return list(
        session.scalars(
            select(SeatView).where(
                (SeatView.job_id == job_id) | SeatView.job_id.in_(rounds),
                SeatView.state.in_(VERIFIED_STATES),
                SeatView.results_cid.is_not(None),
            )
        )
    )


def frames_due(session: Session, job_id: int, manifests: Manifests) -> int:
    """Frames of `job_id` that are due (all tiles accepted, or the job ended) but not stored yet,
    and not known to be unassemblable: what a live stream waits for before it ends."""
    job = session.get(AssemblyJob, job_id)
    chain_job = session.get(JobView, job_id)
    if job is None or job.error is not None:
        if job is None and chain_job is not None and chain_job.status not in NO_FRAMES:
            # The assembler has not read the manifest yet.
            started = delivered_seats(session, job_id) or chain_job.status == "Completed"
            return 1 if started and readable_cid(chain_job.manifest_cid) else 0
        return 0
    stored = manifests.get(job.manifest_cid)
    if stored is None:
        return 0  # no frame rows either: the assembler stores the manifest before writing them
    manifest = stored.manifest
    ranges = [(s.first_tile, s.tile_count) for s in delivered_seats(session, job_id)]
    ended = chain_job is not None and chain_job.status == "Completed"
    due = due_frames(len(manifest.frames), manifest.tile_count, ranges, ended)
    rows = {
        f.position: f
        for f in session.scalars(select(AssembledFrame).where(AssembledFrame.job_id == job_id))
    }
    return sum(
        1
        for p, _ in due
        if p in rows and rows[p].status != FRAME_ASSEMBLED and rows[p].error is None
    )


@dataclass(frozen=True)
class FrameNews:
    """What a job's live stream has to say about its frames."""

    assembled: list[Stored]  # stored frames the stream has not sent yet
    due: int  # frames ready but not stored yet (see `frames_due`)


def frame_news(db: Database, manifests: Manifests, job_id: int, sent: set[int]) -> FrameNews:
    """Stored frames of `job_id` other than `sent`, and how many are still due."""
    with db.session() as session:
        rows = session.scalars(
            select(AssembledFrame)
            .where(AssembledFrame.job_id == job_id, AssembledFrame.status == FRAME_ASSEMBLED)
            .order_by(AssembledFrame.position)
        ).all()
        news = [
            Stored(job_id, r.frame, r.png_cid or "", r.exr_cid or "")
            for r in rows
            if r.frame not in sent
        ]
        return FrameNews(news, frames_due(session, job_id, manifests))
