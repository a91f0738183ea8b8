"""Tables the assembler writes: which jobs it has read, every frame it owes or has stored, the
previews of frames still rendering (and the revealed results they refuse to show) and each
animation's film.

All are derived data (the chain and IPFS hold the truth; assembling again gives the same CIDs),
so a lost row only costs a re-assembly. They live apart from the indexer's projections, which a
reorganisation rebuilds from the events, so that a rebuild does not forget every stored frame:
the indexer drops only the rows of jobs whose events a reorganisation abandoned (the number may
now be another job's: job numbers are a counter), and all of them when it indexes afresh (a
devnet restarted at the same address, another market).
"""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db.chain_models import ChainText
from marketplace.db.models import Base, UtcDateTime

FRAME_PENDING = "pending"
FRAME_ASSEMBLED = "assembled"


class AssemblyJob(Base):
    """That the assembler read a job's manifest (stored in `manifests` under its CID), or why
    that manifest cannot be used for the job."""

    __tablename__ = "assembly_jobs"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    manifest_cid: Mapped[str] = mapped_column(ChainText())
    # Why the manifest cannot be used for this job (not a manifest, not the job's tile count...);
    # None when its frames are assembled.
    error: Mapped[str | None] = mapped_column(Text)
    # True once every frame is stored, or the manifest is unusable: the assembler skips the job.
    done: Mapped[bool] = mapped_column(default=False)


class AssembledFrame(Base):
    """One frame of a job: pending until stored on IPFS as EXR (linear float) and PNG (sRGB)."""

    __tablename__ = "assembled_frames"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # index in the manifest's frame list
    status: Mapped[str] = mapped_column(String(16), default=FRAME_PENDING)
    png_cid: Mapped[str | None] = mapped_column(String(128))
    exr_cid: Mapped[str | None] = mapped_column(String(128))
    # Why the committed tiles cannot be assembled (a tile whose bytes do not match its CID...).
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    assembled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The frame's tiles (indices in the frame's grid) that no round delivered: the job ended
    # without them, and the frame was assembled with them transparent.
    missing_tiles: Mapped[list[int]] = mapped_column(JSON, default=list)


class FramePreview(Base):
    """The preview of a frame not assembled yet: the tiles its workers revealed, stitched, the
    others transparent (`marketplace.assembly.preview`), at most 1024 px on its longest side
    (`marketplace.assembly.canvas`). Disposable: the PNG is kept here, never pinned on IPFS, and
    the row is dropped once the frame is assembled."""

    __tablename__ = "frame_previews"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The revealed results lists the PNG was made from (`<seat job>:<worker>:<results CID>`,
    # sorted): it is made again only when they change.
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Tiles of the frame's grid in the PNG, and those of them a verdict has accepted.
    tiles: Mapped[list[int]] = mapped_column(JSON, default=list)
    verified: Mapped[list[int]] = mapped_column(JSON, default=list)
    tiles_total: Mapped[int] = mapped_column(Integer)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PreviewRefusal(Base):
    """A revealed results list whose tiles previews never show: it, or a tile it lists, is not
    what its worker committed (`marketplace.assembly.revealed`). Kept so that a restart does not
    read it again; keyed by everything the refusal depends on, the seat's job (a round's own)
    first, so that the indexer drops it with that job's rows."""

    __tablename__ = "preview_refusals"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    worker: Mapped[str] = mapped_column(String(42), primary_key=True)
    results_cid: Mapped[str] = mapped_column(ChainText(), primary_key=True)
    merkle_root: Mapped[str] = mapped_column(String(66), primary_key=True)
    manifest_cid: Mapped[str] = mapped_column(ChainText(), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    refused_at: Mapped[datetime] = mapped_column(UtcDateTime())


FILM_READY = "ready"
FILM_FAILED = "failed"


class JobFilm(Base):
    """A job's film, made once every frame of a job of several frames is assembled
    (`marketplace.assembly.film`): an H.264 MP4 and a ZIP of the frames' PNG and EXR files, both
    on IPFS; or why it could not be made."""

    __tablename__ = "job_films"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    fps: Mapped[float] = mapped_column(Float)
    frames: Mapped[int] = mapped_column(Integer)
    mp4_cid: Mapped[str | None] = mapped_column(String(128))
    zip_cid: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    made_at: Mapped[datetime] = mapped_column(UtcDateTime())


# Rows derived from a job's events, keyed by `job_id` (see the module's docstring).
DERIVED_FROM_JOBS = (AssembledFrame, AssemblyJob, FramePreview, PreviewRefusal, JobFilm)
